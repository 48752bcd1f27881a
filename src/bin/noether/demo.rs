//! `noether demo`.

use crate::common::*;
use noether::demos::heat;
use noether_infer::InferError;
use std::path::{Path, PathBuf};

pub(crate) fn demo(out: &Path, restarts: usize, seed: u64, voice: Voice) -> Result<(), InferError> {
    voice.say(&format!("noether demo: u_t - a*u_xx = f (problem E4), 20 u + 20 f noise-free points, SE kernel, {} starts", restarts + 1));
    let mut progress = voice.progress("demo");
    let r = heat::run(restarts, seed, 50, &mut |e| progress.event(e));
    progress.finish();
    let r = r?;
    // The folder's result and figures are written whole or not at all: on a failure part-way,
    // what this run wrote is removed again.
    let existed = out.exists();
    let listing = |d: &Path| -> std::collections::BTreeSet<PathBuf> {
        std::fs::read_dir(d)
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let before = listing(out);
    let written = (|| {
        std::fs::create_dir_all(out).map_err(|e| InferError::Io {
            path: out.display().to_string(),
            message: e.to_string(),
        })?;
        let result = r.fitted.result();
        result.save(&out.join("result.json"))?;
        let figures = heat::figures(&r, out)?;
        Ok::<_, InferError>((result, figures))
    })();
    let (result, figures) = match written {
        Ok(w) => w,
        Err(e) => {
            if existed {
                for p in listing(out).difference(&before) {
                    let _ = std::fs::remove_file(p);
                }
            } else {
                let _ = std::fs::remove_dir_all(out);
            }
            return Err(e);
        }
    };
    // The comparison is the demo's output: it goes to stdout, even with --quiet.
    let mut text = heat::table(&r);
    if !result.optimizer.converged {
        text += &format!("  note: {}\n", result.optimizer.termination);
    }
    emit(None, &text)?;
    voice.say(&format!(
        "\n  wrote {} and {}",
        out.join("result.json").display(),
        figures.join(", ")
    ));
    Ok(())
}
