//! Measurements as data: one JSON object per line, `{"group", "case", "implementation",
//! "value", "unit"}`, appended to the file named by `ASYNCIO_BENCH_RESULTS` as each figure is
//! taken (the CPython scripts append the same lines, see `python/_results.py`), and read back
//! by `asyncio-bench report`.
//!
//! The printed line `GROUP/CASE IMPLEMENTATION VALUE UNIT` stays what a person reads; the
//! JSON line is what the report reads, so a change of wording or rounding in one never
//! breaks the other. Lines are appended whole with one `write` each, so the Rust process and
//! the Python ones can share a file (they run one after another anyway).

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

/// The environment variable naming the results file. Unset: nothing is written.
pub const RESULTS_ENV: &str = "ASYNCIO_BENCH_RESULTS";

/// One measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The group, `loop`.
    pub group: String,
    /// The case within the group, `spawn_await`.
    pub case: String,
    /// Who was measured, `asyncio-loop` or `tokio`; ours start with `asyncio-`.
    pub implementation: String,
    /// The figure, in `unit`.
    pub value: f64,
    /// `ns/op`, `req/s`, ...: a unit ending in `/s` is a rate (higher is better), any other
    /// a cost (lower is better).
    pub unit: String,
}

impl Record {
    /// This record as one JSON line (no newline).
    pub fn to_json_line(&self) -> String {
        json!({
            "group": self.group,
            "case": self.case,
            "implementation": self.implementation,
            "value": self.value,
            "unit": self.unit,
        })
        .to_string()
    }

    /// Parses one JSON line; `None` for anything else (blank lines, comments).
    pub fn from_json_line(line: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(line.trim()).ok()?;
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        Some(Self {
            group: text("group")?,
            case: text("case")?,
            implementation: text("implementation")?,
            value: value.get("value")?.as_f64()?,
            unit: text("unit")?,
        })
    }
}

/// Whether `implementation` is one of ours.
pub fn is_ours(implementation: &str) -> bool {
    implementation.starts_with("asyncio-")
}

/// Whether `implementation` is a hand-written floor (`epoll-floor`, `boxed-closure-floor`)
/// rather than a runtime: shown beside the peers, never taken as the best peer.
pub fn is_floor(implementation: &str) -> bool {
    implementation == "floor" || implementation.ends_with("-floor")
}

/// Whether a bigger figure is better in `unit`: rates (`req/s`, `MiB/s`) are, costs are not.
pub fn higher_is_better(unit: &str) -> bool {
    unit.ends_with("/s")
}

/// Ours against another figure in the same unit, as a cost ratio: ours / theirs for a cost,
/// theirs / ours for a rate (the time each takes per unit of work), so below 1.00 always
/// means ours costs less. `None` where a figure is not positive.
pub fn cost_ratio(ours: f64, theirs: f64, unit: &str) -> Option<f64> {
    let ratio = if higher_is_better(unit) {
        theirs / ours
    } else {
        ours / theirs
    };
    (ours > 0.0 && theirs > 0.0).then_some(ratio)
}

/// Appends `record` to the results file when `ASYNCIO_BENCH_RESULTS` names one.
pub fn append(record: &Record) {
    let Some(path) = std::env::var_os(RESULTS_ENV) else {
        return;
    };
    if let Err(e) = append_to(Path::new(&path), record) {
        // A benchmark run is not worth losing over its results file: say so and go on.
        eprintln!(
            "asyncio-bench: could not append to {}: {e}",
            Path::new(&path).display()
        );
    }
}

/// Appends `record` to the file at `path` as one line, in one `write`.
fn append_to(path: &Path, record: &Record) -> std::io::Result<()> {
    let mut line = record.to_json_line();
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()))
}

/// Every record in a results file, in the order taken.
pub fn read(path: &Path) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    Ok(text.lines().filter_map(Record::from_json_line).collect())
}

#[cfg(test)]
mod tests {
    use super::{Record, append_to, cost_ratio, is_floor, read};

    #[test]
    fn a_record_survives_its_json_line() {
        let record = Record {
            group: "loop".into(),
            case: "spawn_await".into(),
            implementation: "asyncio-loop".into(),
            value: 125.75,
            unit: "ns/op".into(),
        };
        let line = record.to_json_line();
        assert!(!line.contains('\n'));
        assert_eq!(Record::from_json_line(&line), Some(record));
        assert_eq!(Record::from_json_line("# a comment"), None);
        assert_eq!(Record::from_json_line(r#"{"group": "loop"}"#), None);
    }

    #[test]
    fn appended_records_are_read_back_in_order_past_other_lines() {
        let path = std::env::temp_dir().join(format!(
            "asyncio-bench-results-test-{}.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let record = |implementation: &str, value: f64| Record {
            group: "io".into(),
            case: "echo".into(),
            implementation: implementation.into(),
            value,
            unit: "req/s".into(),
        };
        append_to(&path, &record("asyncio-loop", 88_000.0)).expect("appended");
        // What a Python script appends, as `python/_results.py` writes it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| {
                std::io::Write::write_all(
                    &mut f,
                    b"{\"group\": \"io\", \"case\": \"echo\", \"implementation\": \"uvloop\", \
                      \"value\": 56783.0, \"unit\": \"req/s\"}\nnot json\n",
                )
            })
            .expect("a Python line appended");
        append_to(&path, &record("tokio", 91_000.0)).expect("appended");
        let read_back = read(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            read_back,
            [
                record("asyncio-loop", 88_000.0),
                record("uvloop", 56_783.0),
                record("tokio", 91_000.0)
            ]
        );
    }

    #[test]
    fn a_cost_is_divided_ours_by_theirs_and_a_rate_theirs_by_ours() {
        assert_eq!(cost_ratio(50.0, 100.0, "ns/op"), Some(0.5));
        // Ours does twice the requests per second: it costs half as much per request.
        assert_eq!(cost_ratio(200_000.0, 100_000.0, "req/s"), Some(0.5));
        assert_eq!(cost_ratio(0.0, 10.0, "req/s"), None);
    }

    #[test]
    fn floors_are_told_apart_from_runtimes() {
        assert!(is_floor("epoll-floor"));
        assert!(!is_floor("tokio"));
        assert!(!is_floor("floorless"));
    }
}
