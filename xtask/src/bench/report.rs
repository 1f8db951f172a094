//! The bench's results: rows of paired measurements (side A, usually ours, against side B,
//! usually hyper), their medians, bests and ratio A/B, whether each row is valid, and how they
//! are shown: a text table for stdout and JSON for `target/bench/latest.json`.
//!
//! Nothing here measures; `bench/mod.rs` fills the rows.

use std::fmt::Write as _;

/// Which direction is better for a row's figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughput: more is better.
    Higher,
    /// Memory: less is better.
    Lower,
}

/// One measurement of one side.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The figure (NaN when the run failed).
    pub value: f64,
    /// Errors seen; any error makes the row invalid.
    pub errors: u64,
    /// Details: CPU used, counts, or why the run failed.
    pub note: String,
}

impl Run {
    /// A run that could not be made at all.
    pub fn failed(why: impl Into<String>) -> Self {
        Self {
            value: f64::NAN,
            errors: 1,
            note: why.into(),
        }
    }
}

/// One side of a row: who, and its runs in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Side {
    /// Who was measured (`ours`, `hyper`, `hyper, 16 connections`).
    pub name: String,
    /// The runs, in the order made.
    pub runs: Vec<Run>,
}

impl Side {
    /// A side with no runs yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            runs: Vec::new(),
        }
    }

    fn values(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.runs.iter().map(|r| r.value).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Median of the runs (mean of the middle two for an even count); NaN when none.
    pub fn median(&self) -> f64 {
        let v = self.values();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// Best run in the row's direction; NaN when none.
    pub fn best(&self, better: Better) -> f64 {
        let v = self.values();
        match better {
            Better::Higher => v.last().copied().unwrap_or(f64::NAN),
            Better::Lower => v.first().copied().unwrap_or(f64::NAN),
        }
    }

    fn first_error(&self) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.errors > 0 || !r.value.is_finite())
    }
}

/// A row's standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every run completed without error.
    Valid,
    /// Some run had an error; the figures are not to be used.
    Invalid(String),
    /// Not measured (e.g. our client has not landed).
    Pending(String),
}

/// One row of the table: A against B.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Group the row belongs to.
    pub section: String,
    /// What is measured.
    pub name: String,
    /// Unit of the figures.
    pub unit: &'static str,
    /// Direction of better.
    pub better: Better,
    /// The issue's target for the ratio A/B, if any.
    pub target: Option<f64>,
    /// Side A (ours).
    pub a: Side,
    /// Side B (hyper).
    pub b: Side,
    /// Set when the row was not measured.
    pub pending: Option<String>,
}

impl Row {
    /// The ratio of medians A/B.
    pub fn ratio(&self) -> f64 {
        self.a.median() / self.b.median()
    }

    /// Valid, invalid (with the first error), or pending.
    pub fn status(&self) -> Status {
        if let Some(p) = &self.pending {
            return Status::Pending(p.clone());
        }
        for side in [&self.a, &self.b] {
            if side.runs.is_empty() {
                return Status::Invalid(format!("{}: no runs", side.name));
            }
            if let Some(r) = side.first_error() {
                return Status::Invalid(format!(
                    "{}: {} error(s): {}",
                    side.name, r.errors, r.note
                ));
            }
        }
        Status::Valid
    }

    /// Whether the ratio meets the target (`None` without a target or a valid ratio).
    pub fn meets_target(&self) -> Option<bool> {
        let t = self.target?;
        let r = self.ratio();
        if self.status() != Status::Valid || !r.is_finite() {
            return None;
        }
        Some(match self.better {
            Better::Higher => r >= t,
            Better::Lower => r <= t,
        })
    }
}

/// All rows of one bench run, with facts about how it was run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `(key, value)` facts: mode, rounds, pinning, limits.
    pub meta: Vec<(String, String)>,
    /// The rows, in order.
    pub rows: Vec<Row>,
}

fn fig(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Report {
    /// The report as a text table, one block per section.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.meta {
            let _ = writeln!(out, "# {k}: {v}");
        }
        let names: Vec<String> = self
            .rows
            .iter()
            .map(|r| format!("{} ({} vs {})", r.name, r.a.name, r.b.name))
            .collect();
        let w = names.iter().map(String::len).max().unwrap_or(0).max(12);
        let mut section = None;
        for (row, name) in self.rows.iter().zip(&names) {
            if section != Some(&row.section) {
                section = Some(&row.section);
                let _ = writeln!(out, "\n== {} ==", row.section);
                let _ = writeln!(
                    out,
                    "{:<w$} {:>10} {:>10} {:>10} {:>10} {:>7}  {:<8} status",
                    "row (A vs B)", "A median", "A best", "B median", "B best", "A/B", "unit",
                );
            }
            let status = match row.status() {
                Status::Valid => match (row.meets_target(), row.target) {
                    (Some(true), Some(t)) => format!("ok (target {t} met)"),
                    (Some(false), Some(t)) => format!("ok (target {t} NOT met)"),
                    _ => "ok".into(),
                },
                Status::Invalid(why) => format!("INVALID: {why}"),
                Status::Pending(why) => format!("pending: {why}"),
            };
            let _ = writeln!(
                out,
                "{:<w$} {:>10} {:>10} {:>10} {:>10} {:>7}  {:<8} {}",
                name,
                fig(row.a.median()),
                fig(row.a.best(row.better)),
                fig(row.b.median()),
                fig(row.b.best(row.better)),
                fig(row.ratio()),
                row.unit,
                status
            );
        }
        out
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        let mut o = String::from("{\n  \"meta\": {");
        for (i, (k, v)) in self.meta.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(o, "{sep}\n    {}: {}", jstr(k), jstr(v));
        }
        o.push_str("\n  },\n  \"rows\": [");
        for (i, row) in self.rows.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let (status, why) = match row.status() {
                Status::Valid => ("valid", String::new()),
                Status::Invalid(w) => ("invalid", w),
                Status::Pending(w) => ("pending", w),
            };
            let _ = write!(
                o,
                "{sep}\n    {{\"section\": {}, \"name\": {}, \"unit\": {}, \"better\": {}, \
                 \"status\": {}, \"reason\": {}, \"ratio_of_medians\": {}, \"target\": {}, \
                 \"meets_target\": {},\n     \"a\": {},\n     \"b\": {}}}",
                jstr(&row.section),
                jstr(&row.name),
                jstr(row.unit),
                jstr(match row.better {
                    Better::Higher => "higher",
                    Better::Lower => "lower",
                }),
                jstr(status),
                jstr(&why),
                jnum(row.ratio()),
                row.target.map_or("null".into(), jnum),
                row.meets_target().map_or("null".into(), |b| b.to_string()),
                jside(&row.a, row.better),
                jside(&row.b, row.better),
            );
        }
        o.push_str("\n  ]\n}\n");
        o
    }
}

fn jside(s: &Side, better: Better) -> String {
    let runs: Vec<String> = s
        .runs
        .iter()
        .map(|r| {
            format!(
                "{{\"value\": {}, \"errors\": {}, \"note\": {}}}",
                jnum(r.value),
                r.errors,
                jstr(&r.note)
            )
        })
        .collect();
    format!(
        "{{\"name\": {}, \"median\": {}, \"best\": {}, \"runs\": [{}]}}",
        jstr(&s.name),
        jnum(s.median()),
        jnum(s.best(better)),
        runs.join(", ")
    )
}

/// A JSON number, or `null` for NaN and infinities (which JSON cannot hold).
pub(crate) fn jnum(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

/// A JSON string literal.
pub(crate) fn jstr(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: f64) -> Run {
        Run {
            value: v,
            errors: 0,
            note: String::new(),
        }
    }

    fn row(a: &[f64], b: &[f64]) -> Row {
        Row {
            section: "s".into(),
            name: "plaintext".into(),
            unit: "req/s",
            better: Better::Higher,
            target: Some(1.1),
            a: Side {
                name: "ours".into(),
                runs: a.iter().copied().map(run).collect(),
            },
            b: Side {
                name: "hyper".into(),
                runs: b.iter().copied().map(run).collect(),
            },
            pending: None,
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let r = row(&[3.0, 1.0, 2.0], &[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(r.a.median(), 2.0);
        assert_eq!(r.b.median(), 2.5);
        assert_eq!(r.a.best(Better::Higher), 3.0);
        assert_eq!(r.a.best(Better::Lower), 1.0);
    }

    #[test]
    fn ratio_is_of_medians_and_checked_against_target() {
        let r = row(&[110.0, 120.0, 130.0], &[100.0, 100.0, 200.0]);
        assert_eq!(r.ratio(), 1.2);
        assert_eq!(r.meets_target(), Some(true));
    }

    #[test]
    fn any_error_makes_the_row_invalid() {
        let mut r = row(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]);
        r.b.runs[1].errors = 2;
        r.b.runs[1].note = "bad body".into();
        assert!(matches!(r.status(), Status::Invalid(w) if w.contains("bad body")));
        assert_eq!(r.meets_target(), None);
    }

    #[test]
    fn pending_row_keeps_its_reason_in_json() {
        let mut r = row(&[], &[]);
        r.pending = Some("our client not landed".into());
        let report = Report {
            meta: vec![("mode".into(), "quick".into())],
            rows: vec![r],
        };
        let j = report.json();
        assert!(j.contains("\"status\": \"pending\""));
        assert!(j.contains("\"reason\": \"our client not landed\""));
        assert!(j.contains("\"ratio_of_medians\": null"));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(jstr("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
