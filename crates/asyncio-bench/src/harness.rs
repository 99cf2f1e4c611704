//! Measuring and reporting: median of several timed runs, printed in the one line format
//! `GROUP/CASE IMPLEMENTATION VALUE UNIT` that `cargo xtask bench` reads, and appended as a
//! JSON line to the results file the report reads (see `results`).

use std::time::{Duration, Instant};

/// Whether `implementation` is measured in this run: all of them, unless the
/// `ASYNCIO_BENCH_IMPL` environment variable names one. Profiling one runtime alone
/// (`strace -c`, `perf stat`, callgrind) needs its own process, since the tools count a
/// whole process.
fn wants_implementation(implementation: &str) -> bool {
    std::env::var("ASYNCIO_BENCH_IMPL").map_or(true, |only| only == implementation)
}

/// How many timed runs a full measurement takes the median of.
const FULL_RUNS: usize = 7;

/// One group's view of the run: its name and whether this is a `--quick` smoke run.
pub struct Bench {
    group: &'static str,
    quick: bool,
    case_filter: Option<String>,
}

impl Bench {
    /// A bench context for `group`.
    pub fn new(group: &'static str, quick: bool) -> Self {
        Self {
            group,
            quick,
            case_filter: None,
        }
    }

    /// Runs only the cases whose name contains `filter` (all when `None`).
    pub fn with_case_filter(mut self, filter: Option<String>) -> Self {
        self.case_filter = filter;
        self
    }

    /// Whether `case` is selected: groups ask before setting a case up.
    pub fn wants(&self, case: &str) -> bool {
        self.case_filter
            .as_ref()
            .is_none_or(|f| case.contains(f.as_str()))
    }

    /// Whether this is a `--quick` smoke run (sizes shrink, one timed run per case).
    pub fn quick(&self) -> bool {
        self.quick
    }

    /// `full` in a real run, `quick` in a smoke run.
    pub fn size(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }

    /// Times `routine` (which does `ops` operations and returns how long its measured part
    /// took, so it can keep its own set-up out of the figure) several times, and prints the
    /// median in nanoseconds per operation.
    pub fn ns_per_op(
        &self,
        case: &str,
        implementation: &str,
        ops: usize,
        mut routine: impl FnMut() -> Duration,
    ) {
        if !self.wants(case) || !wants_implementation(implementation) {
            return;
        }
        let runs = if self.quick { 1 } else { FULL_RUNS };
        let mut samples: Vec<f64> = (0..runs)
            .map(|_| routine().as_nanos() as f64 / ops.max(1) as f64)
            .collect();
        self.report(case, implementation, median(&mut samples), "ns/op");
    }

    /// Times `routine` (which does `count` units of work, requests or bytes or connections,
    /// and returns how long its measured part took) several times, and prints the median
    /// rate, `count` per second in `unit` (which should end in `/s`: `cargo xtask bench`
    /// reads such units as higher-is-better).
    pub fn per_second(
        &self,
        case: &str,
        implementation: &str,
        count: f64,
        unit: &str,
        mut routine: impl FnMut() -> Duration,
    ) {
        if !self.wants(case) || !wants_implementation(implementation) {
            return;
        }
        let runs = if self.quick { 1 } else { FULL_RUNS };
        let mut samples: Vec<f64> = (0..runs)
            .map(|_| count / routine().as_secs_f64().max(1e-9))
            .collect();
        self.report(case, implementation, median(&mut samples), unit);
    }

    /// Prints one measurement line.
    pub fn report(&self, case: &str, implementation: &str, value: f64, unit: &str) {
        self.report_decimals(case, implementation, value, 1, unit);
    }

    /// Prints one measurement line with `decimals` digits after the point: one (what
    /// [`report`](Self::report) gives) is too coarse for a latency under a millisecond. The
    /// figure goes to the results file as printed, so the report shows what was read.
    pub fn report_decimals(
        &self,
        case: &str,
        implementation: &str,
        value: f64,
        decimals: usize,
        unit: &str,
    ) {
        let printed = format!("{value:.decimals$}");
        println!("{}/{case} {implementation} {printed} {unit}", self.group);
        // Paths spelled out rather than imported: the import block is where other changes
        // to this file land too.
        crate::results::append(&crate::results::Record {
            group: self.group.into(),
            case: case.into(),
            implementation: implementation.into(),
            value: printed.parse().unwrap_or(value),
            unit: unit.into(),
        });
    }
}

/// How long `f` takes to run once.
pub fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
