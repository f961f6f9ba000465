//! The agreement module: published examples reproduced, the music distances, matching against
//! brute force, per-item cost, and properties.

mod alpha;
mod distance;
mod item;
mod kappa;
mod markers;
mod props;
mod regions;
mod report;

use backbeat_annotate::agreement::ReliabilityData;

/// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", §C: 4 coders × 12 units
/// with missing values (`None`), as printed in the paper.
pub fn krippendorff_example() -> ReliabilityData<f64> {
    let rows: [[Option<f64>; 12]; 4] = [
        row("1 2 3 3 2 1 4 1 2 . . ."),
        row("1 2 3 3 2 2 4 1 2 5 . 3"),
        row(". 3 3 3 2 3 4 2 2 5 1 ."),
        row("1 2 3 3 2 4 4 1 2 5 1 ."),
    ];
    ReliabilityData::from_rows(rows.iter().map(|r| r.to_vec()).collect()).unwrap()
}

fn row(text: &str) -> [Option<f64>; 12] {
    let cells: Vec<Option<f64>> = text.split_whitespace().map(|c| c.parse().ok()).collect();
    cells.try_into().unwrap()
}

/// Rounded to 4 decimals, as the paper prints.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
