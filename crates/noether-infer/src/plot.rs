//! Figures as PNG or SVG files (by the file's extension), drawn with plotters and an embedded font
//! (DejaVu Sans, Bitstream Vera licence, `assets/DejaVuSans-LICENSE.txt`), so that no system font
//! library is needed. Every figure is drawn into a temporary file and renamed into place: whole or
//! not at all.
//!
//! The style is one for every figure: round tick values (`0.2`, `-5e-05`), fonts readable at
//! slide size, labelled colour bars, one marker shape per channel with a legend, and axes padded
//! so that markers on the boundary are not clipped.

use crate::format::{tick, ticks};
use crate::InferError;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Font sizes, in pixels: panel titles, axis names, tick labels, legends.
const TITLE: u32 = 24;
const AXIS: u32 = 20;
const TICKS: u32 = 17;
const LEGEND: u32 = 16;

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to be valid; a failure would show as missing text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Points to mark on a figure, with the legend label they appear under (a channel's name).
#[derive(Clone, Debug)]
pub struct Marks<'a> {
    /// The legend label.
    pub label: String,
    /// The points (first coordinate, second coordinate; on a curve: abscissa, value).
    pub points: &'a [(f64, f64)],
}

impl<'a> Marks<'a> {
    /// Points under a label.
    pub fn new(label: impl Into<String>, points: &'a [(f64, f64)]) -> Marks<'a> {
        Marks {
            label: label.into(),
            points,
        }
    }
}

/// A 2-D field to draw as a heat map: values on the frame's grid, or at scattered points.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// The panel title.
    pub title: &'a str,
    /// The colour bar's label (a short name of the quantity, with its unit if known).
    pub bar: &'a str,
    /// Values: on the grid, row-major with the first coordinate the slow index; or one per point
    /// of `at`.
    pub values: &'a [f64],
    /// Points to mark, one shape per entry, with a legend.
    pub marks: &'a [Marks<'a>],
    /// When given, `values` are at these points, drawn as coloured squares.
    pub at: Option<&'a [(f64, f64)]>,
}

impl<'a> Field<'a> {
    /// A field on the frame's grid; `bar` labels its colour bar.
    pub fn grid(
        title: &'a str,
        bar: &'a str,
        values: &'a [f64],
        marks: &'a [Marks<'a>],
    ) -> Field<'a> {
        Field {
            title,
            bar,
            values,
            marks,
            at: None,
        }
    }
}

/// The rectangle and grid heat maps are drawn on.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Grid points along the first coordinate.
    pub nx: usize,
    /// Grid points along the second coordinate.
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
    /// The panel title.
    pub label: String,
    /// The name of the plotted quantity (the vertical axis).
    pub quantity: String,
    /// Abscissae.
    pub x: &'a [f64],
    /// Posterior mean.
    pub mean: &'a [f64],
    /// Posterior standard deviation (the band is ± 2 of them).
    pub std: &'a [f64],
    /// A reference curve (the exact solution), if any.
    pub exact: Option<&'a [f64]>,
    /// Observations to mark, one shape and colour per entry.
    pub marks: &'a [Marks<'a>],
}

/// What a figure file draws, on any plotters backend.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draw `fig` into a temporary file beside `path` (PNG, or SVG when `path` ends in `.svg`),
/// then rename it into place.
fn render(path: &Path, fig: &impl Figure) -> Result<(), InferError> {
    register();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let io = |message: String| InferError::Io {
        path: path.display().to_string(),
        message,
    };
    if ext != "png" && ext != "svg" {
        return Err(io(format!(
            "a figure is written as .png or .svg, not `.{ext}`"
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(io(format!("the folder `{}` does not exist", dir.display())));
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp.{ext}", std::process::id()));
    let drawn = if ext == "svg" {
        let root = SVGBackend::new(&tmp, fig.size()).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| fig.draw(&root))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    } else {
        let root = BitMapBackend::new(&tmp, fig.size()).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| fig.draw(&root))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    let res = drawn
        .map_err(|m| io(format!("drawing failed: {m}")))
        .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| io(e.to_string())));
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

/// The marker colours of successive channels on curves.
const COLOURS: [RGBColor; 5] = [
    RGBColor(213, 94, 0),
    RGBColor(0, 0, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
];

/// Marker radius in pixels.
const R: i32 = 6;

/// A closed outline through `v`.
fn closed(v: &[(i32, i32)]) -> Vec<(i32, i32)> {
    v.iter().chain(v.first()).copied().collect()
}

/// The `$shape`-th marker (circle, triangle, square, diamond, cross) at `$at`, filled with `$fill`
/// and outlined in `$edge`, in pixels around its anchor. (A macro, not a function: the anchor is
/// a data coordinate on the chart and a pixel in the legend, and plotters needs concrete types.)
macro_rules! marker {
    (0, $at:expr, $fill:expr, $edge:expr) => {
        EmptyElement::at($at)
            + Circle::new((0, 0), R, $fill.filled())
            + Circle::new((0, 0), R, $edge.stroke_width(1))
    };
    (1, $at:expr, $fill:expr, $edge:expr) => {
        EmptyElement::at($at)
            + Polygon::new(vec![(0, -R - 1), (-R - 1, R), (R + 1, R)], $fill.filled())
            + PathElement::new(
                closed(&[(0, -R - 1), (-R - 1, R), (R + 1, R)]),
                $edge.stroke_width(1),
            )
    };
    (2, $at:expr, $fill:expr, $edge:expr) => {
        EmptyElement::at($at)
            + Rectangle::new([(1 - R, 1 - R), (R - 1, R - 1)], $fill.filled())
            + Rectangle::new([(1 - R, 1 - R), (R - 1, R - 1)], $edge.stroke_width(1))
    };
    (3, $at:expr, $fill:expr, $edge:expr) => {
        EmptyElement::at($at)
            + Polygon::new(
                vec![(0, -R - 1), (R + 1, 0), (0, R + 1), (-R - 1, 0)],
                $fill.filled(),
            )
            + PathElement::new(
                closed(&[(0, -R - 1), (R + 1, 0), (0, R + 1), (-R - 1, 0)]),
                $edge.stroke_width(1),
            )
    };
    (4, $at:expr, $fill:expr, $edge:expr) => {
        // A cross has no inside to fill.
        EmptyElement::at($at)
            + PathElement::new(vec![(-R, -R), (R, R)], $edge.stroke_width(2))
            + PathElement::new(vec![(-R, R), (R, -R)], $edge.stroke_width(2))
    };
}

/// Draw one channel's points with marker `$shape` and give them a legend entry.
macro_rules! draw_shape {
    ($chart:expr, $m:expr, $shape:tt, $fill:expr, $edge:expr) => {{
        #[allow(unused_variables)]
        let (fill, edge) = ($fill, $edge);
        let series = $chart
            .draw_series($m.points.iter().map(|&p| marker!($shape, p, fill, edge)))
            .map_err(|e| e.to_string())?;
        if !$m.label.is_empty() && !$m.points.is_empty() {
            series
                .label($m.label.clone())
                .legend(move |(x, y)| marker!($shape, (x + 9, y), fill, edge));
        }
    }};
}

/// Draw one channel's points with the `k`-th marker shape, and give it a legend entry.
fn draw_marks<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    m: &Marks,
    k: usize,
    fill: RGBColor,
    edge: RGBColor,
) -> Result<(), String> {
    match k % 5 {
        0 => draw_shape!(chart, m, 0, fill, edge),
        1 => draw_shape!(chart, m, 1, fill, edge),
        2 => draw_shape!(chart, m, 2, fill, edge),
        3 => draw_shape!(chart, m, 3, fill, edge),
        _ => draw_shape!(chart, m, 4, fill, edge),
    }
    Ok(())
}

/// Axes with round tick values and readable fonts.
fn mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    labels: (&str, &str),
    grid_lines: bool,
) -> Result<(), String> {
    // Key points computed by stepping carry rounding (5.55e-17 for 0): snap what is zero at the
    // axis's scale.
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let (sx, sy) = ((xr.end - xr.start).abs(), (yr.end - yr.start).abs());
    let snap = |v: f64, span: f64| if v.abs() < 1e-9 * span { 0.0 } else { v };
    let fx = move |v: &f64| tick(snap(*v, sx));
    let fy = move |v: &f64| tick(snap(*v, sy));
    let mut m = chart.configure_mesh();
    if !grid_lines {
        m.disable_mesh();
    } else {
        m.light_line_style(WHITE.mix(0.0));
    }
    m.x_desc(labels.0)
        .y_desc(labels.1)
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style(("sans-serif", TICKS))
        .axis_desc_style(("sans-serif", AXIS))
        .draw()
        .map_err(|e| e.to_string())
}

/// Padded so that markers on the boundary are not clipped.
fn pad((lo, hi): (f64, f64), by: f64) -> (f64, f64) {
    let w = if hi > lo { hi - lo } else { 1.0 };
    (lo - by * w, hi + by * w)
}

fn draw_field<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f: &Field,
    fr: &Frame,
    labels: (&str, &str),
) -> Result<(), String> {
    let finite = f.values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(120));
    let (px, py) = (pad(fr.x, 0.02), pad(fr.y, 0.02));
    let mut chart = ChartBuilder::on(&plot)
        .caption(f.title, ("sans-serif", TITLE))
        .margin(10)
        .x_label_area_size(52)
        .y_label_area_size(68)
        .build_cartesian_2d(px.0..px.1, py.0..py.1)
        .map_err(|e| e.to_string())?;
    mesh(&mut chart, labels, false)?;
    let colour = |v: f64| {
        if v.is_finite() {
            viridis((v - lo) / span)
        } else {
            MISSING
        }
    };
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
    for (k, m) in f.marks.iter().enumerate() {
        draw_marks(&mut chart, m, k, WHITE, BLACK)?;
    }
    if f.marks
        .iter()
        .any(|m| !m.label.is_empty() && !m.points.is_empty())
    {
        legend(&mut chart)?;
    }
    colour_bar(&bar, f.bar, lo, hi)
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.75))
        .border_style(BLACK)
        .label_font(("sans-serif", LEGEND))
        .draw()
        .map_err(|e| e.to_string())
}

/// A vertical colour bar from `lo` (bottom) to `hi` (top) with round tick values and its label
/// above it, drawn in pixels.
fn colour_bar<DB: DrawingBackend>(
    bar: &DrawingArea<DB, Shift>,
    label: &str,
    lo: f64,
    hi: f64,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (w, h) = bar.dim_in_pixel();
    let (top, bottom) = (56i32, h as i32 - 62);
    let (x0, x1) = (6i32, 28i32.min(w as i32));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let y_of = |v: f64| bottom - ((bottom - top) as f64 * (v - lo) / span).round() as i32;
    for k in 0..100 {
        let y = |k: i32| bottom - (bottom - top) * k / 100;
        bar.draw(&Rectangle::new(
            [(x0, y(k + 1)), (x1, y(k))],
            viridis((k as f64 + 0.5) / 100.0).filled(),
        ))
        .map_err(e)?;
    }
    bar.draw(&Rectangle::new(
        [(x0, top), (x1, bottom)],
        BLACK.stroke_width(1),
    ))
    .map_err(e)?;
    let values = if hi > lo { ticks(lo, hi, 5) } else { vec![lo] };
    for v in values {
        let y = y_of(v);
        bar.draw(&PathElement::new(vec![(x1, y), (x1 + 4, y)], BLACK))
            .map_err(e)?;
        bar.draw(&Text::new(tick(v), (x1 + 7, y - 8), ("sans-serif", TICKS)))
            .map_err(e)?;
    }
    bar.draw(&Text::new(
        label.to_string(),
        (x0, top - 30),
        ("sans-serif", LEGEND),
    ))
    .map_err(e)
}

struct Fields<'a> {
    frame: &'a Frame,
    panels: &'a [Field<'a>],
    cols: usize,
    labels: (&'a str, &'a str),
}

impl Figure for Fields<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols.max(1));
        (640 * self.cols.max(1) as u32, 540 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = self.panels.len().div_ceil(self.cols.max(1));
        for (area, f) in root
            .split_evenly((rows, self.cols.max(1)))
            .iter()
            .zip(self.panels)
        {
            draw_field(area, f, self.frame, self.labels)?;
        }
        Ok(())
    }
}

/// Several fields on one grid, side by side in a `cols`-wide layout, written as one PNG (or SVG,
/// by the extension).
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written or its extension is not `.png`/`.svg`.
pub fn fields(
    path: &Path,
    frame: &Frame,
    panels: &[Field],
    cols: usize,
    labels: (&str, &str),
) -> Result<(), InferError> {
    render(
        path,
        &Fields {
            frame,
            panels,
            cols,
            labels,
        },
    )
}

struct Bands<'a> {
    title: &'a str,
    xlabel: &'a str,
    panels: &'a [Band<'a>],
}

impl Figure for Bands<'_> {
    fn size(&self) -> (u32, u32) {
        (660 * self.panels.len().max(1) as u32, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(self.title, ("sans-serif", TITLE))
                .map_err(|e| e.to_string())?
        };
        for (area, b) in root
            .split_evenly((1, self.panels.len().max(1)))
            .iter()
            .zip(self.panels)
        {
            draw_band(area, b, self.xlabel)?;
        }
        Ok(())
    }
}

fn draw_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    b: &Band,
    xlabel: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let values = b
        .mean
        .iter()
        .zip(b.std)
        .flat_map(|(m, s)| [m - 2.0 * s, m + 2.0 * s])
        .chain(b.marks.iter().flat_map(|m| m.points.iter().map(|p| p.1)))
        .chain(b.exact.into_iter().flatten().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), v| {
        (a.min(v), c.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    // Room above the curves for the legend.
    let (lo, hi) = pad((lo, hi + 0.25 * (hi - lo).max(1e-12)), 0.04);
    let (x0, x1) = (b.x[0], b.x[b.x.len() - 1]);
    let xr = pad((x0, x1), 0.02);
    let mut chart = ChartBuilder::on(area)
        .caption(&b.label, ("sans-serif", TITLE - 2))
        .margin(12)
        .x_label_area_size(52)
        .y_label_area_size(80)
        .build_cartesian_2d(xr.0..xr.1, lo..hi)
        .map_err(|e| e.to_string())?;
    mesh(&mut chart, (xlabel, &b.quantity), true)?;
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
        .map_err(e)?
        .label("± 2 std")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BLUE.mix(0.2).filled()));
    chart
        .draw_series(LineSeries::new(
            b.x.iter().copied().zip(b.mean.iter().copied()),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?
        .label("posterior mean")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
    if let Some(ex) = b.exact {
        // Where the exact curve is not finite it is missing: the line breaks there.
        let runs = finite_runs(b.x, ex);
        for (k, run) in runs.iter().enumerate() {
            let s = chart
                .draw_series(LineSeries::new(run.iter().copied(), BLACK.stroke_width(1)))
                .map_err(e)?;
            if k == 0 {
                s.label("exact")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK));
            }
        }
    }
    for (k, m) in b.marks.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        draw_marks(&mut chart, m, k, c, c)?;
    }
    legend(&mut chart)
}

/// The points `(x, y)` split into runs of finite ones: a curve is drawn missing, not at some
/// value, where it is not finite.
fn finite_runs(x: &[f64], y: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![];
    let mut open = false;
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            if !open {
                runs.push(vec![]);
                open = true;
            }
            if let Some(r) = runs.last_mut() {
                r.push((a, b));
            }
        } else {
            open = false;
        }
    }
    runs
}

/// The colour of a cell whose value is not finite: drawn as missing, never as a value.
const MISSING: RGBColor = RGBColor(225, 225, 225);

/// Curves with ± 2 standard-deviation bands, one panel each, written as one PNG (or SVG, by the
/// extension).
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written or its extension is not `.png`/`.svg`.
pub fn bands(path: &Path, title: &str, xlabel: &str, panels: &[Band]) -> Result<(), InferError> {
    render(
        path,
        &Bands {
            title,
            xlabel,
            panels,
        },
    )
}

/// A 2-D vector field drawn as arrows at points, one panel of a [`quivers`] figure.
#[derive(Clone, Debug)]
pub struct Arrows<'a> {
    /// The panel title.
    pub title: &'a str,
    /// Where the arrows start.
    pub at: &'a [(f64, f64)],
    /// The vectors, one per point.
    pub vectors: &'a [(f64, f64)],
    /// Points to mark (the training inputs), with a legend.
    pub marks: &'a [Marks<'a>],
}

struct Quivers<'a> {
    x: (f64, f64),
    y: (f64, f64),
    panels: &'a [Arrows<'a>],
    labels: (&'a str, &'a str),
}

impl Figure for Quivers<'_> {
    fn size(&self) -> (u32, u32) {
        (640 * self.panels.len().max(1) as u32, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        // One length scale for every panel, so that the panels compare: an arrow of the 90th
        // percentile length is 0.9 of a grid spacing.
        let mut lengths: Vec<f64> = self
            .panels
            .iter()
            .flat_map(|p| p.vectors.iter())
            .map(|v| v.0.hypot(v.1))
            .filter(|v| v.is_finite())
            .collect();
        lengths.sort_by(f64::total_cmp);
        let longest = lengths.get(lengths.len() * 9 / 10).copied().unwrap_or(0.0);
        let n = self.panels.first().map_or(1, |p| p.at.len().max(1));
        let spacing = (self.x.1 - self.x.0).max(self.y.1 - self.y.0) / (n as f64).sqrt();
        let scale = if longest > 0.0 {
            0.9 * spacing / longest
        } else {
            0.0
        };
        for (area, p) in root
            .split_evenly((1, self.panels.len().max(1)))
            .iter()
            .zip(self.panels)
        {
            let (px, py) = (pad(self.x, 0.04), pad(self.y, 0.04));
            let mut chart = ChartBuilder::on(area)
                .caption(p.title, ("sans-serif", TITLE - 2))
                .margin(12)
                .x_label_area_size(52)
                .y_label_area_size(60)
                .build_cartesian_2d(px.0..px.1, py.0..py.1)
                .map_err(|e| e.to_string())?;
            mesh(&mut chart, self.labels, false)?;
            let colour = RGBColor(33, 102, 172);
            chart
                .draw_series(p.at.iter().zip(p.vectors).map(|(&(x, y), &(u, v))| {
                    let (ex, ey) = (x + scale * u, y + scale * v);
                    PathElement::new(vec![(x, y), (ex, ey)], colour.stroke_width(2))
                }))
                .map_err(|e| e.to_string())?;
            // Arrow heads: two short strokes at the end, at ±25° from the shaft.
            chart
                .draw_series(p.at.iter().zip(p.vectors).flat_map(|(&(x, y), &(u, v))| {
                    let (dx, dy) = (scale * u, scale * v);
                    let (ex, ey) = (x + dx, y + dy);
                    let len = dx.hypot(dy);
                    let head = 0.3 * len;
                    [0.44f64, -0.44]
                        .into_iter()
                        .filter(move |_| len > 0.0)
                        .map(move |a| {
                            let (c, s) = (a.cos(), a.sin());
                            let (bx, by) = (-(dx * c - dy * s) / len, -(dx * s + dy * c) / len);
                            PathElement::new(
                                vec![(ex, ey), (ex + head * bx, ey + head * by)],
                                colour.stroke_width(2),
                            )
                        })
                }))
                .map_err(|e| e.to_string())?;
            for (k, m) in p.marks.iter().enumerate() {
                draw_marks(&mut chart, m, k, WHITE, BLACK)?;
            }
            if p.marks
                .iter()
                .any(|m| !m.label.is_empty() && !m.points.is_empty())
            {
                legend(&mut chart)?;
            }
        }
        Ok(())
    }
}

/// Vector fields as arrows over one rectangle, side by side, one length scale for all panels,
/// written as one PNG (or SVG, by the extension).
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written or its extension is not `.png`/`.svg`.
pub fn quivers(
    path: &Path,
    x: (f64, f64),
    y: (f64, f64),
    panels: &[Arrows],
    labels: (&str, &str),
) -> Result<(), InferError> {
    render(
        path,
        &Quivers {
            x,
            y,
            panels,
            labels,
        },
    )
}

/// Curves against one coordinate (or any (x, y) paths, such as phase portraits), one panel of a
/// [`curves`] figure.
#[derive(Clone, Debug)]
pub struct Curves<'a> {
    /// The panel title.
    pub title: &'a str,
    /// Axis names.
    pub labels: (&'a str, &'a str),
    /// Each curve: its legend label (none when empty) and its points, in order; the first is
    /// drawn thin and black, for a truth.
    pub series: &'a [(String, Vec<(f64, f64)>)],
    /// Points to mark, with a legend.
    pub marks: &'a [Marks<'a>],
}

struct CurvesFigure<'a> {
    panels: &'a [Curves<'a>],
}

/// Line colours of successive curves (the first black, for the truth; then Okabe & Ito's
/// colour-blind-safe palette).
const LINES: [RGBColor; 7] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

impl CurvesFigure<'_> {
    /// Rows and columns: one row up to four panels, rows of three past that.
    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let cols = if n <= 4 { n } else { 3 };
        (n.div_ceil(cols), cols)
    }
}

impl Figure for CurvesFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = self.grid();
        (600 * cols as u32, 540 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        for (area, p) in root.split_evenly(self.grid()).iter().zip(self.panels) {
            let all = p
                .series
                .iter()
                .flat_map(|s| s.1.iter().copied())
                .chain(p.marks.iter().flat_map(|m| m.points.iter().copied()))
                .filter(|q| q.0.is_finite() && q.1.is_finite());
            let (mut x, mut y) = (
                (f64::INFINITY, f64::NEG_INFINITY),
                (f64::INFINITY, f64::NEG_INFINITY),
            );
            for (a, b) in all {
                x = (x.0.min(a), x.1.max(a));
                y = (y.0.min(b), y.1.max(b));
            }
            if !x.0.is_finite() {
                x = (0.0, 1.0);
                y = (0.0, 1.0);
            }
            // Room above for the legend.
            let y = (y.0, y.1 + 0.2 * (y.1 - y.0).max(1e-12));
            let (px, py) = (pad(x, 0.03), pad(y, 0.04));
            let mut chart = ChartBuilder::on(area)
                .caption(p.title, ("sans-serif", TITLE - 2))
                .margin(12)
                .x_label_area_size(52)
                .y_label_area_size(80)
                .build_cartesian_2d(px.0..px.1, py.0..py.1)
                .map_err(|e| e.to_string())?;
            mesh(&mut chart, p.labels, true)?;
            for (k, (label, pts)) in p.series.iter().enumerate() {
                // Black for the first curve only; the others cycle through the colours.
                let c = LINES[if k == 0 {
                    0
                } else {
                    1 + (k - 1) % (LINES.len() - 1)
                }];
                let width = if k == 0 { 1 } else { 2 };
                let drawn = chart
                    .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(width)))
                    .map_err(|e| e.to_string())?;
                // An unlabelled curve (an empty first series keeps black, the truth's colour,
                // for none) has no legend entry.
                if !label.is_empty() {
                    drawn.label(label.clone()).legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 18, y)], c.stroke_width(width))
                    });
                }
            }
            for (k, m) in p.marks.iter().enumerate() {
                // Grey markers, so that they are not taken for a curve.
                let c = RGBColor(150, 150, 150);
                draw_marks(&mut chart, m, k, c, RGBColor(90, 90, 90))?;
            }
            legend(&mut chart)?;
        }
        Ok(())
    }
}

/// Panels of curves side by side, written as one PNG (or SVG, by the extension).
///
/// # Errors
/// [`InferError::Io`] when the file cannot be written or its extension is not `.png`/`.svg`.
pub fn curves(path: &Path, panels: &[Curves]) -> Result<(), InferError> {
    render(path, &CurvesFigure { panels })
}
