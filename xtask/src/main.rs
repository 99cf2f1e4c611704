//! The project's own tasks, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask ci`: everything CI checks, in order, stopping at the first failure.
//! - `cargo xtask bench [GROUP] [--quick] [--loops N]`: the benchmarks, against tokio, smol
//!   and CPython; `--report [GROUP...]` regenerates `docs/benchmarks.md`'s figures and charts
//!   from them.
//! - `cargo xtask layers`: the loop crate's files import only from layers below their own.
//! - `cargo xtask loom`: the loom models of every cross-thread path.
//!
//! Only `std` is used, so the tasks build in a second on a fresh machine.

mod bench;
mod ci;
mod cmd;
mod layers;
mod loom;
mod report;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci                       fmt, clippy, layers, tests (with doc tests), loom, docs, examples,
                           bench smoke run
  bench [GROUP] [--quick]  run benchmarks (all groups, or one); --quick only proves they work;
                           --loops N: how many loops the multicore group scales to
  bench --report [GROUP...] [--quick] [--out DIR]
                           run them and regenerate docs/benchmarks.md's figures and
                           docs/charts/ (into DIR instead with --out; --quick never into docs/)
  layers                   check that asyncio-loop's files import only from layers below
  loom                     model-check the loop's and the pool's cross-thread paths with loom
  valgrind | tsan | miri   one of ci's memory and concurrency tools alone
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("layers") => layers::run(),
        Some("loom") => loom::run(),
        Some("valgrind") => tools::valgrind(),
        Some("tsan") => tools::tsan(),
        Some("miri") => tools::miri(),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
