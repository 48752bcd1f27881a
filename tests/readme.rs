//! The README stays true: its command-line transcripts are run and their output compared line
//! by line (numbers to 1e-4 relative, everything else exactly), and the demo's table is the one
//! the README shows.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The fenced blocks of a Markdown text with their info strings.
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match open.take() {
                Some(b) => out.push(b),
                None => open = Some((info.trim().to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = open.as_mut() {
            lines.push(line.to_string());
        }
    }
    out
}

/// Words of a command line, with double-quoted words kept whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Two lines agree: the same words, numbers within 1e-4 relative.
fn agree(want: &str, got: &str) -> bool {
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (split(want), split(got));
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(u), Ok(v)) => (u - v).abs() <= 1e-4 * u.abs().max(v.abs()) + 1e-300,
                _ => x == y,
            })
}

/// Run every `$ ` line of the README's `sh` blocks, in order, in a folder holding a copy of
/// `tests/data/heat`, and compare what each prints with the lines under it.
#[test]
fn the_readme_transcripts_are_what_noether_prints() {
    let dir = std::env::temp_dir().join(format!("noether-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let heat = dir.join("tests/data/heat");
    std::fs::create_dir_all(&heat).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heat");
    for f in ["problem.json", "u.csv", "all.csv"] {
        std::fs::copy(src.join(f), heat.join(f)).unwrap();
    }
    let mut ran = 0;
    for (info, lines) in blocks(&readme()) {
        if info != "sh" {
            continue;
        }
        let mut k = 0;
        while k < lines.len() {
            let cmd = lines[k]
                .strip_prefix("$ ")
                .expect("a transcript line starts with `$ `");
            let expected: Vec<&String> = lines[k + 1..]
                .iter()
                .take_while(|l| !l.starts_with("$ "))
                .collect();
            k += 1 + expected.len();
            let w = words(cmd);
            if w[0] == "printf" {
                // printf 'TEXT' > FILE
                let text = cmd.split('\'').nth(1).unwrap().replace("\\n", "\n");
                std::fs::write(dir.join(w.last().unwrap()), text).unwrap();
                continue;
            }
            assert_eq!(w[0], "noether", "{cmd}");
            let o = Command::new(env!("CARGO_BIN_EXE_noether"))
                .args(&w[1..])
                .current_dir(&dir)
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&o.stderr).to_string()
                + &String::from_utf8_lossy(&o.stdout);
            assert!(o.status.success(), "{cmd}: {printed}");
            let got: Vec<&str> = printed.lines().collect();
            assert_eq!(got.len(), expected.len(), "{cmd}:\n{printed}");
            for (want, line) in expected.iter().zip(&got) {
                assert!(
                    agree(want, line),
                    "{cmd}:\n README: {want}\n prints: {line}"
                );
            }
            ran += 1;
        }
    }
    assert!(ran >= 5, "{ran} commands");
    for f in ["u.png", "f.svg"] {
        assert!(dir.join(f).metadata().unwrap().len() > 10_000, "{f}");
    }
}

/// The demo's table, as `noether demo` prints it, is the README's.
#[test]
fn the_readme_demo_table_is_what_the_demo_prints() {
    let r = noether::demos::heat::run(2, 0, 50, &mut |_| {}).unwrap();
    let table = noether::demos::heat::table(&r);
    let text = readme();
    let shown: Vec<String> = blocks(&text)
        .into_iter()
        .find(|(_, l)| l.first().is_some_and(|l| l.contains("quantity")))
        .unwrap()
        .1;
    let printed: Vec<&str> = table.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(printed.len(), shown.len(), "{table}");
    for (want, got) in shown.iter().zip(printed) {
        assert!(agree(want, got), "README: {want}\nprints: {got}");
    }
}
