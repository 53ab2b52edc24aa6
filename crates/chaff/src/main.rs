//! `chaff`: turn messy news and web text into a clean, segmented, deduplicated corpus, and
//! explain every decision.
//!
//! Exit codes: 0 success; 1 a fatal error (no readable input, outputs not writable, an
//! accounting failure); 2 a usage error; 3 the run finished but `--strict` was given and some
//! inputs were quarantined.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chaff::config::{Config, DEFAULT_TOML};
use chaff::pipeline;
use chaff::progress::Progress;
use chaff_record::JsonlWriter;
use clap::{Parser, Subcommand};

/// mimalloc: the pipeline allocates many short-lived strings and vectors per document, and
/// glibc's allocator took about 15% of a run's time (perf on the benchmark corpus).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turn messy news and web text into a clean, segmented, deduplicated corpus, and explain
/// every decision it made.
#[derive(Debug, Parser)]
#[command(name = "chaff", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML, a section per stage; every key optional).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More logging (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Less logging and no progress bar.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Worker threads (default: one per core; RAYON_NUM_THREADS also works).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline (ingest → clean → segment → dedup → report) into a directory.
    Run {
        /// Input files and directories (directories are read recursively, in sorted order).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, short, default_value = "chaff-out")]
        out: PathBuf,
        /// Also write each stage's records to stages/<stage>.jsonl.
        #[arg(long)]
        keep_stages: bool,
        /// Exit with code 3 when any input was quarantined.
        #[arg(long)]
        strict: bool,
    },
    /// Read files, directories or standard input (`-`) into records.
    Ingest {
        /// Input files and directories; `-` reads standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Write quarantined inputs here as JSON lines (default: logged on standard error).
        #[arg(long, value_name = "FILE")]
        quarantine: Option<PathBuf>,
    },
    /// Clean records: strip markup and boilerplate, repair layout, log every edit.
    Clean(StageArgs),
    /// Segment records into paragraphs, sentences and words.
    Segment(StageArgs),
    /// Deduplicate records (reads its whole input, twice).
    Dedup {
        #[command(flatten)]
        io: StageArgs,
        /// Write the dedup summary (clusters, figures) here as JSON.
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
    },
    /// Write report.json, report.md and report.html for final records.
    Report {
        /// Final record files (kept and dropped); `-` reads standard input.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, short, default_value = "chaff-report")]
        out: PathBuf,
        /// Write input lines that are not records here as JSON lines (default: logged on
        /// standard error); the rest of the input goes on either way.
        #[arg(long, value_name = "FILE")]
        quarantine: Option<PathBuf>,
    },
    /// Print the configuration: the documented defaults, or the effective one.
    Config {
        /// Print the documented default configuration file.
        #[arg(long)]
        default: bool,
    },
}

/// Input and output of a streaming stage.
#[derive(Debug, clap::Args)]
struct StageArgs {
    /// Input JSON-lines file (default: standard input).
    input: Option<PathBuf>,
    /// Output file (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Write input lines that are not records here as JSON lines, each naming its file and
    /// line (default: logged on standard error); the rest of the input goes on either way.
    #[arg(long, value_name = "FILE")]
    quarantine: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match real_main(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("chaff: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAFF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

fn real_main(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(threads) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    let mut config = match &cli.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    let batch_size = config.run.batch_size;
    let progress = Progress::new(!cli.quiet && std::io::stderr().is_terminal());
    match cli.command {
        Command::Run {
            inputs,
            out,
            keep_stages,
            strict,
        } => {
            config.run.keep_stages |= keep_stages;
            config.run.strict |= strict;
            let outcome = pipeline::run(&config, &inputs, &out, &progress)?;
            let totals = &outcome.report.totals;
            let n_dropped: u64 = totals.dropped.values().sum();
            eprintln!(
                "chaff: {} documents: {} kept, {} dropped, {} inputs quarantined",
                totals.ingested, totals.kept, n_dropped, totals.quarantined
            );
            eprintln!("chaff: outputs in {}", outcome.out_dir.display());
            eprintln!(
                "chaff: report: {}",
                outcome.out_dir.join(pipeline::layout::REPORT_MD).display()
            );
            if config.run.strict && totals.quarantined > 0 {
                eprintln!("chaff: --strict: {} inputs quarantined", totals.quarantined);
                return Ok(ExitCode::from(3));
            }
        }
        Command::Ingest {
            inputs,
            output,
            quarantine,
        } => ingest(&config, &inputs, output.as_deref(), quarantine.as_deref())?,
        Command::Clean(args) => stage(&config.clean, &args, batch_size)?,
        Command::Segment(args) => stage(&config.segment, &args, batch_size)?,
        Command::Dedup { io, summary } => {
            let output = pipeline::open_output(io.output.as_deref())?;
            let mut bad = pipeline::BadLines::new(io.quarantine.as_deref())?;
            let figures = pipeline::dedup_file(
                &config.dedup,
                io.input.as_deref(),
                output,
                batch_size,
                &mut bad,
            )?;
            finish_bad_lines(bad)?;
            if let Some(path) = summary {
                let text = serde_json::to_string_pretty(&figures)?;
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
        Command::Report {
            inputs,
            out,
            quarantine,
        } => report(&config, &inputs, &out, quarantine.as_deref())?,
        Command::Config { default } => {
            let mut stdout = std::io::stdout().lock();
            if default {
                stdout.write_all(DEFAULT_TOML.as_bytes())?;
            } else {
                stdout.write_all(toml::to_string_pretty(&config)?.as_bytes())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stage(
    stage: &dyn chaff_record::RecordStage,
    args: &StageArgs,
    batch_size: usize,
) -> anyhow::Result<()> {
    let (input, name) = pipeline::open_input(args.input.as_deref())?;
    let output = pipeline::open_output(args.output.as_deref())?;
    let mut bad = pipeline::BadLines::new(args.quarantine.as_deref())?;
    let figures = pipeline::stream_stage(stage, input, &name, output, batch_size, &mut bad)?;
    finish_bad_lines(bad)?;
    tracing::info!(
        "{}: {} documents in, {} out, dropped {:?}",
        figures.name,
        figures.docs_in,
        figures.docs_out,
        figures.dropped
    );
    Ok(())
}

fn ingest(
    config: &Config,
    inputs: &[PathBuf],
    output: Option<&Path>,
    quarantine_path: Option<&Path>,
) -> anyhow::Result<()> {
    let mut writer = JsonlWriter::new(pipeline::open_output(output)?);
    let mut quarantine = match quarantine_path {
        Some(path) => Some(JsonlWriter::new(pipeline::open_output(Some(path))?)),
        None => None,
    };
    let mut on_batch = |items: Vec<chaff_ingest::Item>| -> anyhow::Result<()> {
        for item in items {
            match item {
                chaff_ingest::Item::Record(record) => writer.write(&record)?,
                chaff_ingest::Item::Quarantined(entry) => match quarantine.as_mut() {
                    Some(file) => file.write(&entry)?,
                    None => tracing::warn!("quarantined {}: {}", entry.source, entry.error),
                },
            }
        }
        Ok(())
    };
    let (stdin, files): (Vec<&PathBuf>, Vec<&PathBuf>) =
        inputs.iter().partition(|p| p.as_path() == Path::new("-"));
    if !stdin.is_empty() {
        chaff_ingest::ingest_reader(
            &config.ingest,
            std::io::stdin(),
            "<stdin>",
            None,
            config.run.batch_size,
            &mut on_batch,
        )?;
    }
    let files: Vec<PathBuf> = files.into_iter().cloned().collect();
    if !files.is_empty() {
        let discovered = chaff_ingest::discover(&files)?;
        chaff_ingest::ingest(
            &config.ingest,
            &discovered,
            config.run.batch_size,
            &mut on_batch,
        )?;
    }
    writer.finish()?;
    if let Some(file) = quarantine {
        file.finish()?;
    }
    Ok(())
}

/// Closes the sink of bad input lines, saying on standard error how many there were.
fn finish_bad_lines(bad: pipeline::BadLines) -> anyhow::Result<()> {
    let count = bad.finish()?;
    if count > 0 {
        eprintln!(
            "chaff: {count} input lines were not records and were skipped (see above, or the --quarantine file)"
        );
    }
    Ok(())
}

fn report(
    config: &Config,
    inputs: &[PathBuf],
    out: &Path,
    quarantine: Option<&Path>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut builder = chaff_report::Builder::new(&config.report);
    let mut n_records = 0u64;
    let mut bad = pipeline::BadLines::new(quarantine)?;
    for input in inputs {
        let (reader, name) = pipeline::open_input(Some(input))?;
        let mut reader = pipeline::skipping_reader(reader, &name);
        while let Some(record) = pipeline::next_record(&mut reader, "report", Some(&mut bad))? {
            builder.observe(&record);
            n_records += 1;
        }
    }
    finish_bad_lines(bad)?;
    let figures = chaff_report::RunFigures {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        config: serde_json::to_value(config)?,
        n_ingested: n_records,
        threads: rayon::current_num_threads(),
        ..chaff_report::RunFigures::default()
    };
    let report = builder.finish(figures);
    pipeline::write_report(&report, out)?;
    eprintln!("chaff: report in {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
