//! The shape every per-record stage has, so the binary and xtask can drive any of them alike.

use crate::Record;

/// A per-record stage: a pure function of the record and the stage's configuration.
///
/// Implemented by each stage's `Config`, so running a stage is `config.process(record)`. The
/// function may rewrite the record or mark it dropped; it never fails, because bad text is data
/// (a drop with a reason), not an error. It can run on records in any order and on any thread.
pub trait RecordStage: Sync {
    /// The stage's name as it appears in edits, drops and reports: `clean`, `segment`.
    fn name(&self) -> &'static str;

    /// Processes one record that no earlier stage dropped.
    fn process(&self, record: Record) -> Record;

    /// Processes `record` unless an earlier stage dropped it, in which case it passes through.
    fn apply(&self, record: Record) -> Record {
        if record.is_dropped() {
            record
        } else {
            self.process(record)
        }
    }
}
