//! `cargo xtask bench [GROUP] [--quick]`: runs the benchmark crate (`asyncio-bench`) and,
//! where a Python is present, the CPython counterparts in `crates/asyncio-bench/python/`,
//! then prints each peer's figure as a ratio to ours.
//!
//! Every measurement is one line `GROUP/CASE IMPLEMENTATION VALUE UNIT`. Our implementations
//! are the ones whose name starts with `asyncio-`. `--quick` (used by CI) builds in the dev
//! profile, reusing the test build, and runs each case briefly: it proves the benchmarks work,
//! its figures mean nothing.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use crate::cmd::{self, cargo, workspace_root};

/// Runs the selected groups and prints the ratio table.
pub fn run(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let groups: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
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
    let mut lines = capture_lines(&mut command)?;
    lines.extend(run_python(group, quick)?);
    print_ratios(&lines);
    Ok(())
}

/// Runs a command, echoing its stdout as it comes, and returns the measurement lines.
fn capture_lines(command: &mut Command) -> Result<Vec<String>, String> {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{}`: {e}", cmd::describe(command)))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{text}");
    if !output.status.success() {
        return Err(format!(
            "`{}` failed ({})",
            cmd::describe(command),
            output.status
        ));
    }
    Ok(text.lines().map(str::to_owned).collect())
}

/// Runs `python/<group>.py` for each selected group that has one, if `python3` is here.
fn run_python(group: Option<&str>, quick: bool) -> Result<Vec<String>, String> {
    let python_dir = workspace_root().join("crates/asyncio-bench/python");
    let Ok(entries) = std::fs::read_dir(&python_dir) else {
        return Ok(Vec::new());
    };
    let mut scripts: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .filter(|p| group.is_none_or(|g| p.file_stem().is_some_and(|s| s == g)))
        .collect();
    scripts.sort();
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    let python_here = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !python_here {
        println!("# python3 not found: CPython comparisons skipped");
        return Ok(Vec::new());
    }
    let mut lines = Vec::new();
    for script in scripts {
        let mut command = Command::new("python3");
        command.arg(&script);
        if quick {
            command.arg("--quick");
        }
        lines.extend(capture_lines(&mut command)?);
    }
    Ok(lines)
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

/// For each case, every peer's figure divided into ours: below 1.00 we are cheaper.
fn print_ratios(lines: &[String]) {
    let mut cases: BTreeMap<&str, Vec<Measurement<'_>>> = BTreeMap::new();
    for m in lines.iter().filter_map(|l| parse(l)) {
        cases.entry(m.case).or_default().push(m);
    }
    if cases.is_empty() {
        return;
    }
    println!("\n# ratios: ours / peer, same unit (below 1.00 means ours costs less)");
    for (case, measurements) in &cases {
        let ours = measurements
            .iter()
            .filter(|m| m.implementation.starts_with("asyncio-"));
        for our in ours {
            for peer in measurements
                .iter()
                .filter(|m| !m.implementation.starts_with("asyncio-") && m.unit == our.unit)
            {
                if peer.value > 0.0 {
                    println!(
                        "# {case} {}/{} {:.2}",
                        our.implementation,
                        peer.implementation,
                        our.value / peer.value
                    );
                }
            }
        }
    }
}
