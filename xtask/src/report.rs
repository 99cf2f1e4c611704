//! `cargo xtask bench --report [GROUP...] [--quick] [--out DIR]`: runs the groups (all of
//! them by default) with every measurement also appended to a results file of JSON lines,
//! then has `asyncio-bench report` write that into `docs/benchmarks.md` (the parts between
//! its `<!-- report:... -->` markers) and `docs/charts/GROUP.svg`.
//!
//! `--out DIR` writes into `DIR/benchmarks.md` (starting from a copy of the docs' one, so its
//! prose and markers are there) and `DIR/charts/` instead, leaving `docs/` alone. A `--quick`
//! run's figures mean nothing, so without `--out` it writes under `target/bench-report/`,
//! never into `docs/`; CI renders a `--quick` run there to prove the report path works.
//!
//! The JSON and the charts are the benchmark crate's business (serde_json, plotters): this
//! task only runs programs, so it still builds with `std` alone.

use crate::bench::{capture_lines, run_python};
use crate::cmd::{self, cargo, workspace_root};

/// The variable the benchmark binary and the Python scripts append their results to.
const RESULTS_ENV: &str = "ASYNCIO_BENCH_RESULTS";

/// What `bench --report ...` was asked for.
#[derive(Debug, PartialEq)]
struct Request<'a> {
    quick: bool,
    /// `--out DIR`.
    out: Option<&'a str>,
    /// `--loops N`, passed on to the `multicore` group.
    loops: Option<&'a str>,
    /// The groups named; none means every group.
    groups: Vec<&'a str>,
}

fn parse(args: &[String]) -> Result<Request<'_>, String> {
    // The flags that take a value: the word after each is not a group.
    let value_of = |flag: &str, what: &str| -> Result<Option<(usize, &str)>, String> {
        match args.iter().position(|a| a == flag) {
            Some(at) => match args.get(at + 1).filter(|v| !v.starts_with("--")) {
                Some(value) => Ok(Some((at + 1, value.as_str()))),
                None => Err(format!("`{flag}` needs {what}")),
            },
            None => Ok(None),
        }
    };
    let out = value_of("--out", "a directory")?;
    let loops = value_of("--loops", "a number")?;
    let groups = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            !a.starts_with("--") && ![out, loops].iter().flatten().any(|&(at, _)| at == i)
        })
        .map(|(_, a)| a.as_str())
        .collect();
    Ok(Request {
        quick: args.iter().any(|a| a == "--quick"),
        out: out.map(|(_, dir)| dir),
        loops: loops.map(|(_, n)| n),
        groups,
    })
}

/// Runs the report with `bench`'s arguments (`--report` among them).
pub fn run(args: &[String]) -> Result<(), String> {
    let Request {
        quick,
        out,
        loops,
        groups,
    } = parse(args)?;
    let out_dir = match out {
        // Absolute: the report itself runs in the workspace root, maybe not here.
        Some(dir) => std::env::current_dir()
            .map_err(|e| format!("no current directory: {e}"))?
            .join(dir),
        None if quick => crate::ci::target_dir().join("bench-report"),
        None => workspace_root().join("docs"),
    };

    let docs = workspace_root().join("docs").join("benchmarks.md");
    let doc = out_dir.join("benchmarks.md");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("could not create {}: {e}", out_dir.display()))?;
    if doc != docs {
        std::fs::copy(&docs, &doc).map_err(|e| {
            format!(
                "could not copy {} to {}: {e}",
                docs.display(),
                doc.display()
            )
        })?;
    }
    // The results beside the report for `--out`, where a person looks at them; under
    // `target/` for the docs' report, so that `docs/` holds only what is published.
    let results = match out {
        Some(_) => out_dir.join("results.jsonl"),
        None => crate::ci::target_dir().join("bench-report-results.jsonl"),
    };
    if results.exists() {
        std::fs::remove_file(&results)
            .map_err(|e| format!("could not remove {}: {e}", results.display()))?;
    }
    // SAFETY: xtask is one thread here (nothing it started is running yet), so no other
    // thread reads the environment while it changes; the children inherit the variable.
    unsafe { std::env::set_var(RESULTS_ENV, &results) };

    let profile: &[&str] = if quick { &[] } else { &["--profile", "bench"] };
    let mut command = cargo(["run", "--package", "asyncio-bench"]);
    command.args(profile).arg("--").args(&groups);
    if quick {
        command.arg("--quick");
    }
    if let Some(loops) = loops {
        command.args(["--loops", loops]);
    }
    capture_lines(&mut command)?;
    if groups.is_empty() {
        run_python(None, quick)?;
    }
    for group in &groups {
        run_python(Some(group), quick)?;
    }

    let mut report = cargo(["run", "--quiet", "--package", "asyncio-bench"]);
    report
        .args(profile)
        .args(["--", "report"])
        .arg(&results)
        .arg("--doc")
        .arg(&doc);
    if quick {
        report.arg("--quick");
    }
    cmd::run(&mut report)?;
    println!("# results: {}", results.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Request, parse};

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn groups_flags_and_the_out_directory_are_told_apart() {
        let every = args(&["--report"]);
        assert_eq!(
            parse(&every),
            Ok(Request {
                quick: false,
                out: None,
                loops: None,
                groups: vec![]
            })
        );
        let some = args(&[
            "--report",
            "loop",
            "--out",
            "target/r",
            "--quick",
            "multicore",
            "--loops",
            "4",
        ]);
        assert_eq!(
            parse(&some),
            Ok(Request {
                quick: true,
                out: Some("target/r"),
                loops: Some("4"),
                groups: vec!["loop", "multicore"]
            })
        );
        assert!(parse(&args(&["--report", "--out"])).is_err());
        assert!(parse(&args(&["--report", "--out", "--quick"])).is_err());
        assert!(parse(&args(&["--report", "--loops"])).is_err());
    }
}
