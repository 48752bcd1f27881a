//! A field even in x learned from data on x > 0 only: an even kernel against a plain one.
//!
//! Run: `cargo run --release --example symmetric`. Writes `figures/symmetric/`.

use noether::demos::symmetric;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. 30 noisy points of u = e^{−x²} cos 3x + x² sin 2y on (0, 1.5] × [0, 1]; an SE kernel
    //    made even in x, and the plain SE kernel.
    let r = symmetric::run(30, 40, 0)?;
    // 2. RMS errors on both sides, and the even posterior's symmetry.
    print!("{}", symmetric::table(&r));
    let dir = Path::new("figures/symmetric");
    std::fs::create_dir_all(dir)?;
    for f in symmetric::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
