//! `cargo xtask loom`: the loom models of every cross-thread path (the loop's sleep/wake
//! handshake, injection queue, waker count and `queued` flag; the pool's retirement and
//! shutdown), run on the crates' own code built with `--cfg loom`.
//!
//! Each model is a unit test named `loom_*` in `src/loom_models/` of its crate, with its
//! own bound on preemptions (none where every interleaving fits in seconds);
//! `LOOM_MAX_PREEMPTIONS`, when set, overrides them all. The build goes to its own
//! directory (`<target>/loom`): `--cfg loom` changes every crate's flags, and sharing the
//! normal one would rebuild everything twice on each switch. Each model prints how many
//! interleavings it explored (loom itself only logs that through its `LOOM_LOG` tracing,
//! mixed with a line per thread switch, so the models count their own executions); this
//! collects those lines into a summary.
//!
//! Before that, clippy lints the model build (`-D warnings`, the unit tests included):
//! code under `cfg(loom)` (the models, the loom stand-ins) is invisible to `ci`'s clippy
//! step, and its `unsafe` blocks need their `// SAFETY:` comments as much as any.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::ci::target_dir;
use crate::cmd::{self, cargo, describe};

/// The crates with loom models.
const CRATES: &[&str] = &["asyncio-loop", "asyncio-pool"];

/// What a model prints on success, before its name.
const MODEL_LINE: &str = "loom model ";

/// Lints the model build, then builds and runs every model, printing the test harness's
/// output as it comes and then one line per model with the interleavings it explored.
pub fn run() -> Result<(), String> {
    let started = Instant::now();
    // `--profile test` lints the unit tests with the library.
    cmd::run(&mut loom_cargo(
        &["clippy"],
        &["--lib", "--profile", "test", "--", "-D", "warnings"],
    ))?;
    // Only the unit tests: the integration tests need the peer runtimes, which are not
    // built under `--cfg loom` (asyncio-pool's Cargo.toml says why). One model at a time,
    // so each line stays whole and a model has the machine's other core to itself.
    let mut command = loom_cargo(
        &["test", "--release"],
        &["--lib", "loom", "--", "--nocapture", "--test-threads=1"],
    );
    command.stdout(Stdio::piped());
    match std::env::var("LOOM_MAX_PREEMPTIONS") {
        Ok(bound) => println!("loom: LOOM_MAX_PREEMPTIONS={bound} overrides every model's bound"),
        Err(_) => println!("loom: each model's own preemption bound"),
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", describe(&command)))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut models = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the test output: {e}"))?;
        println!("{line}");
        if let Some(at) = line.find(MODEL_LINE) {
            models.push(line[at + MODEL_LINE.len()..].to_owned());
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{}`: {e}", describe(&command)))?;
    if !status.success() {
        return Err(format!(
            "`{}` failed ({status}): a model found a bug, or did not build",
            describe(&command)
        ));
    }
    if models.is_empty() {
        return Err("no loom model ran (are the tests still named `loom_*`?)".to_owned());
    }
    println!("\n==> loom: {} models passed", models.len());
    for model in &models {
        println!("  {model}");
    }
    println!("loom: done in {:.1?}", started.elapsed());
    Ok(())
}

/// `cargo <before> -p <each crate> <after>`, built with `--cfg loom` into `<target>/loom`.
fn loom_cargo(before: &[&str], after: &[&str]) -> Command {
    let mut args: Vec<&str> = before.to_vec();
    for krate in CRATES {
        args.extend(["-p", krate]);
    }
    args.extend(after);
    let mut command = cargo(&args);
    command
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", target_dir().join("loom"));
    command
}
