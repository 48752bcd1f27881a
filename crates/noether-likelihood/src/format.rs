//! How noether prints numbers: one style everywhere a person reads them (summaries, tables,
//! progress, figure labels). JSON and CSV outputs keep every digit instead.

/// A value with `sig` significant digits: plain decimals when 1e-3 ≤ |v| < 1e5 (`0.999709`,
/// `-37.9974`), otherwise scientific with a signed two-digit exponent (`1.776e-04`, `1.081e+05`).
/// Zero is `0`; non-finite values are `NaN`, `inf`, `-inf`.
///
/// # Examples
/// ```
/// use noether_likelihood::format::number;
/// assert_eq!(number(0.99970934, 6), "0.999709");
/// assert_eq!(number(-37.997359, 6), "-37.9974");
/// assert_eq!(number(1.775829e-4, 4), "1.776e-04");
/// assert_eq!(number(108144.07, 4), "1.081e+05");
/// assert_eq!(number(0.0, 4), "0");
/// ```
pub fn number(v: f64, sig: usize) -> String {
    let sig = sig.clamp(1, 17);
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        // Round first, so that 99999.96 with 6 digits does not print as 100000.0 (7 digits).
        let s = format!("{:.*e}", sig - 1, v);
        let rounded: f64 = s.parse().unwrap_or(v);
        if rounded.abs() < 1e5 {
            let exp = rounded.abs().log10().floor() as i64;
            let decimals = (sig as i64 - 1 - exp).max(0) as usize;
            return format!("{rounded:.decimals$}");
        }
    }
    scientific(v, sig)
}

/// `v` in scientific notation with `sig` significant digits and a signed two-digit exponent.
pub fn scientific(v: f64, sig: usize) -> String {
    let s = format!("{:.*e}", sig.clamp(1, 17) - 1, v);
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Round, readable tick values inside [lo, hi]: at least `n` (and fewer than 2.5 n + 1) multiples
/// of one step 1, 2 or 5 × 10ᵏ.
///
/// # Examples
/// ```
/// use noether_likelihood::format::ticks;
/// assert_eq!(ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// assert_eq!(ticks(-8.49e-5, 2.08e-4, 4), vec![-5e-5, 0.0, 5e-5, 1e-4, 1.5e-4, 2e-4]);
/// ```
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return if lo.is_finite() { vec![lo] } else { vec![] };
    }
    // The longest step of the form {1, 2, 5} × 10ᵏ that still gives at least `n` ticks.
    let n = n.max(2) as i64;
    let mag = 10f64.powf(((hi - lo) / n as f64).log10().floor() + 1.0);
    let count =
        |step: f64| (hi / step + 1e-9).floor() as i64 - (lo / step - 1e-9).ceil() as i64 + 1;
    let step = [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01]
        .iter()
        .map(|m| m * mag)
        .find(|&s| count(s) >= n)
        .unwrap_or(0.01 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| {
            let t = k as f64 * step;
            // 0.30000000000000004 → 0.3: round to the step's own decimals.
            let t = format!("{:.*e}", 12, t).parse().unwrap_or(t);
            if t == 0.0 {
                0.0
            } else {
                t
            }
        })
        .collect()
}

/// A tick label: as short as the value allows (`0.2`, `-5e-05`, `150`, `1e+04`).
///
/// # Examples
/// ```
/// use noether_likelihood::format::tick;
/// assert_eq!(tick(0.2), "0.2");
/// assert_eq!(tick(-5e-5), "-5e-05");
/// assert_eq!(tick(150.0), "150");
/// assert_eq!(tick(1.5e-4), "1.5e-04");
/// ```
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return s.to_string();
    }
    let s = scientific(v, 6);
    match s.split_once('e') {
        Some((m, e)) => {
            let m = if m.contains('.') {
                m.trim_end_matches('0').trim_end_matches('.')
            } else {
                m
            };
            format!("{m}e{e}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_at_the_boundaries() {
        assert_eq!(number(99999.96, 6), "1.00000e+05");
        assert_eq!(number(0.00099999, 3), "1.00e-03");
        assert_eq!(number(1.0, 4), "1.000");
        assert_eq!(number(-2.5e-12, 3), "-2.50e-12");
        assert_eq!(number(f64::NAN, 3), "NaN");
        assert_eq!(number(1e300, 3), "1.00e+300");
    }

    #[test]
    fn ticks_are_round_and_inside() {
        for (lo, hi) in [
            (0.0, 1.0),
            (-3.7, 12.2),
            (1e-9, 3e-9),
            (-1e6, 1e6),
            (0.49, 0.51),
        ] {
            let t = ticks(lo, hi, 5);
            assert!(t.len() >= 3 && t.len() <= 11, "{lo} {hi}: {t:?}");
            assert!(t
                .iter()
                .all(|&v| v >= lo - 1e-12 * hi.abs() && v <= hi + 1e-12 * hi.abs()));
            assert!(t.iter().all(|&v| tick(v).len() <= 8), "{t:?}");
        }
        assert_eq!(ticks(1.0, 1.0, 5), vec![1.0]);
    }
}
