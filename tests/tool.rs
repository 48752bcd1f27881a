//! The command line as a new user meets it: version, progress and its control, saved models that
//! move with their data, predictions from stdin and on grids, and `noether plot`.

mod common;
use common::{noether, scratch as scratch_in, stderr, stdout};

fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("tool", name)
}

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A copy of the heat problem and its data in `dir/data/`, fitted with one start into
/// `dir/out/result.json`; returns the result's path.
fn fitted_heat(dir: &Path, extra: &[&str]) -> (PathBuf, Output) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heat");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["problem.json", "u.csv", "all.csv"] {
        std::fs::copy(src.join(f), data.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let result = dir.join("out/result.json");
    let mut args: Vec<String> = vec![
        "fit".into(),
        data.join("problem.json").to_str().unwrap().into(),
        "--out".into(),
        result.to_str().unwrap().into(),
        "--restarts".into(),
        "0".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = noether(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    (result, o)
}

fn csv_rows(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

#[test]
fn version_names_the_package() {
    let o = noether(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        format!("noether {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Not a terminal: progress is plain lines (the estimate, each start); --quiet silences it;
/// --verbose names every parameter at every iteration.
#[test]
fn progress_is_plain_lines_quiet_is_silent_and_verbose_names_values() {
    let dir = scratch("progress");
    let (_, o) = fitted_heat(&dir, &[]);
    let e = stderr(&o);
    assert!(e.contains("estimating a start from the data"), "{e}");
    assert!(e.contains("start 0 (data-driven): NLML"), "{e}");
    assert!(e.contains("standard error"), "{e}");
    assert!(
        !e.contains('\u{1b}'),
        "no terminal escapes when not a terminal: {e}"
    );

    let (_, o) = fitted_heat(&dir, &["--quiet"]);
    assert_eq!(stderr(&o), "");

    let (_, o) = fitted_heat(&dir, &["--verbose"]);
    let e = stderr(&o);
    let line = e
        .lines()
        .find(|l| l.contains("start 0 iteration 1:"))
        .unwrap_or_else(|| panic!("no iteration line: {e}"));
    for name in ["a = ", "u.variance = ", "u.lengthscales.t = ", "noise.f = "] {
        assert!(line.contains(name), "{line}");
    }
    let o = noether(&["fit", "x.json", "-q", "-v"]);
    assert!(!o.status.success());
}

/// The summary prints every number in one style: plain decimals or `d.ddde±XX`.
#[test]
fn the_summary_prints_numbers_in_one_style() {
    let dir = scratch("numbers");
    let (_, o) = fitted_heat(&dir, &[]);
    let e = stderr(&o);
    let table: Vec<&str> = e
        .lines()
        .skip_while(|l| !l.contains("standard error"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("NLML"))
        .collect();
    assert!(table.len() >= 6, "{e}");
    for row in table {
        for field in row.split_whitespace().skip(1) {
            if field == "not" || field == "identifiable" || field == "fixed" {
                continue;
            }
            let ok = match field.split_once('e') {
                Some((m, x)) => {
                    m.parse::<f64>().is_ok()
                        && (x.starts_with('+') || x.starts_with('-'))
                        && x.len() >= 3
                }
                None => field.parse::<f64>().is_ok(),
            };
            assert!(ok, "`{field}` in `{row}`");
        }
    }
}

/// A result moved together with its data still predicts; a changed data file is named in a
/// warning; a missing one is an error naming it.
#[test]
fn a_result_moves_with_its_data_and_notices_changes() {
    let dir = scratch("move");
    let (_, _) = fitted_heat(&dir, &["--quiet"]);
    let moved = scratch("moved");
    std::fs::remove_dir_all(&moved).unwrap();
    std::fs::rename(&dir, &moved).unwrap();
    let result = moved.join("out/result.json");
    let r = result.to_str().unwrap();
    let o = noether(&["predict", r, "--channel", "u", "--grid", "t=0.5,x=0.25"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing changed, nothing to warn of");
    let before = csv_rows(&stdout(&o));
    assert!((before[0][2] - (-0.5f64).exp()).abs() < 1e-3);

    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(moved.join("data/u.csv"))
        .unwrap();
    writeln!(f, "0.5,0.25,0.9").unwrap();
    let o = noether(&["predict", r, "--channel", "u", "--grid", "t=0.5,x=0.25"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("warning: ")
            && e.contains("u.csv changed since the fit")
            && e.lines().count() == 1,
        "{e}"
    );

    std::fs::remove_file(moved.join("data/all.csv")).unwrap();
    let o = noether(&["predict", r, "--channel", "u", "--grid", "t=0.5,x=0.25"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).lines().last().unwrap().starts_with("noether: ")
            && stderr(&o).contains("all.csv")
    );
}

/// `--at -` reads stdin; `--grid` gives the same numbers as the equivalent CSV; `--with-noise`
/// adds exactly the channel's noise variance.
#[test]
fn predictions_from_stdin_on_grids_and_with_noise() {
    let dir = scratch("predict");
    let (result, _) = fitted_heat(&dir, &["--quiet"]);
    let r = result.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_noether"))
        .args(["predict", r, "--channel", "-u_x", "--at", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"t,x\n0,0.5\n0.5,0.5\n1,0.5\n")
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success(), "{}", stderr(&piped));
    let o = noether(&["predict", r, "--channel", "-u_x", "--grid", "t=0:1:3,x=0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&piped));
    let rows = csv_rows(&stdout(&o));
    let tau = 2.0 * std::f64::consts::PI;
    for row in &rows {
        // −u_x at x = ½: e^{−t} 2π.
        // (0.3 % at t = 0, the edge of the data, with the default priors.)
        assert!((row[2] - (-row[0]).exp() * tau).abs() < 3e-2, "{row:?}");
    }

    let noise: f64 = {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
        v["noise"]["f"]["value"].as_f64().unwrap()
    };
    let plain = csv_rows(&stdout(&noether(&[
        "predict",
        r,
        "--channel",
        "f",
        "--grid",
        "t=0.3,x=0:1:4",
    ])));
    let noisy = csv_rows(&stdout(&noether(&[
        "predict",
        r,
        "--channel",
        "f",
        "--grid",
        "t=0.3,x=0:1:4",
        "--with-noise",
    ])));
    for (p, n) in plain.iter().zip(&noisy) {
        assert_eq!(p[2], n[2]);
        let added = n[3] * n[3] - p[3] * p[3];
        assert!(
            (added - noise).abs() <= 1e-9 * noise.max(p[3] * p[3]),
            "{added} vs {noise}"
        );
    }
}

#[test]
fn bad_grids_and_noise_requests_are_one_line() {
    let dir = scratch("badgrid");
    let (result, _) = fitted_heat(&dir, &["--quiet"]);
    let r = result.to_str().unwrap();
    for (args, want) in [
        (
            vec!["--grid", "t=0:1:5,z=0:1:5"],
            "--grid: `z` is not an input (the inputs are t, x)",
        ),
        (
            vec!["--grid", "t=0:1:5"],
            "--grid: no values for the input `x`",
        ),
        (vec!["--grid", "t=0:1,x=0"], "NAME=FROM:TO:COUNT"),
        (vec!["--grid", "t=0:1:-3,x=0"], "count `-3`"),
        (
            vec!["--grid", "t=0:1:2000,x=0:1:2000"],
            "more than 1000000 points",
        ),
        (vec!["--grid", "t=0:inf:3,x=0"], "not a finite number"),
        (
            vec!["--grid", "t=0,x=0", "--with-noise", "--channel", "u_x"],
            "`u_x` is not a channel",
        ),
    ] {
        let mut a = vec!["predict", r];
        if !args.contains(&"--channel") {
            a.extend(["--channel", "u"]);
        }
        a.extend(args.iter().copied());
        let o = noether(&a);
        assert!(!o.status.success(), "{a:?}");
        let e = stderr(&o);
        assert!(
            e.lines().count() == 1 && e.starts_with("noether: ") && e.contains(want),
            "{a:?}: {e}"
        );
        assert!(stdout(&o).is_empty());
    }
    // A problem file is not a result: say so and what to run.
    let problem = dir.join("data/problem.json");
    let o = noether(&["plot", problem.to_str().unwrap(), "--channel", "u"]);
    assert!(stderr(&o).contains("this is a problem file, not a result: fit it first"));
}

fn is_png(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() > 10_000)
}

/// One input: a band; two: heat maps; PNG or SVG by extension; a default name from the channel.
#[test]
fn plot_draws_one_or_two_inputs_as_png_or_svg() {
    let dir = scratch("plot");
    let (result, _) = fitted_heat(&dir, &["--quiet"]);
    let r = result.to_str().unwrap();
    let two = dir.join("u.png");
    let o = noether(&[
        "plot",
        r,
        "--channel",
        "u",
        "--truth",
        "exp(-t)*sin(2*pi*x)",
        "--out",
        two.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(is_png(&two));
    let one = dir.join("f.svg");
    let o = noether(&[
        "plot",
        r,
        "--channel",
        "f",
        "--fix",
        "t=0.3",
        "--grid",
        "x=0:1:50",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&one).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains("posterior of f at t = 0.3")
            && svg.contains("f data")
    );
    // Without --out: the channel's name, in the working folder.
    let o = Command::new(env!("CARGO_BIN_EXE_noether"))
        .args(["plot", r, "--channel", "u_x", "--fix", "x=0.5"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(is_png(&dir.join("u_x.png")));
}

#[test]
fn bad_plots_are_one_line_and_write_nothing() {
    let dir = scratch("badplot");
    let (result, _) = fitted_heat(&dir, &["--quiet"]);
    let r = result.to_str().unwrap();
    let out = dir.join("fig.png");
    let o = out.to_str().unwrap();
    for (args, want) in [
        (vec!["--fix", "z=0.5"], "--fix: `z` is not an input"),
        (vec!["--fix", "t=0:1:5"], "`t` takes one value"),
        (vec!["--fix", "t=0.5,x=0.5"], "every input has one value"),
        (
            vec!["--grid", "t=0:1:5", "--fix", "t=1"],
            "`t` is also in --grid",
        ),
        (
            vec!["--truth", "exp(-t)*sin(2*pi*y)"],
            "--truth: unknown name `y`",
        ),
        (vec!["--truth", "sin(t"], "without its `)`"),
    ] {
        let mut a = vec!["plot", r, "--channel", "u", "--out", o];
        a.extend(args.iter().copied());
        let p = noether(&a);
        assert!(!p.status.success(), "{a:?}");
        let e = stderr(&p);
        assert!(e.lines().count() == 1 && e.contains(want), "{a:?}: {e}");
        assert!(!out.exists());
    }
    let jpg = dir.join("fig.jpg");
    let p = noether(&["plot", r, "--channel", "u", "--out", jpg.to_str().unwrap()]);
    assert!(stderr(&p).contains("a figure is written as .png or .svg, not `.jpg`"));
    assert!(!jpg.exists());
    let leftovers = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

/// Three inputs: a plot must fix all but one or two, and says how.
#[test]
fn plot_over_three_inputs_asks_for_fix() {
    let dir = scratch("three");
    let pts: Vec<[f64; 3]> = (0..27)
        .map(|k| {
            [
                (k % 3) as f64 / 2.0,
                ((k / 3) % 3) as f64 / 2.0,
                (k / 9) as f64 / 2.0,
            ]
        })
        .collect();
    let x: Vec<String> = pts
        .iter()
        .map(|p| format!("[{},{},{}]", p[0], p[1], p[2]))
        .collect();
    let y: Vec<String> = pts
        .iter()
        .map(|p| format!("{}", p[0] + p[1] * p[2]))
        .collect();
    let problem = format!(
        r#"{{"inputs": ["x", "y", "z"], "latents": {{"u": {{"kernel": "se", "variance": 1, "lengthscales": 1}}}},
            "channels": [{{"name": "u", "operator": "u", "noise": 1e-4, "data": {{"x": [{}], "y": [{}]}}}}],
            "fit": {{"restarts": 0}}}}"#,
        x.join(","),
        y.join(",")
    );
    std::fs::write(dir.join("p.json"), problem).unwrap();
    let result = dir.join("r.json");
    let o = noether(&[
        "fit",
        dir.join("p.json").to_str().unwrap(),
        "--out",
        result.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = result.to_str().unwrap();
    let o = noether(&["plot", r, "--channel", "u"]);
    let e = stderr(&o);
    assert!(
        !o.status.success() && e.contains("`u` is a function of x, y, z; a plot shows one or two: fix the rest, e.g. --fix z=0.5"),
        "{e}"
    );
    let fig = dir.join("slice.png");
    let o = noether(&[
        "plot",
        r,
        "--channel",
        "u",
        "--fix",
        "z=0.5",
        "--out",
        fig.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(is_png(&fig));
}
