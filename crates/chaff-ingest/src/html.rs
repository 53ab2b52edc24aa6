//! HTML to visible text: one block a line, with the title and language for metadata.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// The visible text of a page and what its head says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PageText {
    /// Visible text, one block (paragraph, heading, list item, table cell, …) a line.
    pub text: String,
    /// The `<title>`, white space folded.
    pub title: Option<String>,
    /// `<html lang>`.
    pub language: Option<String>,
    /// `<link rel=canonical>` or `<meta property=og:url>`.
    pub url: Option<String>,
    /// The text of links (`<a href>`): half-open code-point ranges of `text`, in order, never
    /// crossing a line. Clean reads a line's share of link text (link density, as jusText and
    /// trafilatura weigh it) to tell navigation from tables and lists of the article.
    pub links: Vec<(usize, usize)>,
    /// The text of `<pre>` blocks: half-open code-point ranges of `text`, in order, each from
    /// the start of the block's first line to the end of its last. Their lines keep their
    /// indentation, and clean leaves their layout as it is.
    pub preformatted: Vec<(usize, usize)>,
}

/// The line being built, with the byte ranges of link text in it.
#[derive(Debug, Default)]
struct LineBuilder {
    line: String,
    links: Vec<(usize, usize)>,
    /// Code points in the lines already ended, with their line breaks.
    n_chars: usize,
    /// Inside `<pre>`: the line keeps its indentation.
    keep_indent: bool,
}

impl LineBuilder {
    /// Ends the line: kept (trimmed) when it has any text, its link ranges turned into
    /// code-point ranges of the whole text.
    fn end(&mut self, lines: &mut Vec<String>, links: &mut Vec<(usize, usize)>) {
        let trimmed = if self.keep_indent {
            self.line.trim_end()
        } else {
            self.line.trim()
        };
        if !trimmed.trim_start().is_empty() {
            let lead = self.line.len() - self.line.trim_start().len();
            let lead = if self.keep_indent { 0 } else { lead };
            let to_chars = |byte: usize| {
                let at = byte.saturating_sub(lead).min(trimmed.len());
                // Link ranges start and end where pushed text did: on character boundaries.
                trimmed.get(..at).map_or(0, |t| t.chars().count())
            };
            for &(start, end) in &self.links {
                let (start, end) = (self.n_chars + to_chars(start), self.n_chars + to_chars(end));
                if end > start {
                    match links.last_mut() {
                        Some(last) if last.1 >= start => last.1 = last.1.max(end),
                        _ => links.push((start, end)),
                    }
                }
            }
            self.n_chars += trimmed.chars().count() + 1;
            lines.push(trimmed.to_owned());
        }
        self.line.clear();
        self.links.clear();
    }
}

/// Elements whose content is never visible text.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
    "embed", "canvas", "select", "datalist",
];

/// Elements that start and end a block (a line of output).
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Extracts the visible text of `source`, walking the tree without recursion so that deeply
/// nested pages cannot exhaust the stack.
pub(crate) fn page_text(source: &str) -> PageText {
    let document = Html::parse_document(source);
    let mut page = PageText::default();
    let mut lines: Vec<String> = Vec::new();
    let mut builder = LineBuilder::default();
    let mut links: Vec<(usize, usize)> = Vec::new();
    let mut hidden_depth = 0usize;
    let mut pre_depth = 0usize;
    let mut link_depth = 0usize;
    let mut preformatted: Vec<(usize, usize)> = Vec::new();
    // Where the outermost `<pre>` open began, in code points of the text.
    let mut pre_start = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if name == "title" && page.title.is_none() {
                        let title: String = node
                            .descendants()
                            .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
                            .collect();
                        let title = fold_whitespace(&title);
                        if !title.is_empty() {
                            page.title = Some(title);
                        }
                    }
                    if name == "html" {
                        page.language = element.attr("lang").map(str::to_owned);
                    }
                    if page.url.is_none() {
                        page.url = canonical_url(element);
                    }
                    if HIDDEN.contains(&name) {
                        hidden_depth += 1;
                    } else if BLOCKS.contains(&name) {
                        builder.end(&mut lines, &mut links);
                    }
                    if name == "pre" && hidden_depth == 0 {
                        if pre_depth == 0 {
                            pre_start = builder.n_chars;
                            builder.keep_indent = true;
                        }
                        pre_depth += 1;
                    }
                    if name == "a" && element.attr("href").is_some() {
                        link_depth += 1;
                    }
                    // Images carry their alternative text only; it is not visible text.
                }
                Node::Text(text) if hidden_depth == 0 => {
                    if pre_depth > 0 {
                        let mut parts = text.split('\n').peekable();
                        while let Some(part) = parts.next() {
                            let start = builder.line.len();
                            builder.line.push_str(part.trim_end());
                            if link_depth > 0 {
                                builder.links.push((start, builder.line.len()));
                            }
                            if parts.peek().is_some() {
                                builder.end(&mut lines, &mut links);
                            }
                        }
                    } else {
                        let start = builder.line.len();
                        push_folded(&mut builder.line, text);
                        if link_depth > 0 {
                            builder.links.push((start, builder.line.len()));
                        }
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    let name = element.name();
                    if HIDDEN.contains(&name) {
                        hidden_depth = hidden_depth.saturating_sub(1);
                    } else if BLOCKS.contains(&name) {
                        builder.end(&mut lines, &mut links);
                    }
                    if name == "pre" && hidden_depth == 0 && pre_depth > 0 {
                        pre_depth -= 1;
                        if pre_depth == 0 {
                            builder.end(&mut lines, &mut links);
                            builder.keep_indent = false;
                            // The ended lines' code points count their line breaks.
                            let end = builder.n_chars.saturating_sub(1);
                            if end > pre_start {
                                preformatted.push((pre_start, end));
                            }
                        }
                    }
                    if name == "a" && element.attr("href").is_some() {
                        link_depth = link_depth.saturating_sub(1);
                    }
                }
            }
        }
    }
    builder.end(&mut lines, &mut links);
    page.text = lines.join("\n");
    page.links = links;
    page.preformatted = preformatted;
    page
}

fn canonical_url(element: &scraper::node::Element) -> Option<String> {
    match element.name() {
        "link"
            if element
                .attr("rel")
                .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
        {
            element.attr("href").map(str::to_owned)
        }
        "meta" if element.attr("property") == Some("og:url") => {
            element.attr("content").map(str::to_owned)
        }
        _ => None,
    }
}

/// Appends text with runs of white space folded to one space, as a browser lays it out.
fn push_folded(line: &mut String, text: &str) {
    let starts_with_space = text.starts_with(char::is_whitespace);
    let ends_with_space = text.ends_with(char::is_whitespace);
    let mut words = text.split_whitespace().peekable();
    if words.peek().is_none() {
        if !text.is_empty() && !line.is_empty() && !line.ends_with(' ') {
            line.push(' ');
        }
        return;
    }
    if starts_with_space && !line.is_empty() && !line.ends_with(' ') {
        line.push(' ');
    }
    while let Some(word) = words.next() {
        line.push_str(word);
        if words.peek().is_some() {
            line.push(' ');
        }
    }
    if ends_with_space {
        line.push(' ');
    }
}

fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
