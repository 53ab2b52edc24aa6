//! `chaff.toml`: one file, a section per stage, every key optional.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The whole configuration of a run. Every key is optional; `chaff config --default` prints
/// the defaults, which are documented in `chaff.default.toml` beside this crate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How the run itself behaves.
    pub run: RunConfig,
    /// The ingest stage.
    pub ingest: chaff_ingest::Config,
    /// The clean stage.
    pub clean: chaff_clean::Config,
    /// The segment stage.
    pub segment: chaff_segment::Config,
    /// The dedup stage.
    pub dedup: chaff_dedup::Config,
    /// The report.
    pub report: chaff_report::Config,
}

/// Options of the run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Documents processed together in one parallel batch. Bounds memory: about this many
    /// documents are held at once. Default 1024.
    pub batch_size: usize,
    /// Write each stage's records to `stages/<stage>.jsonl`. Default false (`cargo xtask run`
    /// turns it on for the embedded corpus).
    pub keep_stages: bool,
    /// Exit non-zero when any input was quarantined. Default false.
    pub strict: bool,
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            batch_size: 1024,
            keep_stages: false,
            strict: false,
        }
    }
}

/// The documented default configuration, as shipped.
pub const DEFAULT_TOML: &str = include_str!("../chaff.default.toml");

impl Config {
    /// Reads a configuration file; keys left out take their defaults.
    pub fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        Config::from_toml(&text).with_context(|| format!("in configuration {}", path.display()))
    }

    /// Parses a configuration from TOML text.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the default configuration, as `section.key` paths.
    fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
        if let toml::Value::Table(table) = value {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if value.is_table() {
                    keys(value, &path, out);
                } else {
                    out.push(path);
                }
            }
        }
    }

    #[test]
    fn documented_defaults_are_the_defaults() {
        let documented = Config::from_toml(DEFAULT_TOML).unwrap();
        assert_eq!(documented, Config::default());
    }

    #[test]
    fn every_key_is_documented() {
        let actual = toml::Value::try_from(Config::default()).unwrap();
        let documented: toml::Value = toml::from_str(DEFAULT_TOML).unwrap();
        let (mut actual_keys, mut documented_keys) = (Vec::new(), Vec::new());
        keys(&actual, "", &mut actual_keys);
        keys(&documented, "", &mut documented_keys);
        let missing: Vec<&String> = actual_keys
            .iter()
            .filter(|k| !documented_keys.contains(k))
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from chaff.default.toml: {missing:?}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Config::from_toml("[clean]\nno_such_key = 1\n").unwrap_err();
        assert!(format!("{err:#}").contains("no_such_key"), "{err:#}");
    }
}
