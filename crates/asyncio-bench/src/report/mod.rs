//! `asyncio-bench report RESULTS --doc PATH [--quick]`: turns a results file (JSON lines, see
//! `results`) into the generated parts of the benchmarks document at PATH, one table per
//! group and the machine it ran on, and into one SVG chart per group in `charts/` beside the
//! document. `cargo xtask bench --report` runs the groups and then this.
//!
//! Every group found in the results gets its table and chart: a new group needs no change
//! here, only its registration in `main.rs` (and, for its prose, markers in the document
//! wherever its section should sit; see `doc`).

mod chart;
mod doc;
mod machine;
mod table;

use std::path::{Path, PathBuf};

use crate::results::{self, Record};
use machine::Machine;
use table::Table;

/// Runs the `report` subcommand with its arguments (those after `report`).
pub fn main(args: &[String]) -> Result<(), String> {
    let usage = "usage: asyncio-bench report RESULTS --doc PATH [--quick]";
    let quick = args.iter().any(|a| a == "--quick");
    let doc_path = args
        .iter()
        .position(|a| a == "--doc")
        .and_then(|at| args.get(at + 1))
        .map(PathBuf::from)
        .ok_or(usage)?;
    let results_path = args
        .iter()
        .enumerate()
        .find(|&(i, a)| !a.starts_with("--") && (i == 0 || args[i - 1] != "--doc"))
        .map(|(_, a)| PathBuf::from(a))
        .ok_or(usage)?;
    let records = results::read(&results_path)?;
    if records.is_empty() {
        return Err(format!("{} holds no results", results_path.display()));
    }
    let before = std::fs::read_to_string(&doc_path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let (after, charts) = render(&before, &records, &Machine::here(), quick)?;
    write(&doc_path, &after)?;
    let chart_dir = doc_path.parent().unwrap_or(Path::new(".")).join("charts");
    for (group, svg) in &charts {
        write(&chart_dir.join(format!("{group}.svg")), svg)?;
    }
    println!(
        "# report: {} ({} groups), charts in {}",
        doc_path.display(),
        groups(&records).len(),
        chart_dir.display()
    );
    Ok(())
}

/// The groups in `records`, in the order first measured.
fn groups(records: &[Record]) -> Vec<&str> {
    let mut groups: Vec<&str> = Vec::new();
    for r in records {
        if !groups.contains(&r.group.as_str()) {
            groups.push(&r.group);
        }
    }
    groups
}

/// `doc` with its generated parts made from `records` on `machine`, and each group's chart
/// as `(group, svg)`.
pub fn render(
    doc: &str,
    records: &[Record],
    machine: &Machine,
    quick: bool,
) -> Result<(String, Vec<(String, String)>), String> {
    let mut doc = doc::replace(
        doc,
        "machine",
        "## Machine (generated)",
        &machine.markdown(),
    )?;
    let mut charts = Vec::new();
    for group in groups(records) {
        let table = Table::new(group, records);
        let chart = chart::svg(group, &table.versus_best())?;
        let mut section = format!(
            "Command: `cargo xtask bench {group}{}`, run {} at commit `{}` on the machine \
             above.{}\n\n",
            if quick { " --quick" } else { "" },
            machine.when,
            machine.commit,
            if quick {
                " A `--quick` run: it proves the path works, its figures mean nothing."
            } else {
                ""
            },
        );
        section.push_str(&table.markdown());
        section.push_str(
            "\nA peer's figure is followed by ours as a cost ratio to it: ours / theirs for a \
             cost, theirs / ours for a rate (a unit in `/s`), so below 1.00 ours costs less. \
             Floors (`*-floor`) are shown, but are the best peer only where a case has no \
             other.",
        );
        let ours = table.ours();
        if ours.len() > 1 {
            section.push_str(&format!(
                " Of ours, the ratios are `{}`'s (the first measured); `{}` is shown for \
                 comparison.",
                ours[0],
                ours[1..].join("`, `"),
            ));
        }
        section.push('\n');
        if let Some(svg) = chart {
            section.push_str(&format!(
                "\n![{group}: ours against the best peer in each case](charts/{group}.svg)\n"
            ));
            charts.push((group.to_owned(), svg));
        }
        doc = doc::replace(&doc, group, &format!("## {group} (generated)"), &section)?;
    }
    Ok((doc, charts))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("could not write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{Machine, render};
    use crate::results::Record;

    fn record(group: &str, case: &str, implementation: &str, value: f64, unit: &str) -> Record {
        Record {
            group: group.into(),
            case: case.into(),
            implementation: implementation.into(),
            value,
            unit: unit.into(),
        }
    }

    fn machine() -> Machine {
        Machine {
            cpu: "Test CPU".into(),
            cores: 2,
            memory_gib: None,
            kernel: "6.1".into(),
            rustc: "rustc 1.90.0".into(),
            python: "Python 3.11.7".into(),
            commit: "abc1234".into(),
            when: "2026-12-05 03:00 UTC".into(),
        }
    }

    #[test]
    fn canned_results_become_tables_charts_and_a_document_with_its_prose_kept() {
        let doc = "# Benchmarks\n\nIntro prose.\n\n<!-- report:machine begin -->\nold machine\n\
                   <!-- report:machine end -->\n\n## loop\n\nLoop prose.\n\n\
                   <!-- report:loop begin -->\nold loop figures\n<!-- report:loop end -->\n\n\
                   Loop history.\n";
        let records = [
            record("loop", "spawn_await", "asyncio-loop", 125.0, "ns/op"),
            record("loop", "spawn_await", "tokio", 500.0, "ns/op"),
            record("loop", "spawn_await", "smol", 250.0, "ns/op"),
            record("io", "echo", "asyncio-loop", 88_000.0, "req/s"),
            record("io", "echo", "tokio-current-thread", 110_000.0, "req/s"),
            record("io", "echo", "epoll-floor", 90_000.0, "req/s"),
        ];
        let (out, charts) = render(doc, &records, &machine(), false).expect("renders");

        for prose in ["Intro prose.", "Loop prose.", "Loop history."] {
            assert!(out.contains(prose), "{prose} kept");
        }
        assert!(!out.contains("old machine") && !out.contains("old loop figures"));
        assert!(out.contains("Test CPU, 2 logical CPUs, Linux 6.1"));
        assert!(out.contains("Command: `cargo xtask bench loop`"));
        assert!(out.contains(
            "| `spawn_await` | ns/op | 125.0 | 500.0 (0.25) | 250.0 (0.50) | **0.50** smol |"
        ));
        assert!(out.contains("![loop: ours against the best peer in each case](charts/loop.svg)"));
        // `io` had no markers: its section is appended, ratio 110k / 88k = 1.25 against the
        // best peer, the floor shown but not taken as the peer.
        let io = out.find("## io (generated)").expect("io appended");
        assert!(io > out.find("Loop history.").expect("kept"));
        assert!(out.contains(
            "| `echo` | req/s | 88,000 | 110,000 (1.25) | 90,000 (1.02) | **1.25** tokio-current-thread |"
        ));

        let names: Vec<&str> = charts.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, ["loop", "io"]);
        assert!(charts[0].1.contains("spawn_await (vs smol)") && charts[0].1.contains("\n0.50\n"));
        assert!(charts[1].1.contains("echo (vs tokio-current-thread)"));

        // A second report over the first output replaces, never duplicates.
        let (again, _) = render(&out, &records, &machine(), false).expect("renders again");
        assert_eq!(again, out);
    }

    #[test]
    fn with_two_of_ours_the_note_says_which_the_ratios_are_of() {
        let records = [
            record("timer", "insert", "asyncio-timer", 20.0, "ns/op"),
            record("timer", "insert", "asyncio-timer-instant", 40.0, "ns/op"),
            record("timer", "insert", "binaryheap", 40.0, "ns/op"),
        ];
        let (out, _) = render("# Benchmarks\n", &records, &machine(), false).expect("renders");
        assert!(out.contains(
            "the ratios are `asyncio-timer`'s (the first measured); `asyncio-timer-instant` is \
             shown for comparison."
        ));
        assert!(out.contains("| 20.0 | 40.0 | 40.0 (0.50) | **0.50** binaryheap |"));
    }

    #[test]
    fn a_quick_run_says_its_figures_mean_nothing() {
        let records = [
            record("loop", "yield_2", "asyncio-loop", 30.0, "ns/op"),
            record("loop", "yield_2", "tokio", 60.0, "ns/op"),
        ];
        let (out, _) = render("# Benchmarks\n", &records, &machine(), true).expect("renders");
        assert!(out.contains("`cargo xtask bench loop --quick`"));
        assert!(out.contains("its figures mean nothing"));
    }
}
