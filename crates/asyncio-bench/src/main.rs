//! The benchmarks behind `cargo xtask bench`: each group measures one crate of ours against
//! its peers (tokio, smol's crates, plain std baselines) on the same workload, in one run.
//!
//! Usage: `asyncio-bench [GROUP] [--quick] [--case NAME] [--loops N]`. Each measurement
//! prints one line `GROUP/CASE IMPLEMENTATION VALUE UNIT` (and, where
//! `ASYNCIO_BENCH_RESULTS` names a file, appends it there as a JSON line); `--quick` shrinks
//! every case to prove it works; `--case NAME` runs only the cases whose name contains
//! `NAME` (for profiling one case); `--loops N` is the most loops (threads, processes) the
//! `multicore` group scales to.
//! Run it through `cargo xtask bench`, which builds it with the `bench` profile and adds the
//! CPython figures and ratios.
//!
//! `asyncio-bench report RESULTS --doc PATH [--quick]` writes a results file into the
//! benchmarks document and its charts (`cargo xtask bench --report` runs it).

mod files;
mod floors;
mod harness;
mod http;
mod io;
mod loop_;
mod multicore;
mod pool;
mod report;
mod results;
mod subprocess;
mod sync;
mod timer;

use harness::Bench;

/// A benchmark group: its name on the command line and the function that runs it.
type Group = (&'static str, fn(&Bench));

/// Every group, in the order a full run takes them.
const GROUPS: &[Group] = &[
    ("timer", timer::run),
    ("sync", sync::run),
    ("pool", pool::run),
    ("loop", loop_::run),
    ("io", io::run),
    ("http", http::run),
    ("subprocess", subprocess::run),
    ("files", files::run),
    ("multicore", run_multicore),
    ("floors", floors::run),
];

/// The `multicore` group with the loop count of `--loops N` (default: the cores this
/// process may use).
fn run_multicore(bench: &Bench) {
    multicore::run(bench, max_loops());
}

/// `--loops N`, else the cores this process may use.
fn max_loops() -> usize {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--loops") {
        Some(at) => match args.get(at + 1).and_then(|n| n.parse().ok()) {
            Some(n) if n > 0 => n,
            _ => {
                eprintln!("asyncio-bench: `--loops` needs a positive number");
                std::process::exit(2);
            }
        },
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "report") {
        if let Err(message) = report::main(&args[1..]) {
            eprintln!("asyncio-bench report: {message}");
            std::process::exit(1);
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let case_filter = args
        .iter()
        .position(|a| a == "--case")
        .map(|at| match args.get(at + 1) {
            Some(name) => name.clone(),
            None => {
                eprintln!("asyncio-bench: `--case` needs a case name");
                std::process::exit(2);
            }
        });
    let loops_value = args
        .iter()
        .position(|a| a == "--loops")
        .and_then(|at| args.get(at + 1));
    let selected: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--") && Some(*a) != case_filter.as_ref())
        .filter(|a| Some(*a) != loops_value)
        .map(String::as_str)
        .collect();
    for name in &selected {
        if !GROUPS.iter().any(|(group, _)| group == name) {
            let known: Vec<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
            eprintln!("asyncio-bench: unknown group `{name}` (known: {known:?})");
            std::process::exit(2);
        }
    }
    for (name, run) in GROUPS {
        if selected.is_empty() || selected.contains(name) {
            run(&Bench::new(name, quick).with_case_filter(case_filter.clone()));
        }
    }
}
