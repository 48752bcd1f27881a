//! Figures as PNG files, drawn with plotters and an embedded font (DejaVu Sans, Bitstream Vera
//! licence, `assets/DejaVuSans-LICENSE.txt`), so that no system font library is needed.
//! Every figure is drawn into a temporary file and renamed into place: whole or not at all.

use crate::InferError;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to be valid; a failure would show as missing text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A 2-D field to draw as a heat map: values on the frame's grid, or at scattered points.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// The panel title.
    pub title: &'a str,
    /// Values: on the grid, row-major with the first coordinate the slow index; or one per point
    /// of `at`.
    pub values: &'a [f64],
    /// Points to mark (first coordinate, second coordinate).
    pub marks: &'a [(f64, f64)],
    /// When given, `values` are at these points, drawn as coloured squares.
    pub at: Option<&'a [(f64, f64)]>,
}

impl<'a> Field<'a> {
    /// A field on the frame's grid.
    pub fn grid(title: &'a str, values: &'a [f64], marks: &'a [(f64, f64)]) -> Field<'a> {
        Field {
            title,
            values,
            marks,
            at: None,
        }
    }
}

/// The rectangle and grid heat maps are drawn on.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Grid cells along the first coordinate.
    pub nx: usize,
    /// Grid cells along the second coordinate.
    pub ny: usize,
    /// Range of the first coordinate.
    pub x: (f64, f64),
    /// Range of the second coordinate.
    pub y: (f64, f64),
}

impl Frame {
    /// A `side × side` grid over [0, 1]².
    pub fn unit(side: usize) -> Frame {
        Frame {
            nx: side,
            ny: side,
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        }
    }

    /// The grid's points, row-major, the first coordinate the slow index.
    pub fn points(&self) -> Vec<f64> {
        let at = |(lo, hi): (f64, f64), n: usize, k: usize| {
            lo + (hi - lo) * k as f64 / (n.max(2) - 1) as f64
        };
        (0..self.nx * self.ny)
            .flat_map(|k| {
                [
                    at(self.x, self.nx, k / self.ny),
                    at(self.y, self.ny, k % self.ny),
                ]
            })
            .collect()
    }
}

/// A curve with an uncertainty band, to draw against one coordinate.
#[derive(Clone, Debug)]
pub struct Band<'a> {
    /// The legend label.
    pub label: String,
    /// Abscissae.
    pub x: &'a [f64],
    /// Posterior mean.
    pub mean: &'a [f64],
    /// Posterior standard deviation (the band is ± 2 of them).
    pub std: &'a [f64],
    /// A reference curve (the exact solution), if any.
    pub exact: Option<&'a [f64]>,
    /// Observations to mark.
    pub marks: &'a [(f64, f64)],
}

fn err(path: &Path) -> impl Fn(String) -> InferError + '_ {
    move |m| InferError::Io {
        path: path.display().to_string(),
        message: format!("drawing failed: {m}"),
    }
}

/// Draw into a temporary PNG beside `path`, then rename it into place.
fn atomically(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), InferError> {
    register();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp.png", std::process::id()));
    let res = draw(&tmp).map_err(err(path)).and_then(|_| {
        std::fs::rename(&tmp, path).map_err(|e| InferError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// A perceptually ordered colour map (viridis, linearly interpolated between 6 of its colours).
pub fn viridis(t: f64) -> RGBColor {
    const C: [(f64, f64, f64); 6] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 5.0;
    let i = (t.floor() as usize).min(4);
    let f = t - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(
        mix(C[i].0, C[i + 1].0),
        mix(C[i].1, C[i + 1].1),
        mix(C[i].2, C[i + 1].2),
    )
}

fn draw_field<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    f: &Field,
    fr: &Frame,
    labels: (&str, &str),
) -> Result<(), String> {
    let (lo, hi) = f
        .values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(96));
    let mut chart = ChartBuilder::on(&plot)
        .caption(f.title, ("sans-serif", 20))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(fr.x.0..fr.x.1, fr.y.0..fr.y.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(labels.0)
        .y_desc(labels.1)
        .draw()
        .map_err(|e| e.to_string())?;
    let colour = |v: f64| viridis((v - lo) / span);
    match f.at {
        None => {
            // Cells centred on the grid points, clipped to the frame.
            let hx = (fr.x.1 - fr.x.0) / (fr.nx.max(2) - 1) as f64;
            let hy = (fr.y.1 - fr.y.0) / (fr.ny.max(2) - 1) as f64;
            let pts = fr.points();
            chart
                .draw_series(pts.chunks(2).zip(f.values).map(|(p, &v)| {
                    let (a, b) = ((p[0] - hx / 2.0).max(fr.x.0), (p[1] - hy / 2.0).max(fr.y.0));
                    let (c, d) = ((p[0] + hx / 2.0).min(fr.x.1), (p[1] + hy / 2.0).min(fr.y.1));
                    Rectangle::new([(a, b), (c, d)], colour(v).filled())
                }))
                .map_err(|e| e.to_string())?;
        }
        Some(at) => {
            chart
                .draw_series(at.iter().zip(f.values).map(|(&p, &v)| {
                    EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], colour(v).filled())
                }))
                .map_err(|e| e.to_string())?;
        }
    }
    chart
        .draw_series(f.marks.iter().map(|&p| Circle::new(p, 4, WHITE.filled())))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            f.marks
                .iter()
                .map(|&p| Circle::new(p, 4, BLACK.stroke_width(1))),
        )
        .map_err(|e| e.to_string())?;
    // The colour bar, drawn in pixels: 100 bands from lo (bottom) to hi (top), 5 labels.
    let (w, h) = bar.dim_in_pixel();
    let (top, bottom) = (44i32, h as i32 - 44);
    let (x0, x1) = (4i32, 22i32.min(w as i32));
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for k in 0..100 {
        let y = |k: i32| bottom - (bottom - top) * k / 100;
        bar.draw(&Rectangle::new(
            [(x0, y(k + 1)), (x1, y(k))],
            viridis((k as f64 + 0.5) / 100.0).filled(),
        ))
        .map_err(e)?;
    }
    for k in 0..=4 {
        let y = bottom - (bottom - top) * k / 4;
        let v = lo + span * k as f64 / 4.0;
        bar.draw(&Text::new(
            format!("{v:.2e}"),
            (x1 + 4, y - 6),
            ("sans-serif", 12),
        ))
        .map_err(e)?;
    }
    Ok(())
}

/// Several fields on one grid, side by side in a `cols`-wide layout, written as one PNG.
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written.
pub fn fields(
    path: &Path,
    frame: &Frame,
    panels: &[Field],
    cols: usize,
    labels: (&str, &str),
) -> Result<(), InferError> {
    let rows = panels.len().div_ceil(cols.max(1));
    atomically(path, |tmp| {
        let root =
            BitMapBackend::new(tmp, (520 * cols as u32, 440 * rows as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        for (area, f) in root.split_evenly((rows, cols)).iter().zip(panels) {
            draw_field(area, f, frame, labels)?;
        }
        root.present().map_err(|e| e.to_string())
    })
}

/// Curves with ± 2 standard-deviation bands, one panel each, written as one PNG.
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written.
pub fn bands(path: &Path, title: &str, xlabel: &str, panels: &[Band]) -> Result<(), InferError> {
    atomically(path, |tmp| {
        let root = BitMapBackend::new(tmp, (520 * panels.len() as u32, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| e.to_string())?;
        for (area, b) in root.split_evenly((1, panels.len())).iter().zip(panels) {
            let lo = b
                .mean
                .iter()
                .zip(b.std)
                .map(|(m, s)| m - 2.0 * s)
                .chain(b.marks.iter().map(|m| m.1))
                .fold(f64::INFINITY, f64::min);
            let hi = b
                .mean
                .iter()
                .zip(b.std)
                .map(|(m, s)| m + 2.0 * s)
                .chain(b.marks.iter().map(|m| m.1))
                .fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.05 * (hi - lo).max(1e-12);
            let (x0, x1) = (b.x[0], b.x[b.x.len() - 1]);
            let mut chart = ChartBuilder::on(area)
                .caption(&b.label, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .light_line_style(WHITE.mix(0.0))
                .x_desc(xlabel)
                .draw()
                .map_err(|e| e.to_string())?;
            let band: Vec<(f64, f64)> =
                b.x.iter()
                    .zip(b.mean.iter().zip(b.std))
                    .map(|(&x, (m, s))| (x, m + 2.0 * s))
                    .chain(
                        b.x.iter()
                            .zip(b.mean.iter().zip(b.std))
                            .rev()
                            .map(|(&x, (m, s))| (x, m - 2.0 * s)),
                    )
                    .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2).filled())))
                .map_err(|e| e.to_string())?
                .label("± 2 std")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.2).filled())
                });
            chart
                .draw_series(LineSeries::new(
                    b.x.iter().copied().zip(b.mean.iter().copied()),
                    BLUE.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label("posterior mean")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(2)));
            if let Some(ex) = b.exact {
                chart
                    .draw_series(LineSeries::new(
                        b.x.iter().copied().zip(ex.iter().copied()),
                        BLACK.stroke_width(1),
                    ))
                    .map_err(|e| e.to_string())?
                    .label("exact")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
            }
            if !b.marks.is_empty() {
                chart
                    .draw_series(b.marks.iter().map(|&p| Circle::new(p, 4, RED.filled())))
                    .map_err(|e| e.to_string())?
                    .label("data")
                    .legend(|(x, y)| Circle::new((x + 8, y), 4, RED.filled()));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())
    })
}
