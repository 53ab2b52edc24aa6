//! The chaff segment stage.
//!
//! For now this stage passes records through unchanged; its full behaviour is the subject of
//! its own issue.
//!
//! # Example
//!
//! ```
//! use chaff_record::{Record, RecordStage, Source};
//! let config = chaff_segment::Config::default();
//! let record = config.apply(Record::new("a", "Hello.", Source::default()));
//! assert_eq!(record.text, "Hello.");
//! ```

use chaff_record::{Record, RecordStage};
use serde::{Deserialize, Serialize};

/// Configuration of the segment stage; every field has a documented default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {}

impl RecordStage for Config {
    fn name(&self) -> &'static str {
        "segment"
    }

    fn process(&self, record: Record) -> Record {
        record
    }
}
