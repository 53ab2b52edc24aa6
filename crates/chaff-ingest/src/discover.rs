//! Turning the paths a user gave into a sorted, deterministic list of inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Compression, Error, Format};

/// One input file, or a place that could not be listed (which ingest quarantines in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// Its name in sources and ids: relative to the directory it was found under (that
    /// directory's own name first), or the path as given for a file. Unique within one run.
    pub name: String,
    /// The document format, from the file name.
    pub format: Format,
    /// The compression, from the file name (ingest also checks the magic bytes).
    pub compression: Compression,
    /// Why the place could not be listed (a symlink loop, a permission error), if so.
    pub problem: Option<String>,
}

impl Input {
    /// An input for `path`, named `name`, with format and compression from the file name.
    pub fn new(path: PathBuf, name: String) -> Input {
        let (format, compression) = detect(&name);
        Input {
            path,
            name,
            format,
            compression,
            problem: None,
        }
    }
}

/// Format and compression from a file name: `.gz`/`.zst` name the compression, the extension
/// before them the format (`.jsonl`/`.ndjson`/`.json` lines, `.html`/`.htm`/`.xhtml`, else text).
pub fn detect(name: &str) -> (Format, Compression) {
    let lower = name.to_ascii_lowercase();
    let (stem, compression) = if let Some(stem) = lower.strip_suffix(".gz") {
        (stem, Compression::Gzip)
    } else if let Some(stem) = lower.strip_suffix(".zst") {
        (stem, Compression::Zstd)
    } else if let Some(stem) = lower.strip_suffix(".zstd") {
        (stem, Compression::Zstd)
    } else {
        (lower.as_str(), Compression::None)
    };
    let format = match Path::new(stem).extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson" | "json") => Format::Jsonl,
        Some("html" | "htm" | "xhtml" | "shtml") => Format::Html,
        _ => Format::Text,
    };
    (format, compression)
}

/// Expands files and directories into inputs: directories recursively, entries sorted by name
/// at every level, symlinks followed with loops detected (a loop becomes an input with a
/// `problem`, quarantined by ingest). Inputs keep the order the paths were given in.
///
/// Fails only when a path given does not exist at all: that is a mistake on the command line,
/// not bad data.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, Error> {
    let mut inputs = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| Error::Missing {
            path: path.display().to_string(),
            source,
        })?;
        if !metadata.is_dir() {
            inputs.push(Input::new(path.clone(), path.display().to_string()));
            continue;
        }
        let root_name = path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| path.display().to_string());
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_dir() {
                        continue;
                    }
                    let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
                    let name = join_name(&root_name, relative);
                    inputs.push(Input::new(entry.path().to_path_buf(), name));
                }
                Err(err) => {
                    let place = err.path().unwrap_or(path);
                    let relative = place.strip_prefix(path).unwrap_or(place);
                    let name = join_name(&root_name, relative);
                    let mut input = Input::new(place.to_path_buf(), name);
                    input.problem = Some(if err.loop_ancestor().is_some() {
                        "symlink loop: the link points back to a directory above it".to_owned()
                    } else {
                        format!("cannot list: {err}")
                    });
                    inputs.push(input);
                }
            }
        }
    }
    make_names_unique(&mut inputs);
    Ok(inputs)
}

fn join_name(root_name: &str, relative: &Path) -> String {
    let mut name = root_name.to_owned();
    for component in relative.components() {
        name.push('/');
        name.push_str(&component.as_os_str().to_string_lossy());
    }
    name
}

/// Two inputs can share a name (the same directory given twice, two roots with one name);
/// later ones get `#2`, `#3`, … so that ids stay unique.
fn make_names_unique(inputs: &mut [Input]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for input in inputs.iter_mut() {
        let count = seen.entry(input.name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            input.name = format!("{}#{}", input.name, count);
        }
    }
}
