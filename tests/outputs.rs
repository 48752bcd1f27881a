//! No output overwrites an input: an output option (`--out`, `--cov`) naming the problem or
//! result being read, one of its data files or the points of `--at`, or another output, is one
//! line naming the option, and no file changes.

mod common;
use common::{noether, refused, scratch, stderr};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// A scratch copy of the heat problem and a result fitted from it.
fn setup(name: &str) -> PathBuf {
    let dir = scratch("outputs", name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heat");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for f in ["problem.json", "u.csv", "all.csv"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("at.csv"), "t,x\n0.5,0.25\n").unwrap();
    let d = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let o = noether(&[
        "fit",
        &d("problem.json"),
        "--out",
        &d("result.json"),
        "--restarts",
        "0",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

#[test]
fn every_output_option_refuses_an_input() {
    let dir = setup("cases");
    let destroy = "would destroy it";
    refused(
        &dir,
        &["fit", "problem.json", "--out", "problem.json"],
        "--out",
        destroy,
    );
    refused(
        &dir,
        &["fit", "problem.json", "--out", "u.csv"],
        "--out",
        destroy,
    );
    refused(
        &dir,
        &["fit", "problem.json", "--out", "sub/../all.csv"],
        "--out",
        destroy,
    );
    refused(
        &dir,
        &["fit", "result.json", "--out", "result.json"],
        "--out",
        destroy,
    );
    let p = ["predict", "result.json", "--channel", "u", "--at", "at.csv"];
    refused(
        &dir,
        &[&p[..], &["--out", "at.csv"]].concat(),
        "--out",
        destroy,
    );
    refused(
        &dir,
        &[&p[..], &["--out", "result.json"]].concat(),
        "--out",
        destroy,
    );
    refused(
        &dir,
        &[&p[..], &["--cov", "result.json"]].concat(),
        "--cov",
        destroy,
    );
    refused(
        &dir,
        &[&p[..], &["--cov", "./u.csv"]].concat(),
        "--cov",
        destroy,
    );
    refused(
        &dir,
        &[&p[..], &["--cov", "c.csv", "--out", "c.csv"]].concat(),
        "--out",
        "only one of them would be kept",
    );
    refused(
        &dir,
        &[
            "plot",
            "result.json",
            "--channel",
            "u",
            "--out",
            "result.json",
        ],
        "--out",
        destroy,
    );
    refused(
        &dir,
        &[
            "rollout",
            "result.json",
            "--from",
            "t=0,x=0",
            "--dt",
            "0.1",
            "--steps",
            "2",
            "--out",
            "all.csv",
        ],
        "--out",
        destroy,
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any spelling of any input path, given to any output option, is refused.
    #[test]
    fn random_output_paths_equal_to_an_input_are_refused(
        file in prop::sample::select(vec!["problem.json", "u.csv", "all.csv", "result.json", "at.csv"]),
        spelling in 0usize..4,
        command in 0usize..4,
    ) {
        let dir = setup(&format!("prop-{file}-{spelling}-{command}"));
        let path = match spelling {
            0 => file.to_string(),
            1 => format!("./{file}"),
            2 => format!("sub/../{file}"),
            _ => dir.join(file).to_str().unwrap().to_string(),
        };
        // `fit` reads the problem and its data; `predict` and `plot` the result, its data and
        // `--at` (the problem file is not theirs to read: it may be overwritten).
        let p = ["predict", "result.json", "--channel", "u", "--at", "at.csv"];
        let (args, option): (Vec<&str>, &str) = match (command, file) {
            (_, "problem.json") | (0, "u.csv" | "all.csv") => {
                (vec!["fit", "problem.json", "--out", &path], "--out")
            }
            (0 | 1, _) => ([&p[..], &["--out", &path]].concat(), "--out"),
            (2, _) | (_, "at.csv") => ([&p[..], &["--cov", &path]].concat(), "--cov"),
            _ => (vec!["plot", "result.json", "--channel", "u", "--out", &path], "--out"),
        };
        refused(&dir, &args, option, "would destroy it");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
