//! Cleans one text file and prints the result, then the edits: `cargo run -p chaff-clean --example clean_file -- FILE`.
#![allow(clippy::unwrap_used)]
fn main() {
    let path = std::env::args().nth(1).expect("a file to clean");
    let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
    let cleaned = chaff_clean::clean_text(&chaff_clean::Config::default(), &text);
    println!("{}\n-----", cleaned.text);
    for edit in &cleaned.edits {
        println!(
            "{:>20} {:?} {:?}",
            edit.rule,
            edit.span,
            edit.original.chars().take(100).collect::<String>()
        );
    }
}
