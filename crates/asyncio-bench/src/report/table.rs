//! One group's results as a table: a row per case, a column per implementation, each peer's
//! figure followed by ours as a cost ratio to it, and the ratio to the best peer, which is
//! also what the group's chart draws.

use std::fmt::Write;

use crate::results::{Record, cost_ratio, is_floor, is_ours};

/// One case's figures, in the order the implementations were measured.
#[derive(Debug)]
pub struct Row {
    /// The case, without its group.
    pub case: String,
    /// The unit every figure of the row is in.
    pub unit: String,
    /// `(implementation, value)`.
    pub figures: Vec<(String, f64)>,
}

impl Row {
    /// The row's figure for `implementation`.
    fn figure(&self, implementation: &str) -> Option<f64> {
        self.figures
            .iter()
            .find(|(name, _)| name == implementation)
            .map(|&(_, value)| value)
    }

    /// Ours: the first of our implementations measured in this case.
    fn ours(&self) -> Option<&(String, f64)> {
        self.figures.iter().find(|(name, _)| is_ours(name))
    }
}

/// A group's figures, rows and columns in the order first measured.
#[derive(Debug)]
pub struct Table {
    /// Every implementation measured in the group, ours first.
    pub implementations: Vec<String>,
    /// One per case and unit.
    pub rows: Vec<Row>,
}

/// Ours against the best peer in one case: what the chart draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Versus {
    /// The case.
    pub case: String,
    /// Our implementation.
    pub ours: String,
    /// The peer with the lowest cost (a floor only where the case has no peer).
    pub best: String,
    /// Ours / best as a cost ratio: below 1.00 ours costs less.
    pub ratio: f64,
}

impl Table {
    /// The table of `records`, all of `group` (others are ignored). A case measured twice by
    /// the same implementation keeps the later figure.
    pub fn new(group: &str, records: &[Record]) -> Self {
        let mut implementations: Vec<String> = Vec::new();
        let mut rows: Vec<Row> = Vec::new();
        for r in records.iter().filter(|r| r.group == group) {
            if !implementations.contains(&r.implementation) {
                implementations.push(r.implementation.clone());
            }
            let at = match rows
                .iter()
                .position(|row| row.case == r.case && row.unit == r.unit)
            {
                Some(at) => at,
                None => {
                    rows.push(Row {
                        case: r.case.clone(),
                        unit: r.unit.clone(),
                        figures: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            let figures = &mut rows[at].figures;
            figures.retain(|(name, _)| *name != r.implementation);
            figures.push((r.implementation.clone(), r.value));
        }
        // Ours first, then the rest as measured (a stable sort keeps their order).
        implementations.sort_by_key(|name| !is_ours(name));
        Self {
            implementations,
            rows,
        }
    }

    /// Our implementations in the group, in the order first measured.
    pub fn ours(&self) -> Vec<&str> {
        self.implementations
            .iter()
            .map(String::as_str)
            .filter(|name| is_ours(name))
            .collect()
    }

    /// For each case with ours and a peer (or, lacking one, a floor): ours against the
    /// cheapest of them.
    pub fn versus_best(&self) -> Vec<Versus> {
        self.rows
            .iter()
            .filter_map(|row| {
                let (ours, value) = row.ours()?;
                let ratios = |keep: &dyn Fn(&str) -> bool| -> Vec<(String, f64)> {
                    row.figures
                        .iter()
                        .filter(|(name, _)| !is_ours(name) && keep(name))
                        .filter_map(|(name, theirs)| {
                            Some((name.clone(), cost_ratio(*value, *theirs, &row.unit)?))
                        })
                        .collect()
                };
                let mut candidates = ratios(&|name| !is_floor(name));
                if candidates.is_empty() {
                    candidates = ratios(&|name| is_floor(name));
                }
                // The best peer is the cheapest, the one ours compares worst against.
                let (best, ratio) = candidates.into_iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
                Some(Versus {
                    case: row.case.clone(),
                    ours: ours.clone(),
                    best,
                    ratio,
                })
            })
            .collect()
    }

    /// The Markdown table: figures, each peer's followed by the cost ratio of ours to it in
    /// parentheses, and a last column against the best peer.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "| case | unit |");
        for name in &self.implementations {
            let _ = write!(out, " {name} |");
        }
        out.push_str(" ours / best peer |\n|---|---|");
        for _ in &self.implementations {
            out.push_str("---:|");
        }
        out.push_str("---|\n");
        let versus = self.versus_best();
        for row in &self.rows {
            let _ = write!(out, "| `{}` | {} |", row.case, row.unit);
            let ours = row.ours().map(|&(_, value)| value);
            for name in &self.implementations {
                let cell = match (row.figure(name), ours) {
                    (None, _) => String::new(),
                    (Some(value), Some(ours)) if !is_ours(name) => {
                        match cost_ratio(ours, value, &row.unit) {
                            Some(ratio) => format!("{} ({})", figure(value), ratio_text(ratio)),
                            None => figure(value),
                        }
                    }
                    (Some(value), _) => figure(value),
                };
                let _ = write!(out, " {cell} |");
            }
            let best = versus
                .iter()
                .find(|v| v.case == row.case)
                .filter(|_| ours.is_some())
                .map(|v| format!("**{}** {}", ratio_text(v.ratio), v.best))
                .unwrap_or_default();
            let _ = writeln!(out, " {best} |");
        }
        out
    }
}

/// A figure as the tables print it: thousands grouped from 1,000 up, one decimal from 10,
/// three significant digits below.
pub fn figure(value: f64) -> String {
    if value.abs() >= 1000.0 {
        let digits = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        let text = format!("{value:.2}");
        // 2.30 reads as 2.3; 0.87 stays.
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A cost ratio: two decimals, three below 0.1 (so 0.02 and 0.025 differ).
pub fn ratio_text(ratio: f64) -> String {
    if ratio < 0.1 {
        format!("{ratio:.3}")
    } else {
        format!("{ratio:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::{Table, figure, ratio_text};
    use crate::results::Record;

    fn record(case: &str, implementation: &str, value: f64, unit: &str) -> Record {
        Record {
            group: "g".into(),
            case: case.into(),
            implementation: implementation.into(),
            value,
            unit: unit.into(),
        }
    }

    #[test]
    fn figures_read_as_a_person_writes_them() {
        assert_eq!(figure(88778.4), "88,778");
        assert_eq!(figure(1_234_567.0), "1,234,567");
        assert_eq!(figure(222.34), "222.3");
        assert_eq!(figure(2.30), "2.3");
        assert_eq!(figure(0.87), "0.87");
        assert_eq!(ratio_text(0.354), "0.35");
        assert_eq!(ratio_text(0.0249), "0.025");
    }

    #[test]
    fn the_best_peer_is_the_cheapest_and_floors_only_stand_in() {
        let records = [
            record("spawn", "asyncio-loop", 100.0, "ns/op"),
            record("spawn", "tokio", 400.0, "ns/op"),
            record("spawn", "smol", 200.0, "ns/op"),
            record("spawn", "box-floor", 20.0, "ns/op"),
            record("echo", "asyncio-loop", 90_000.0, "req/s"),
            record("echo", "tokio", 100_000.0, "req/s"),
            record("only_floor", "asyncio-loop", 30.0, "instr/op"),
            record("only_floor", "box-floor", 10.0, "instr/op"),
        ];
        let versus = Table::new("g", &records).versus_best();
        let found: Vec<(&str, &str, f64)> = versus
            .iter()
            .map(|v| (v.case.as_str(), v.best.as_str(), v.ratio))
            .collect();
        assert_eq!(
            found,
            [
                ("spawn", "smol", 0.5),
                ("echo", "tokio", 100_000.0 / 90_000.0),
                ("only_floor", "box-floor", 3.0),
            ]
        );
    }

    #[test]
    fn the_table_has_every_figure_and_each_peer_s_ratio() {
        let records = [
            record("spawn", "tokio", 400.0, "ns/op"),
            record("spawn", "asyncio-loop", 100.0, "ns/op"),
            record("spawn", "smol", 200.0, "ns/op"),
            record("memory", "asyncio-loop", 208.0, "bytes/task"),
            record("memory", "cpython", 960.0, "bytes/task"),
            // Measured again: the later figure counts.
            record("memory", "cpython", 832.0, "bytes/task"),
        ];
        let markdown = Table::new("g", &records).markdown();
        let lines: Vec<&str> = markdown.lines().collect();
        assert_eq!(
            lines,
            [
                "| case | unit | asyncio-loop | tokio | smol | cpython | ours / best peer |",
                "|---|---|---:|---:|---:|---:|---|",
                "| `spawn` | ns/op | 100.0 | 400.0 (0.25) | 200.0 (0.50) |  | **0.50** smol |",
                "| `memory` | bytes/task | 208.0 |  |  | 832.0 (0.25) | **0.25** cpython |",
            ]
        );
    }
}
