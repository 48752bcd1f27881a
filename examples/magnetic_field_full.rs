//! The whole magnetometer data set with inducing points: the curl-free GP on 90 % of the 16,782
//! positions (45,312 observations), tested on the other 10 %.
//!
//! Run: `cargo run --release --example magnetic_field_full`. Writes `figures/magnetic_field_full/`.

use noether::demos::magnetic_field_full;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A seeded 90/10 split; the exact curl-free GP on 500 and 2,000 random training positions;
    //    the curl-free GP on all 15,104 training positions with 400 inducing points (k-means),
    //    from the 500-position fit's values; independent GPs with 133 inducing points on each of
    //    their three latents (399 inducing values in all, the curl-free model's budget).
    // `-- M MI SMALL` overrides the sizes: inducing points of the curl-free model, of each
    // independent latent (0: skip), and the larger exact baseline's training positions.
    let arg = |k: usize, d: usize| -> usize {
        std::env::args()
            .nth(k)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (m, mi, small) = (arg(1, 400), arg(2, 133), arg(3, 2000));
    let r = magnetic_field_full::run(m, 500, small, (mi > 0).then_some(mi), 0, &mut |line| {
        eprintln!("  {line}")
    })?;
    print!("{}", magnetic_field_full::table(&r));
    let dir = Path::new("figures/magnetic_field_full");
    std::fs::create_dir_all(dir)?;
    for f in magnetic_field_full::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
