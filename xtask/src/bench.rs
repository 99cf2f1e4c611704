//! `cargo xtask bench [GROUP] [--quick] [--loops N]`: runs the benchmark crate (`asyncio-bench`) and,
//! where a Python is present, the CPython counterparts in `crates/asyncio-bench/python/`,
//! then prints each peer's figure as a ratio to ours (a cost ratio: below 1.00, ours costs
//! less, for rates as for costs).
//!
//! Every measurement is one line `GROUP/CASE IMPLEMENTATION VALUE UNIT`. Our implementations
//! are the ones whose name starts with `asyncio-`. `--quick` (used by CI) builds in the dev
//! profile, reusing the test build, and runs each case briefly: it proves the benchmarks work,
//! its figures mean nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::cmd::{self, cargo, workspace_root};

/// Runs the selected groups and prints the ratio table; with `--report`, regenerates the
/// benchmarks document instead (see `report`).
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--report") {
        return crate::report::run(args);
    }
    let quick = args.iter().any(|a| a == "--quick");
    // `--loops N`: how far the `multicore` group scales (default: the cores available).
    let loops = args
        .iter()
        .position(|a| a == "--loops")
        .map(|at| args.get(at + 1).ok_or("`--loops` needs a number"))
        .transpose()?;
    let groups: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with("--") && Some(*a) != loops)
        .collect();
    if groups.len() > 1 {
        return Err("bench takes at most one GROUP".into());
    }
    let group = groups.first().map(|g| g.as_str());

    let mut command = cargo(["run", "--package", "asyncio-bench"]);
    if !quick {
        command.args(["--profile", "bench"]);
    }
    command.arg("--");
    command.args(group);
    if quick {
        command.arg("--quick");
    }
    if let Some(loops) = loops {
        command.args(["--loops", loops]);
    }
    let mut lines = capture_lines(&mut command)?;
    lines.extend(run_python(group, quick)?);
    print_ratios(&lines);
    Ok(())
}

/// Runs a command, echoing its stdout line by line as it comes (a full run takes minutes),
/// and returns the lines.
pub(crate) fn capture_lines(command: &mut Command) -> Result<Vec<String>, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", cmd::describe(command)))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading `{}`: {e}", cmd::describe(command)))?;
        println!("{line}");
        lines.push(line);
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{}`: {e}", cmd::describe(command)))?;
    if !status.success() {
        return Err(format!("`{}` failed ({status})", cmd::describe(command)));
    }
    Ok(lines)
}

/// Runs `python/<group>.py` for each selected group that has one, if `python3` is here.
pub(crate) fn run_python(group: Option<&str>, quick: bool) -> Result<Vec<String>, String> {
    let python_dir = workspace_root().join("crates/asyncio-bench/python");
    let Ok(entries) = std::fs::read_dir(&python_dir) else {
        return Ok(Vec::new());
    };
    let mut scripts: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        // `_name.py` is a module the group scripts share, not a group.
        .filter(|p| {
            p.file_stem()
                .is_some_and(|s| !s.to_string_lossy().starts_with('_'))
        })
        .filter(|p| group.is_none_or(|g| p.file_stem().is_some_and(|s| s == g)))
        .collect();
    scripts.sort();
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    if !cmd::succeeds(Command::new("python3").arg("--version")) {
        println!("# python3 not found: CPython comparisons skipped");
        return Ok(Vec::new());
    }
    let python = if quick {
        "python3".into()
    } else {
        python_with_uvloop()
    };
    let mut lines = Vec::new();
    for script in scripts {
        let mut command = Command::new(&python);
        command.arg(&script);
        if quick {
            command.arg("--quick");
        }
        lines.extend(capture_lines(&mut command)?);
    }
    Ok(lines)
}

/// A full run compares with uvloop too (and the `files` group with aiofiles): they live in a
/// virtualenv under `target/` that this makes on first use (PyPI is the only thing it
/// needs). Where that fails the run goes on with the plain `python3`, and the scripts say
/// what was skipped.
fn python_with_uvloop() -> std::path::PathBuf {
    let venv = crate::ci::target_dir().join("bench-venv");
    let python = venv.join("bin").join("python3");
    let has_uvloop = |python: &std::path::Path| {
        cmd::succeeds(Command::new(python).args(["-c", "import uvloop, aiofiles"]))
    };
    if python.is_file() && has_uvloop(&python) {
        return python;
    }
    println!(
        "# setting up {} with uvloop and aiofiles (once)",
        venv.display()
    );
    let made = cmd::succeeds(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        && cmd::succeeds(
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "uvloop", "aiofiles"]),
        );
    if made && has_uvloop(&python) {
        python
    } else {
        println!("# could not install uvloop: CPython's own loop only");
        "python3".into()
    }
}

/// One parsed measurement line.
struct Measurement<'a> {
    case: &'a str,
    implementation: &'a str,
    value: f64,
    unit: &'a str,
}

fn parse(line: &str) -> Option<Measurement<'_>> {
    let mut words = line.split_whitespace();
    let case = words.next()?;
    let implementation = words.next()?;
    let value = words.next()?.parse().ok()?;
    let unit = words.next()?;
    (words.next().is_none() && case.contains('/')).then_some(Measurement {
        case,
        implementation,
        value,
        unit,
    })
}

/// Whether a bigger figure is better in `unit`: rates (`req/s`, `MiB/s`, `conn/s`) are,
/// costs (`ns/op`, `ms`, `bytes/task`) are not.
fn higher_is_better(unit: &str) -> bool {
    unit.ends_with("/s")
}

/// Ours against a peer as a cost ratio: ours / peer for a cost, peer / ours for a rate (the
/// ratio of the time each takes per unit of work), so below 1.00 always means ours costs less.
fn cost_ratio(ours: f64, peer: f64, unit: &str) -> Option<f64> {
    let ratio = if higher_is_better(unit) {
        peer / ours
    } else {
        ours / peer
    };
    (ours > 0.0 && peer > 0.0).then_some(ratio)
}

/// For each case, ours against every peer's figure in the same unit: below 1.00 we are
/// cheaper, whichever way the unit points.
fn print_ratios(lines: &[String]) {
    let mut cases: BTreeMap<&str, Vec<Measurement<'_>>> = BTreeMap::new();
    for m in lines.iter().filter_map(|l| parse(l)) {
        cases.entry(m.case).or_default().push(m);
    }
    if cases.is_empty() {
        return;
    }
    println!(
        "\n# ratios: ours / peer for costs, peer / ours for rates (units ending in /s), \
         so below 1.00 means ours costs less"
    );
    for (case, measurements) in &cases {
        let ours = measurements
            .iter()
            .filter(|m| m.implementation.starts_with("asyncio-"));
        for our in ours {
            for peer in measurements
                .iter()
                .filter(|m| !m.implementation.starts_with("asyncio-") && m.unit == our.unit)
            {
                if let Some(ratio) = cost_ratio(our.value, peer.value, our.unit) {
                    println!(
                        "# {case} {}/{} {ratio:.2}",
                        our.implementation, peer.implementation
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cost_ratio, parse};

    #[test]
    fn a_cost_is_divided_ours_by_peer() {
        assert_eq!(cost_ratio(50.0, 100.0, "ns/op"), Some(0.5));
        assert_eq!(cost_ratio(300.0, 100.0, "bytes/conn"), Some(3.0));
    }

    #[test]
    fn a_rate_is_divided_peer_by_ours_so_below_one_still_means_cheaper() {
        // Ours does twice the requests per second: it costs half as much per request.
        assert_eq!(cost_ratio(200_000.0, 100_000.0, "req/s"), Some(0.5));
        assert_eq!(cost_ratio(1000.0, 4000.0, "MiB/s"), Some(4.0));
    }

    #[test]
    fn a_zero_figure_gives_no_ratio() {
        assert_eq!(cost_ratio(0.0, 10.0, "req/s"), None);
        assert_eq!(cost_ratio(10.0, 0.0, "ns/op"), None);
    }

    #[test]
    fn measurement_lines_parse_and_comments_do_not() {
        let m = parse("io/echo asyncio-loop 123456.7 req/s").expect("a measurement");
        assert_eq!(
            (m.case, m.implementation, m.unit),
            ("io/echo", "asyncio-loop", "req/s")
        );
        assert!(parse("# uvloop not importable: uvloop comparisons skipped").is_none());
    }
}
