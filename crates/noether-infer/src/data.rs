//! Reading observation tables from CSV files.
//!
//! A table has a header row of column names and one row of numbers per observation. Every
//! number must be finite. Blank lines are skipped.

use crate::InferError;
use std::path::Path;

/// A numeric table read from a CSV file.
#[derive(Clone, Debug)]
pub struct Table {
    /// The file it came from (for messages).
    pub path: String,
    /// Column names, from the header.
    pub columns: Vec<String>,
    /// Rows of numbers.
    pub rows: Vec<Vec<f64>>,
    /// The 1-based line number of each row in the file.
    pub lines: Vec<usize>,
}

impl Table {
    /// Read and check a CSV file.
    ///
    /// # Errors
    /// [`InferError::Io`] when the file cannot be read, [`InferError::Csv`] naming the row and
    /// column of a field that is not a finite number or a row of the wrong length.
    pub fn read(path: &Path) -> Result<Table, InferError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InferError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        Table::parse(&text, &shown)
    }

    /// Parse CSV text; `path` names it in messages.
    ///
    /// # Errors
    /// As [`Table::read`].
    pub fn parse(text: &str, path: &str) -> Result<Table, InferError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(InferError::Csv {
                path: path.into(),
                row: 1,
                column: String::new(),
                message: "the file is empty: a header row is needed".into(),
            });
        };
        let columns: Vec<String> = header
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect();
        let mut rows = Vec::new();
        let mut line_numbers = Vec::new();
        for (i, line) in lines {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != columns.len() {
                return Err(InferError::Csv {
                    path: path.into(),
                    row: i + 1,
                    column: String::new(),
                    message: format!(
                        "{} fields, but the header has {} columns",
                        fields.len(),
                        columns.len()
                    ),
                });
            }
            let mut row = Vec::with_capacity(fields.len());
            for (f, name) in fields.iter().zip(&columns) {
                let v: f64 = f.parse().map_err(|_| InferError::Csv {
                    path: path.into(),
                    row: i + 1,
                    column: name.clone(),
                    message: format!("`{f}` is not a number"),
                })?;
                if !v.is_finite() {
                    return Err(InferError::Csv {
                        path: path.into(),
                        row: i + 1,
                        column: name.clone(),
                        message: format!("{f} is not a finite number"),
                    });
                }
                row.push(v);
            }
            rows.push(row);
            line_numbers.push(i + 1);
        }
        Ok(Table {
            path: path.into(),
            columns,
            rows,
            lines: line_numbers,
        })
    }

    /// The index of a column, or an error saying why it was needed.
    ///
    /// # Errors
    /// [`InferError::MissingColumn`] listing the header.
    pub fn column(&self, name: &str, why: &str) -> Result<usize, InferError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| InferError::MissingColumn {
                path: self.path.clone(),
                column: name.into(),
                why: why.into(),
                available: self.columns.join(", "),
            })
    }

    /// The points (row-major) in the named input columns.
    ///
    /// # Errors
    /// A missing input column.
    pub fn points(&self, inputs: &[String]) -> Result<Vec<f64>, InferError> {
        let idx: Vec<usize> = inputs
            .iter()
            .map(|n| self.column(n, "an input of the problem"))
            .collect::<Result<_, _>>()?;
        Ok(self
            .rows
            .iter()
            .flat_map(|r| idx.iter().map(move |&k| r[k]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let e = Table::parse("t,x,y\n0,1,2\n\n0,abc,2\n", "d.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "d.csv, row 4, column `x`: `abc` is not a number");
        let e = Table::parse("t,x,y\n0,1\n", "d.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("2 fields"), "{e}");
        let e = Table::parse("t,y\n0,NaN\n", "d.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2, column `y`") && e.contains("not a finite number"),
            "{e}"
        );
        let t = Table::parse("t,x,y\n0,1,2\n", "d.csv").unwrap();
        let e = t.column("z", "the observations").unwrap_err().to_string();
        assert_eq!(
            e,
            "d.csv: no column `z` (the observations); the header has: t, x, y"
        );
    }
}
