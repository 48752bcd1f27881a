//! What the command-line tests share: running the binary, reading its output, scratch folders.
#![allow(dead_code)]

use std::path::PathBuf;
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
