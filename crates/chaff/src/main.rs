//! The chaff command-line tool.
fn main() {}
