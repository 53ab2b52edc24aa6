//! Undoing edits: the original text from a cleaned record.

use crate::{Edit, Error, Record, offsets::ByteCursor};

/// Rebuilds the text as it was before any stage edited it.
///
/// Edits are undone stage by stage from the last to the first; within one stage, each edit's
/// span (in that stage's output) is replaced by its `original`.
///
/// ```
/// use chaff_record::{Edit, Record, Source, Span, rebuild_original};
/// let mut record = Record::new("a", "Hello world.", Source::default());
/// record.edits.push(Edit {
///     stage: "clean".into(),
///     rule: "html_tag".into(),
///     span: Span::new(5, 5),
///     original: "<br>".into(),
///     first_copy: None,
/// });
/// assert_eq!(rebuild_original(&record).unwrap(), "Hello<br> world.");
/// ```
pub fn rebuild_original(record: &Record) -> Result<String, Error> {
    let mut text = record.text.clone();
    let mut end = record.edits.len();
    while end > 0 {
        let stage = &record.edits[end - 1].stage;
        let mut start = end - 1;
        while start > 0 && record.edits[start - 1].stage == *stage {
            start -= 1;
        }
        text = undo_stage(&record.id, &text, &record.edits[start..end])?;
        end = start;
    }
    Ok(text)
}

/// Undoes one stage's edits on `text`, that stage's output.
pub fn undo_stage(id: &str, text: &str, edits: &[Edit]) -> Result<String, Error> {
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.original.len()).sum::<usize>());
    let mut cursor = ByteCursor::new(text);
    let mut copied_to = 0usize;
    let mut previous_end = 0usize;
    for edit in edits {
        if edit.span.start < previous_end || edit.span.end < edit.span.start {
            return Err(Error::Edits {
                id: id.to_owned(),
                detail: format!(
                    "edit {:?} at [{}, {}) overlaps or is out of order",
                    edit.rule, edit.span.start, edit.span.end
                ),
            });
        }
        let (Some(start), Some(end)) = (
            cursor.byte_offset(edit.span.start),
            cursor.byte_offset(edit.span.end),
        ) else {
            return Err(Error::Edits {
                id: id.to_owned(),
                detail: format!(
                    "edit {:?} at [{}, {}) lies past the end of the text",
                    edit.rule, edit.span.start, edit.span.end
                ),
            });
        };
        out.push_str(&text[copied_to..start]);
        out.push_str(&edit.original);
        copied_to = end;
        previous_end = edit.span.end;
    }
    out.push_str(&text[copied_to..]);
    Ok(out)
}
