//! Time to a fitted model: evaluations and seconds per fit on the real gap-gene Hb problem
//! (580 + 580 observations) and on problem E4 (heat, 20 + 20), printed as JSON lines.
//!
//! `cargo bench --bench fit` runs every case; `cargo bench --bench fit -- hb` one of them.
//! Each case is fitted from the user's initial values alone (one start, `start: initial`) — the
//! protocol of the SciPy comparison — and from the default data-driven start alone.
//!
//! `cargo bench --bench fit -- --serve hb` instead serves the NLML and its gradient over the
//! free parameters on stdin/stdout (a line of θ in, a line `f g…` out; the first line out is θ₀),
//! so that `python3 benches/lbfgsb_reference.py hb` can run SciPy's L-BFGS-B on exactly the same
//! objective from exactly the same start.

use noether::demos::gap_genes;
use noether_infer::{heat_problem, FitOptions, Problem};
use noether_likelihood::fit::StartFrom;
use noether_likelihood::space::Space;
use std::io::{BufRead, Write};
use std::time::Instant;

fn case(name: &str) -> Problem {
    match name {
        // The initial values of the published run: λ 0.136, α 2.25 (Raissi & Karniadakis' code).
        "hb" => gap_genes::problem("Hb", 1, 0.136, 2.25, 0).expect("embedded data"),
        "heat" => heat_problem(20, 20, 0),
        other => panic!("unknown case `{other}`: hb or heat"),
    }
}

fn serve(name: &str) {
    let p = case(name);
    let model = p.model().expect("the problem builds");
    let base = model.values();
    let space = Space::new(&model, &base);
    let out = std::io::stdout();
    let mut out = out.lock();
    let theta0 = space.to_free(&base);
    let line = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:e}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    writeln!(out, "{}", line(&theta0)).unwrap();
    out.flush().unwrap();
    for l in std::io::stdin().lock().lines() {
        let theta: Vec<f64> = l
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let nat = space.to_natural(&theta);
        let reply = match model.nlml(&nat, true) {
            Ok(e) if e.nlml.is_finite() => {
                let g = space.gradient_to_free(&nat, &e.gradient);
                format!("{:e} {}", e.nlml, line(&g))
            }
            _ => "nan".into(),
        };
        writeln!(out, "{reply}").unwrap();
        out.flush().unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(args.get(i + 1).map_or("hb", String::as_str));
        return;
    }
    let cases: Vec<&str> = if args.is_empty() {
        vec!["heat", "hb"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for name in cases {
        for start in [StartFrom::Initial, StartFrom::Data] {
            let mut p = case(name);
            p.fit = FitOptions {
                start,
                restarts: 0,
                ..p.fit
            };
            let t = Instant::now();
            let f = p.fit().expect("the fit runs");
            let seconds = t.elapsed().as_secs_f64();
            let r = &f.report;
            let coefs: Vec<String> = f
                .result()
                .parameters
                .iter()
                .map(|(n, e)| format!("\"{n}\": {}", e.value))
                .collect();
            println!(
                "{{\"case\": \"{name}\", \"start\": \"{start:?}\", \"n\": {}, \"evaluations\": {}, \"iterations\": {}, \"seconds\": {seconds:.3}, \"nlml\": {}, \"converged\": {}, {}}}",
                f.model.num_observations(),
                r.evaluations,
                r.best.iterations,
                r.best.nlml,
                r.best.converged,
                coefs.join(", ")
            );
            if let Some(note) = &r.start_note {
                eprintln!(
                    "  {name}: {note}; first start NLML {:?}",
                    r.starts[0].initial_nlml
                );
            }
        }
    }
}
