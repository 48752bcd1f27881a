//! What the command-line tests share: running the binary, reading its output, scratch folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `noether` with `args`.
pub fn noether(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_noether"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Its standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Its standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A fresh scratch folder `noether-{suite}-{name}-{pid}` in the temporary folder.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("noether-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file in `dir` with its bytes, in order of path.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            p.is_file()
                .then(|| (p.display().to_string(), std::fs::read(&p).unwrap()))
        })
        .collect();
    v.sort();
    v
}

/// Run `args` in `dir`: it must fail with one line holding `option` and `why` and leave every
/// file as it was.
pub fn refused(dir: &Path, args: &[&str], option: &str, why: &str) {
    let before = snapshot(dir);
    let o = Command::new(env!("CARGO_BIN_EXE_noether"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(!o.status.success(), "{args:?} succeeded");
    assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
    assert!(e.contains(option) && e.contains(why), "{args:?}: {e}");
    assert!(snapshot(dir) == before, "{args:?} changed a file");
}

/// Run `args` in `dir`: it must succeed; its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_noether"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

/// `noether predict RESULT --channel CHANNEL --grid GRID` in `dir`: it must succeed.
pub fn predict_grid(dir: &Path, result: &str, channel: &str, grid: &str) -> Output {
    run_in(
        dir,
        &["predict", result, "--channel", channel, "--grid", grid],
    )
}
