//! A piece table over the original text, so that many passes can rewrite it and the result
//! still says, for every change, which original text it replaced and which rule did it.

use std::borrow::Cow;

use chaff_record::{Edit, Span};

/// A replacement a pass wants: bytes `start..end` of the pass's input become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replacement {
    pub start: usize,
    pub end: usize,
    /// Borrowed for the fixed texts most rules write (a space, a line break, nothing).
    pub text: Cow<'static, str>,
    pub rule: &'static str,
}

impl Replacement {
    pub(crate) fn remove(start: usize, end: usize, rule: &'static str) -> Replacement {
        Replacement {
            start,
            end,
            text: Cow::Borrowed(""),
            rule,
        }
    }
}

/// One piece of the current text: a copy of the original, or a rule's output standing for a
/// range of the original.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    original_start: usize,
    original_end: usize,
    /// `None` for an unchanged copy of the original range.
    edited: Option<(Cow<'static, str>, &'static str)>,
}

impl Piece {
    /// The length in bytes of [`Piece::text`], without slicing the original.
    fn len(&self) -> usize {
        match &self.edited {
            Some((text, _)) => text.len(),
            None => self.original_end - self.original_start,
        }
    }

    fn text<'a>(&'a self, original: &'a str) -> &'a str {
        match &self.edited {
            Some((text, _)) => text,
            None => &original[self.original_start..self.original_end],
        }
    }
}

/// The text being cleaned, with its history.
#[derive(Debug, Clone)]
pub(crate) struct Doc<'a> {
    original: &'a str,
    pieces: Vec<Piece>,
    /// The original until a pass changes it (no copy for the passes that change nothing).
    current: Cow<'a, str>,
}

impl<'a> Doc<'a> {
    pub(crate) fn new(original: &'a str) -> Doc<'a> {
        Doc {
            original,
            pieces: vec![Piece {
                original_start: 0,
                original_end: original.len(),
                edited: None,
            }],
            current: Cow::Borrowed(original),
        }
    }

    /// The current text.
    pub(crate) fn text(&self) -> &str {
        &self.current
    }

    /// Applies a pass's replacements: byte ranges of the current text, in any order; one that
    /// overlaps an earlier one is ignored. A replacement that cuts into an earlier rule's
    /// output takes in the whole of that output, so that every piece still stands for a whole
    /// range of the original. Earlier removals (rule output of no text) that a replacement
    /// spans keep their own pieces and rules.
    pub(crate) fn apply(&mut self, mut replacements: Vec<Replacement>) {
        if replacements.is_empty() {
            return;
        }
        replacements.sort_by_key(|r| (r.start, r.end));
        let original = self.original;
        let mut input: Vec<Piece> = std::mem::take(&mut self.pieces);
        input.reverse();
        let mut out: Vec<Piece> = Vec::with_capacity(input.len() + 2 * replacements.len());
        let mut cur = 0usize; // where input.last() starts in the text before this pass
        let mut last_end: Option<usize> = None;
        // The pieces a replacement covers, in order (an unedited one cut to its part); one
        // buffer for the pass.
        let mut covered: Vec<Piece> = Vec::new();
        for replacement in replacements {
            // A replacement that starts inside a piece an earlier one of this pass took in
            // whole (it cut into a rule's output) would overlap that one: it is skipped.
            if replacement.end < replacement.start
                || replacement.start < cur
                || last_end.is_some_and(|end| {
                    replacement.start < end
                        || (replacement.start == end && replacement.start == replacement.end)
                })
            {
                continue;
            }
            last_end = Some(replacement.end);
            // Pieces wholly before the replacement stay as they are.
            while let Some(piece) = input.last() {
                let len = piece.len();
                if cur + len <= replacement.start {
                    cur += len;
                    if let Some(piece) = input.pop() {
                        out.push(piece);
                    }
                } else {
                    break;
                }
            }
            let mut prefix = String::new();
            // The rule of the new piece: the one whose share of the original it stands for is
            // largest, so that folding the white space around a removed credit line does not
            // rename the removal.
            let mut rule = replacement.rule;
            let mut rule_weight = 0usize;
            let mut own_weight = 0usize;
            let mut weigh = |piece: &Piece, own: &mut usize| match &piece.edited {
                Some((_, absorbed)) => {
                    let weight = piece.original_end - piece.original_start;
                    if weight > rule_weight {
                        rule_weight = weight;
                        rule = absorbed;
                    }
                }
                None => *own += piece.original_end - piece.original_start,
            };
            let group_start = match input.last_mut() {
                None => original.len(),
                Some(piece) if replacement.start == cur => piece.original_start,
                Some(piece) => match &piece.edited {
                    None => {
                        let split = piece.original_start + (replacement.start - cur);
                        out.push(Piece {
                            original_start: piece.original_start,
                            original_end: split,
                            edited: None,
                        });
                        piece.original_start = split;
                        cur = replacement.start;
                        split
                    }
                    Some((text, _)) => {
                        prefix.push_str(&text[..replacement.start - cur]);
                        piece.original_start
                    }
                },
            };
            let mut group_end = group_start;
            let mut suffix = String::new();
            covered.clear();
            while let Some(piece) = input.last_mut() {
                let len = piece.len();
                let piece_end = cur + len;
                if piece_end <= replacement.end
                    && !(len > 0 && replacement.start == replacement.end)
                {
                    if piece_end > replacement.start || cur >= replacement.start {
                        let counted = Piece {
                            original_start: piece.original_start.max(group_start),
                            original_end: piece.original_end,
                            edited: piece.edited.clone(),
                        };
                        weigh(&counted, &mut own_weight);
                        covered.push(counted);
                    }
                    group_end = piece.original_end;
                    cur = piece_end;
                    input.pop();
                    if piece_end == replacement.end {
                        break;
                    }
                    continue;
                }
                match &piece.edited {
                    None => {
                        group_end = piece.original_start + (replacement.end - cur);
                        own_weight += group_end - piece.original_start;
                        covered.push(Piece {
                            original_start: piece.original_start,
                            original_end: group_end,
                            edited: None,
                        });
                        piece.original_start = group_end;
                        cur = replacement.end;
                    }
                    Some((text, _)) if replacement.end > cur => {
                        let counted = piece.clone();
                        weigh(&counted, &mut own_weight);
                        suffix.push_str(&text[replacement.end - cur..]);
                        group_end = piece.original_end;
                        cur = piece_end;
                        input.pop();
                    }
                    Some(_) => {}
                }
                break;
            }
            // Earlier removals inside the range (white space folded around removed lines)
            // add no text to what is replaced: they keep their own pieces and rules, and the
            // replacement stands for the rest, its text in the first part.
            let removals_inside = prefix.is_empty()
                && suffix.is_empty()
                && covered.iter().any(|piece| piece.edited.is_some())
                && covered.iter().all(|piece| {
                    piece
                        .edited
                        .as_ref()
                        .is_none_or(|(text, _)| text.is_empty())
                })
                && covered.iter().any(|piece| {
                    piece.edited.is_none() && piece.original_end > piece.original_start
                });
            if removals_inside {
                let mut text = Some(replacement.text);
                for piece in covered.drain(..) {
                    if piece.edited.is_some() {
                        out.push(piece);
                    } else if piece.original_end > piece.original_start {
                        let part = text.take().unwrap_or_default();
                        // A part the replacement leaves as it was (the blank line kept of
                        // several) is no edit.
                        let unchanged = part == original[piece.original_start..piece.original_end];
                        out.push(Piece {
                            edited: (!unchanged).then_some((part, replacement.rule)),
                            ..piece
                        });
                    }
                }
                continue;
            }
            if own_weight >= rule_weight {
                rule = replacement.rule;
            }
            let text = if prefix.is_empty() && suffix.is_empty() {
                replacement.text
            } else {
                Cow::Owned(prefix + &replacement.text + &suffix)
            };
            out.push(Piece {
                original_start: group_start,
                original_end: group_end,
                edited: Some((text, rule)),
            });
        }
        out.extend(input.into_iter().rev());
        self.pieces = out;
        let len = self.pieces.iter().map(|p| p.len()).sum();
        // The text before this pass is not read again: its buffer takes the new one.
        let mut current = match std::mem::take(&mut self.current) {
            Cow::Owned(buffer) => buffer,
            Cow::Borrowed(_) => String::new(),
        };
        current.clear();
        current.reserve(len);
        for piece in &self.pieces {
            current.push_str(piece.text(original));
        }
        self.current = Cow::Owned(current);
    }

    /// Maps byte ranges of the original text (sorted by start) to byte ranges of the current
    /// text. A range end that falls inside a rule's output stretches to that output's end, a
    /// start to its start; a range the edits removed entirely comes back empty.
    pub(crate) fn map_original_ranges(&self, ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
        // Every endpoint, sorted, mapped in one walk over the pieces.
        let mut points: Vec<(usize, bool, usize)> = Vec::with_capacity(2 * ranges.len());
        for (index, &(start, end)) in ranges.iter().enumerate() {
            points.push((start, false, index));
            points.push((end, true, index));
        }
        points.sort_unstable();
        let mut mapped = vec![(0usize, 0usize); ranges.len()];
        let mut pieces = self.pieces.iter().peekable();
        let mut current = 0usize;
        for (offset, is_end, index) in points {
            // Step over pieces that end before the offset (or at it, for a start).
            while let Some(piece) = pieces.peek() {
                let past = offset > piece.original_end
                    || (offset == piece.original_end
                        && (!is_end || piece.original_start == piece.original_end));
                if !past {
                    break;
                }
                current += piece.len();
                pieces.next();
            }
            let at = match pieces.peek() {
                None => current,
                Some(piece) => match piece.edited {
                    None => current + offset.saturating_sub(piece.original_start),
                    Some(_) if is_end => current + piece.len(),
                    Some(_) => current,
                },
            };
            if is_end {
                mapped[index].1 = at;
            } else {
                mapped[index].0 = at;
            }
        }
        mapped
            .into_iter()
            .map(|(start, end)| (start, end.max(start)))
            .collect()
    }

    /// The cleaned text and its edits: one per run of adjacent edited pieces of one rule, with
    /// the span in the cleaned text (code points) and the original text it replaced.
    pub(crate) fn finish(self, record_edits: bool) -> (String, Vec<Edit>) {
        if !record_edits {
            return (self.current.into_owned(), Vec::new());
        }
        let mut edits: Vec<Edit> = Vec::new();
        let mut at_chars = 0usize;
        let mut last: Option<(usize, usize)> = None; // index in edits, original end
        for piece in &self.pieces {
            let text = piece.text(self.original);
            let n_chars = text.chars().count();
            match &piece.edited {
                Some((_, rule)) => {
                    let original = &self.original[piece.original_start..piece.original_end];
                    let merge = last.is_some_and(|(index, original_end)| {
                        edits[index].rule == *rule
                            && original_end == piece.original_start
                            && edits[index].span.end == at_chars
                    });
                    if merge {
                        if let Some((index, _)) = last {
                            edits[index].original.push_str(original);
                            edits[index].span.end += n_chars;
                            last = Some((index, piece.original_end));
                        }
                    } else if n_chars > 0 || !original.is_empty() {
                        edits.push(Edit {
                            stage: "clean".into(),
                            rule: (*rule).into(),
                            span: Span::new(at_chars, at_chars + n_chars),
                            original: original.to_owned(),
                            first_copy: None,
                        });
                        last = Some((edits.len() - 1, piece.original_end));
                    }
                }
                None => {
                    if !text.is_empty() {
                        last = None;
                    }
                }
            }
            at_chars += n_chars;
        }
        (self.current.into_owned(), edits)
    }
}
