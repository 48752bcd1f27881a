//! Grids of points from the command line: `--grid "t=0:1:50,x=0:1:50"` and `--fix z=0.5`.

use crate::InferError;

/// The most points a grid may hold.
pub const MAX_GRID_POINTS: usize = 1_000_000;

/// One input's values on a grid: `count` evenly spaced values from `from` to `to` (one value,
/// `from`, when `count` is 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The input's name.
    pub input: String,
    /// The first value.
    pub from: f64,
    /// The last value.
    pub to: f64,
    /// How many values.
    pub count: usize,
}

impl Axis {
    /// The axis's values.
    pub fn values(&self) -> Vec<f64> {
        if self.count <= 1 {
            return vec![self.from];
        }
        (0..self.count)
            .map(|k| self.from + (self.to - self.from) * k as f64 / (self.count - 1) as f64)
            .collect()
    }
}

fn bad(option: &str, message: String) -> InferError {
    InferError::Field {
        field: option.into(),
        message,
    }
}

/// Parse comma-separated `NAME=FROM:TO:COUNT` (a range) or `NAME=VALUE` (one value); `option`
/// names the option in messages.
///
/// # Errors
/// [`InferError::Field`] naming the option and the part that does not parse.
///
/// # Examples
/// ```
/// use noether_infer::grid::parse_axes;
/// let a = parse_axes("t=0:1:3, x=0.5", "--grid")?;
/// assert_eq!(a[0].values(), vec![0.0, 0.5, 1.0]);
/// assert_eq!(a[1].values(), vec![0.5]);
/// assert!(parse_axes("t=0:1", "--grid").is_err());
/// # Ok::<(), noether_infer::InferError>(())
/// ```
pub fn parse_axes(spec: &str, option: &str) -> Result<Vec<Axis>, InferError> {
    let form = "write NAME=FROM:TO:COUNT or NAME=VALUE, separated by commas (t=0:1:50,x=0.5)";
    if spec.trim().is_empty() {
        return Err(bad(option, format!("empty: {form}")));
    }
    let mut out: Vec<Axis> = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let Some((name, range)) = part.split_once('=') else {
            return Err(bad(option, format!("`{part}` has no `=`: {form}")));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad(option, format!("`{part}` names no input: {form}")));
        }
        if out.iter().any(|a| a.input == name) {
            return Err(bad(option, format!("`{name}` is given twice")));
        }
        let num = |t: &str, what: &str| -> Result<f64, InferError> {
            match t.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(bad(
                    option,
                    format!("`{name}`: the {what} `{}` is not a finite number", t.trim()),
                )),
            }
        };
        let fields: Vec<&str> = range.split(':').collect();
        let axis = match fields[..] {
            [v] => {
                let v = num(v, "value")?;
                Axis {
                    input: name.into(),
                    from: v,
                    to: v,
                    count: 1,
                }
            }
            [a, b, n] => {
                let count = match n.trim().parse::<usize>() {
                    Ok(c) if c >= 1 => c,
                    _ => {
                        return Err(bad(
                            option,
                            format!(
                                "`{name}`: the count `{}` is not a whole number from 1 to {MAX_GRID_POINTS}",
                                n.trim()
                            ),
                        ))
                    }
                };
                if count > MAX_GRID_POINTS {
                    return Err(bad(
                        option,
                        format!("`{name}`: {count} values; at most {MAX_GRID_POINTS}"),
                    ));
                }
                let (from, to) = (num(a, "start")?, num(b, "end")?);
                if !(to - from).is_finite() {
                    return Err(bad(
                        option,
                        format!("`{name}`: the range from {from:e} to {to:e} is wider than the floating-point numbers reach"),
                    ));
                }
                Axis {
                    input: name.into(),
                    from,
                    to,
                    count,
                }
            }
            _ => return Err(bad(option, format!("`{part}`: {form}"))),
        };
        out.push(axis);
    }
    Ok(out)
}

/// A grid over all of a problem's inputs, one [`Axis`] per input in the problem's order.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// One axis per input, in the problem's input order.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// The grid from axes given in any order; every input needs exactly one, and no other name
    /// may appear.
    ///
    /// # Errors
    /// [`InferError::Field`] naming `option` and the unknown or missing input; a grid of more
    /// than [`MAX_GRID_POINTS`] points.
    pub fn new(inputs: &[String], axes: &[Axis], option: &str) -> Result<Grid, InferError> {
        for a in axes {
            if !inputs.contains(&a.input) {
                return Err(bad(
                    option,
                    format!(
                        "`{}` is not an input (the inputs are {})",
                        a.input,
                        inputs.join(", ")
                    ),
                ));
            }
        }
        let mut out = Vec::new();
        for i in inputs {
            match axes.iter().find(|a| &a.input == i) {
                Some(a) => out.push(a.clone()),
                None => {
                    return Err(bad(
                        option,
                        format!(
                        "no values for the input `{i}`: give every input ({}) a range or a value",
                        inputs.join(", ")
                    ),
                    ))
                }
            }
        }
        let total = out
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.count))
            .filter(|&n| n <= MAX_GRID_POINTS);
        if total.is_none() {
            return Err(bad(
                option,
                format!("the grid has more than {MAX_GRID_POINTS} points"),
            ));
        }
        Ok(Grid { axes: out })
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.count.max(1)).product()
    }

    /// Whether the grid has no points (never, for a grid made by [`Grid::new`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inputs that vary (more than one value), by index.
    pub fn varying(&self) -> Vec<usize> {
        (0..self.axes.len())
            .filter(|&i| self.axes[i].count > 1)
            .collect()
    }

    /// The points, row-major, one number per input; the first input varies slowest.
    pub fn points(&self) -> Vec<f64> {
        let values: Vec<Vec<f64>> = self.axes.iter().map(Axis::values).collect();
        let n = self.len();
        let d = values.len();
        let mut out = Vec::with_capacity(n * d);
        for mut k in 0..n {
            let mut p = vec![0.0; d];
            for i in (0..d).rev() {
                let c = values[i].len();
                p[i] = values[i][k % c];
                k /= c;
            }
            out.extend(p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<String> {
        vec!["t".into(), "x".into()]
    }

    #[test]
    fn grids_cover_every_input_in_order() {
        let g = Grid::new(
            &inputs(),
            &parse_axes("x=0:1:2,t=5", "--grid").unwrap(),
            "--grid",
        )
        .unwrap();
        assert_eq!(g.points(), vec![5.0, 0.0, 5.0, 1.0]);
        assert_eq!(g.varying(), vec![1]);
        let g = Grid::new(&inputs(), &parse_axes("t=0:1:2,x=0:2:3", "g").unwrap(), "g").unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(&g.points()[..6], &[0.0, 0.0, 0.0, 1.0, 0.0, 2.0]);
    }

    #[test]
    fn bad_grids_say_what_is_wrong() {
        let e = |s: &str| match parse_axes(s, "--grid")
            .and_then(|a| Grid::new(&inputs(), &a, "--grid"))
        {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{s} parsed"),
        };
        assert!(e("t=0:1:5,z=0:1:5").contains("`z` is not an input"));
        assert!(e("t=0:1:5").contains("no values for the input `x`"));
        assert!(e("t=0:1").contains("NAME=FROM:TO:COUNT"));
        assert!(e("t=0:1:0,x=1").contains("count `0`"));
        assert!(e("t=0:nan:5,x=1").contains("not a finite number"));
        assert!(e("t=0:1:5,t=1,x=1").contains("twice"));
        assert!(e("").contains("empty"));
        assert!(e("t=0:1:100000,x=0:1:100000").contains("more than"));
        assert!(e("=3").contains("names no input"));
        assert!(e("t=-1e308:1e308:3,x=0").contains("wider than"));
    }
}
