//! Law discovery on the real Drosophila gap-gene data (`noether::demos::discover`): for Hb, Kr,
//! Gt and Kni, with the production f known, rank decay only, diffusion only, decay–diffusion
//! (the published model u_t + λu − αu_xx = f) and decay–diffusion–advection by evidence.
//!
//! Run: `cargo run --release --example discover_gap_genes [STRIDE]` (default 1: all 580 points of
//! each channel; 2 keeps every other position). Writes
//! `figures/discover_gap_genes/discover_gap_genes.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stride = std::env::args().nth(1).map_or(Ok(1), |s| s.parse())?;
    let started = std::time::Instant::now();
    let genes = noether::demos::discover::gap_genes_run(stride, &mut |s| eprintln!("{s}"))?;
    println!(
        "discover_gap_genes: the law of f for each gene from the library u, u_xx, u_x with u_t required (8 candidates each), {}\n", if stride == 1 { "all 580 points per channel".to_string() } else { format!("every {stride}th position") }
    );
    print!("{}", noether::demos::discover::gap_genes_table(&genes));
    for g in &genes {
        for n in &g.discovery.notes {
            println!("{}: note: {n}", g.name);
        }
    }
    println!("wall clock {:.0} s", started.elapsed().as_secs_f64());
    let dir = std::path::Path::new("figures/discover_gap_genes");
    std::fs::create_dir_all(dir)?;
    let path = dir.join("discover_gap_genes.png");
    noether::demos::discover::gap_genes_figure(&genes, &path)?;
    println!("wrote {}", path.display());
    Ok(())
}
