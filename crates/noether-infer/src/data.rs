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

    /// Parse CSV text; `path` names it in messages. Fields may be quoted; a UTF-8 byte-order
    /// mark before the header is skipped; blank lines are skipped.
    ///
    /// # Errors
    /// As [`Table::read`]; a header with an empty or repeated column name.
    pub fn parse(text: &str, path: &str) -> Result<Table, InferError> {
        let err = |row: usize, column: &str, message: String| InferError::Csv {
            path: path.into(),
            row,
            column: column.into(),
            message,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        // The reader's own line count skips blank lines: count from the byte offset instead,
        // moving forward only (records come in order), so reading stays linear in the file.
        let bytes = text.as_bytes();
        let counted = std::cell::Cell::new((0usize, 1usize)); // (byte, line at that byte)
        let line_of = |byte: u64| {
            let mut at = (byte as usize).min(bytes.len());
            while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
                at += 1;
            }
            let (from, mut line) = counted.get();
            if at < from {
                // Never for records in order; count afresh for safety.
                return bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            }
            line += bytes[from..at].iter().filter(|&&b| b == b'\n').count();
            counted.set((at, line));
            line
        };
        let mut records = reader.records();
        let mut columns: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        let mut line_numbers = Vec::new();
        for rec in records.by_ref() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| line_of(p.byte()));
                err(line, "", format!("not valid CSV: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| line_of(p.byte()));
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let Some(cols) = &columns else {
                let cols: Vec<String> = rec.iter().map(str::to_string).collect();
                for (k, c) in cols.iter().enumerate() {
                    if c.is_empty() {
                        return Err(err(
                            line,
                            "",
                            format!("column {} of the header has no name", k + 1),
                        ));
                    }
                    if cols[..k].contains(c) {
                        return Err(err(
                            line,
                            c,
                            "the header names this column twice: rename one".into(),
                        ));
                    }
                }
                columns = Some(cols);
                continue;
            };
            if rec.len() != cols.len() {
                return Err(err(
                    line,
                    "",
                    format!(
                        "{} fields, but the header has {} columns",
                        rec.len(),
                        cols.len()
                    ),
                ));
            }
            let mut row = Vec::with_capacity(rec.len());
            for (f, name) in rec.iter().zip(cols) {
                let v: f64 = f
                    .parse()
                    .map_err(|_| err(line, name, format!("`{f}` is not a number")))?;
                if !v.is_finite() {
                    return Err(err(line, name, format!("{f} is not a finite number")));
                }
                row.push(v);
            }
            rows.push(row);
            line_numbers.push(line);
        }
        let Some(columns) = columns else {
            return Err(err(
                1,
                "",
                "the file is empty: a header row is needed".into(),
            ));
        };
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
        let t = Table::parse("\u{feff}\"t\",x,y\n0,1,2\n", "d.csv").unwrap();
        assert_eq!(t.columns, ["t", "x", "y"]);
        let e = Table::parse("t,x,t\n0,1,2\n", "d.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "d.csv, row 1, column `t`: the header names this column twice: rename one"
        );
        let e = t.column("z", "the observations").unwrap_err().to_string();
        assert_eq!(
            e,
            "d.csv: no column `z` (the observations); the header has: t, x, y"
        );
    }
}
