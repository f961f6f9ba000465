//! `backbeat annotate agreement TABLE.csv --level LEVEL`: Krippendorff's α of a reliability
//! table, the layout of Krippendorff (2011) §C: one row per coder (first cell the coder's
//! name), one column per unit, an empty cell where the coder did not code the unit. An
//! optional header row — first cell empty or `coder` — names the units and is skipped.
//!
//! Prints one JSON object:
//! `{"level", "alpha", "coders", "units", "pairableValues", "fleissKappa"}`; `alpha` is null when
//! undefined (fewer than two pairable values, or no variation), `fleissKappa` is given at the
//! nominal level when every unit has the same number of ratings (at least 2), else null.
//!
//! The CSV goes through the project's strict RFC 4180 reader (`backbeat_audio::eval::csv`,
//! already a dependency: quoted fields with commas, doubled quotes and newlines; a stray quote
//! is an error naming the line). Every other refusal names the line (and column) too: an empty
//! file, rows of different lengths, one coder only, a cell that is not a number at a numeric
//! level, a negative value at the ratio level. Bounds for hostile input: the file at most
//! [`MAX_FILE_BYTES`]; at the ratio level, whose expected disagreement is O(d²) in the distinct
//! values, at most [`MAX_RATIO_DISTINCT`] distinct values.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use backbeat_annotate::agreement::{alpha, fleiss_kappa_labels, Level, ReliabilityData};
use backbeat_audio::eval::csv;
use clap::{Args, ValueEnum};
use serde::Serialize;

/// Largest table file read (64 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Most distinct values accepted at the ratio level (20 000² distance evaluations ≈ 1 s).
pub const MAX_RATIO_DISTINCT: usize = 20_000;

/// `backbeat annotate agreement`.
#[derive(Debug, Args)]
pub struct AgreementArgs {
    /// The reliability table (CSV).
    pub table: PathBuf,
    /// Level of measurement of the values.
    #[arg(long, value_enum, default_value_t = LevelArg::Nominal)]
    pub level: LevelArg,
}

/// Krippendorff's levels of measurement, as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// Categories (any text).
    Nominal,
    /// Ranked numbers.
    Ordinal,
    /// Numbers, differences meaningful.
    Interval,
    /// Non-negative numbers with a true zero.
    Ratio,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Self {
        match l {
            LevelArg::Nominal => Level::Nominal,
            LevelArg::Ordinal => Level::Ordinal,
            LevelArg::Interval => Level::Interval,
            LevelArg::Ratio => Level::Ratio,
        }
    }
}

/// The printed result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    level: Level,
    alpha: Option<f64>,
    coders: usize,
    units: usize,
    pairable_values: usize,
    fleiss_kappa: Option<f64>,
}

pub fn run(args: AgreementArgs) -> anyhow::Result<ExitCode> {
    let name = args.table.display();
    let file = std::fs::File::open(&args.table).with_context(|| format!("cannot read {name}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{name}: larger than {} MiB", MAX_FILE_BYTES >> 20);
    }
    let output = compute(&bytes, args.level.into()).with_context(|| format!("{name}"))?;
    println!("{}", serde_json::to_string(&output)?);
    Ok(ExitCode::SUCCESS)
}

/// One coder's row: the line it starts on, the coder's name, the cells after the name.
struct Row {
    line: usize,
    coder: String,
    cells: Vec<String>,
}

fn compute(bytes: &[u8], level: Level) -> anyhow::Result<Output> {
    let rows = read_rows(bytes)?;
    let units = rows.first().map_or(0, |r| r.cells.len());
    let data = match level {
        Level::Nominal => nominal_codes(&rows),
        _ => numbers(&rows, level)?,
    };
    if level == Level::Ratio {
        let mut distinct: Vec<f64> = (0..units)
            .flat_map(|u| data.unit_values(u).copied())
            .collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.len() > MAX_RATIO_DISTINCT {
            bail!(
                "{} distinct values: the ratio level accepts at most {MAX_RATIO_DISTINCT}",
                distinct.len()
            );
        }
    }
    let result = alpha(&data, level);
    let fleiss_kappa = if level == Level::Nominal {
        fleiss(&data)
    } else {
        None
    };
    Ok(Output {
        level,
        alpha: result.map(|a| a.alpha),
        coders: rows.len(),
        units,
        pairable_values: data.pairable_values(),
        fleiss_kappa,
    })
}

/// The coder rows, checked for shape: UTF-8, not empty, a rectangle, two coders or more.
fn read_rows(bytes: &[u8]) -> anyhow::Result<Vec<Row>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "not valid UTF-8 (first invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        bail!("the table is empty");
    }
    let mut records = csv::parse(text)?;
    let is_header = records.first().is_some_and(|r| {
        r.fields
            .first()
            .is_some_and(|f| f.trim().is_empty() || f.trim().eq_ignore_ascii_case("coder"))
    });
    if is_header {
        records.remove(0);
    }
    let width = match records.first() {
        Some(r) => r.fields.len(),
        None => bail!("the table has a header but no coder rows"),
    };
    if width < 2 {
        bail!(
            "line {}: a coder's name and no units",
            records.first().map_or(0, |r| r.line)
        );
    }
    let mut rows = Vec::with_capacity(records.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in records {
        if r.fields.len() != width {
            bail!(
                "line {}: {} cells, expected {width} (a coder's name and {} units, as the first row)",
                r.line,
                r.fields.len(),
                width - 1
            );
        }
        let mut fields = r.fields.into_iter();
        let coder = fields.next().unwrap_or_default().trim().to_string();
        if coder.is_empty() {
            bail!("line {}: the coder's name (first cell) is empty", r.line);
        }
        if let Some(first) = seen.insert(coder.clone(), r.line) {
            bail!(
                "line {}: coder {coder:?} already has a row (line {first})",
                r.line
            );
        }
        rows.push(Row {
            line: r.line,
            coder,
            cells: fields.collect(),
        });
    }
    if rows.len() < 2 {
        bail!("only one coder: agreement needs at least two rows of coders");
    }
    Ok(rows)
}

/// Nominal cells are labels: each distinct text (trimmed) gets a code.
fn nominal_codes(rows: &[Row]) -> ReliabilityData<f64> {
    let mut codes: HashMap<&str, f64> = HashMap::new();
    let units = rows.first().map_or(0, |r| r.cells.len());
    let mut data = ReliabilityData::new(rows.len(), units);
    for (c, row) in rows.iter().enumerate() {
        for (u, cell) in row.cells.iter().enumerate() {
            let cell = cell.trim();
            if !cell.is_empty() {
                let next = codes.len() as f64;
                let code = *codes.entry(cell).or_insert(next);
                data.set(c, u, Some(code));
            }
        }
    }
    data
}

/// Numeric cells, each a finite number (and not negative at the ratio level).
fn numbers(rows: &[Row], level: Level) -> anyhow::Result<ReliabilityData<f64>> {
    let units = rows.first().map_or(0, |r| r.cells.len());
    let mut data = ReliabilityData::new(rows.len(), units);
    for (c, row) in rows.iter().enumerate() {
        for (u, cell) in row.cells.iter().enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            // Column numbers count the coder's name as column 1, as a spreadsheet shows them.
            let at = || {
                format!(
                    "line {} (coder {:?}), column {}",
                    row.line,
                    row.coder,
                    u + 2
                )
            };
            let x: f64 = match cell.parse() {
                Ok(x) if f64::is_finite(x) => x,
                _ => bail!(
                    "{}: {cell:?} is not a number (the {level:?} level needs numbers)",
                    at()
                ),
            };
            if level == Level::Ratio && x < 0.0 {
                bail!(
                    "{}: {cell} is negative (the ratio level needs values ≥ 0)",
                    at()
                );
            }
            data.set(c, u, Some(x));
        }
    }
    Ok(data)
}

/// Fleiss' κ when every unit has the same number of ratings, at least 2; else `None`.
fn fleiss(data: &ReliabilityData<f64>) -> Option<f64> {
    // Nominal codes are small non-negative integers, so their bits order like the codes.
    let units: Vec<Vec<u64>> = (0..data.units())
        .map(|u| data.unit_values(u).map(|v| v.to_bits()).collect())
        .collect();
    fleiss_kappa_labels(&units).ok()
}
