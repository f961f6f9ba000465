//! Reliability data: the coders × units table of Krippendorff (2011, §A "Reliability data"),
//! each cell a value or missing.
//!
//! Why a dense table rather than a list of units: the per-pair coefficients (Cohen's κ, mean
//! pairwise agreement) need to know which coder gave which value, and the engine's projects are
//! small enough (annotators × items) that a dense table of `Option<T>` costs nothing.

use super::AgreementError;

/// A coders × units table; `None` is a missing value (the coder did not code the unit).
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityData<T> {
    coders: usize,
    units: usize,
    /// Row-major: coder `c`, unit `u` at `c * units + u`.
    cells: Vec<Option<T>>,
}

impl<T> ReliabilityData<T> {
    /// An all-missing table of `coders` rows and `units` columns.
    pub fn new(coders: usize, units: usize) -> Self {
        let mut cells = Vec::new();
        cells.resize_with(coders.saturating_mul(units), || None);
        ReliabilityData {
            coders,
            units,
            cells,
        }
    }

    /// A table from one row per coder; rows must have the same length.
    pub fn from_rows(rows: Vec<Vec<Option<T>>>) -> Result<Self, AgreementError> {
        let units = rows.first().map_or(0, Vec::len);
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != units) {
            return Err(AgreementError::Ragged {
                row,
                found: r.len(),
                expected: units,
            });
        }
        let coders = rows.len();
        Ok(ReliabilityData {
            coders,
            units,
            cells: rows.into_iter().flatten().collect(),
        })
    }

    /// Number of coders (rows).
    pub fn coders(&self) -> usize {
        self.coders
    }

    /// Number of units (columns).
    pub fn units(&self) -> usize {
        self.units
    }

    /// Set one cell; out-of-range indexes are ignored and reported as `false`.
    pub fn set(&mut self, coder: usize, unit: usize, value: Option<T>) -> bool {
        if coder >= self.coders || unit >= self.units {
            return false;
        }
        match self.cells.get_mut(coder * self.units + unit) {
            Some(cell) => {
                *cell = value;
                true
            }
            None => false,
        }
    }

    /// The value coder `coder` gave unit `unit`, if any.
    pub fn get(&self, coder: usize, unit: usize) -> Option<&T> {
        if coder >= self.coders || unit >= self.units {
            return None;
        }
        self.cells.get(coder * self.units + unit)?.as_ref()
    }

    /// The values present for one unit, in coder order.
    pub fn unit_values(&self, unit: usize) -> impl Iterator<Item = &T> + '_ {
        (0..self.coders).filter_map(move |c| self.get(c, unit))
    }

    /// Number of pairable values: values in units that at least two coders coded
    /// (Krippendorff's n; single values in a unit cannot be compared with anything).
    pub fn pairable_values(&self) -> usize {
        (0..self.units)
            .map(|u| self.unit_values(u).count())
            .filter(|&m| m >= 2)
            .sum()
    }

    /// The same table with every value mapped; `None` from `f` makes the cell missing (values of
    /// the wrong kind are not comparable and count as not coded).
    pub fn filter_map<U>(&self, mut f: impl FnMut(&T) -> Option<U>) -> ReliabilityData<U> {
        ReliabilityData {
            coders: self.coders,
            units: self.units,
            cells: self
                .cells
                .iter()
                .map(|c| c.as_ref().and_then(&mut f))
                .collect(),
        }
    }
}
