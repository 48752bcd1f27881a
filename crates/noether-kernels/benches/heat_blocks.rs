//! The heat operator L = ∂_t − a ∂_xx on inputs (t, x) with an SE kernel (one lengthscale per
//! input): the blocks k_uu, k_uf, k_ff with their derivatives by (σ², ℓ_t, ℓ_x, a), over
//! 1000 × 1000 point pairs, from the compiled program and from closed forms written by hand for
//! this benchmark only. Both consume each entry the way the likelihood does: a weighted sum per
//! output (Σ_ij W_ij ∂K_ij/∂p), so that neither stores the derivative matrices.
//!
//! Run: `cargo bench -p noether-kernels --bench heat_blocks`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{criterion_group, criterion_main, Criterion};
use noether_kernels::apply::{covariance, with_gradient};
use noether_kernels::compile::{Program, Shape};
use noether_kernels::expr::{Graph, ParamId};
use noether_kernels::operator::{Names, Operator};
use noether_kernels::KernelSpec;
use rand::{Rng, SeedableRng};
use std::hint::black_box;

const N: usize = 1000;
// σ², ℓ_t, ℓ_x, a
const P: [f64; 4] = [1.3, 0.7, 0.4, 0.9];

fn points(seed: u64) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..2 * N).map(|_| rng.random::<f64>()).collect()
}

fn programs() -> Vec<Program> {
    let mut g = Graph::new(&["t", "x"]);
    let k = KernelSpec::se(true).build(&mut g, "u");
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec!["a".into()],
    };
    let u = Operator::parse("u", &mut g, &names).unwrap();
    let f = Operator::parse("u_t - a*u_xx", &mut g, &names).unwrap();
    let params: Vec<ParamId> = (0..4).map(ParamId).collect();
    [(&u, &u), (&u, &f), (&f, &f)]
        .iter()
        .map(|(l1, l2)| {
            let e = covariance(&mut g, std::slice::from_ref(&k), &names.latents, l1, l2).unwrap();
            let outs = with_gradient(&mut g, e, &params);
            Program::compile(&mut g, &outs)
        })
        .collect()
}

fn compiled(progs: &[Program], xs: &[f64], ys: &[f64], w: &[f64]) -> f64 {
    let mut total = 0.0;
    for p in progs {
        let b = p.bind(&P);
        let mut ws = p.workspace();
        let mut acc = [0.0; 5];
        p.visit(&b, &mut ws, xs, ys, 0..N, Shape::Full, |batch| {
            let wj = &w[batch.col0..batch.col0 + batch.len];
            for (k, a) in acc.iter_mut().enumerate() {
                *a += batch
                    .output(k)
                    .iter()
                    .zip(wj)
                    .map(|(v, w)| v * w)
                    .sum::<f64>();
            }
        });
        total += acc.iter().sum::<f64>();
    }
    total
}

/// Closed forms, derived by hand: with A = 1/ℓ_t², B = 1/ℓ_x², τ = t − t', ξ = x − x',
/// k = σ² exp(−½(Aτ² + Bξ²)),
/// k_uf = (Aτ − a(B²ξ² − B)) k,
/// k_ff = (A − A²τ² + a²(3B² − 6B³ξ² + B⁴ξ⁴)) k.
fn hand(xs: &[f64], ys: &[f64], w: &[f64]) -> f64 {
    let [s2, lt, lx, a] = P;
    let (aa, bb) = (1.0 / (lt * lt), 1.0 / (lx * lx));
    let mut acc = [[0.0f64; 5]; 3];
    for block in 0..3 {
        for i in 0..N {
            let (ti, xi) = (xs[2 * i], xs[2 * i + 1]);
            let mut r = [0.0f64; 5];
            for j in 0..N {
                let tau = ti - ys[2 * j];
                let xi_ = xi - ys[2 * j + 1];
                let (t2, x2) = (tau * tau, xi_ * xi_);
                let k = s2 * (-0.5 * (aa * t2 + bb * x2)).exp();
                let dk_lt = k * aa * t2 / lt;
                let dk_lx = k * bb * x2 / lx;
                let wj = w[j];
                let (v, dl_t, dl_x, da) = match block {
                    0 => (k, dk_lt, dk_lx, 0.0),
                    1 => {
                        let q = bb * bb * x2 - bb;
                        let p = aa * tau - a * q;
                        let dp_da = -q;
                        let dp_dl_t = tau * (-2.0 * aa / lt);
                        let dp_dl_x = -a * (2.0 * bb * x2 - 1.0) * (-2.0 * bb / lx);
                        (
                            p * k,
                            dp_dl_t * k + p * dk_lt,
                            dp_dl_x * k + p * dk_lx,
                            dp_da * k,
                        )
                    }
                    _ => {
                        let q =
                            3.0 * bb * bb - 6.0 * bb * bb * bb * x2 + bb * bb * bb * bb * x2 * x2;
                        let p = aa - aa * aa * t2 + a * a * q;
                        let dp_dl_t = (1.0 - 2.0 * aa * t2) * (-2.0 * aa / lt);
                        let dq_db = 6.0 * bb - 18.0 * bb * bb * x2 + 4.0 * bb * bb * bb * x2 * x2;
                        let dp_dl_x = a * a * dq_db * (-2.0 * bb / lx);
                        (
                            p * k,
                            dp_dl_t * k + p * dk_lt,
                            dp_dl_x * k + p * dk_lx,
                            2.0 * a * q * k,
                        )
                    }
                };
                r[0] += wj * v;
                r[1] += wj * v / s2;
                r[2] += wj * dl_t;
                r[3] += wj * dl_x;
                r[4] += wj * da;
            }
            for k in 0..5 {
                acc[block][k] += r[k];
            }
        }
    }
    acc.iter().flatten().sum()
}

fn bench(c: &mut Criterion) {
    let xs = points(1);
    let ys = points(2);
    let w: Vec<f64> = (0..N).map(|j| 1.0 / (1.0 + j as f64)).collect();
    let progs = programs();
    // The two must agree before their speed means anything.
    let (a, b) = (compiled(&progs, &xs, &ys, &w), hand(&xs, &ys, &w));
    assert!(
        (a - b).abs() <= 1e-9 * b.abs(),
        "compiled {a} vs hand-written {b}"
    );
    let mut group = c.benchmark_group("heat_blocks_1000x1000");
    group.sample_size(10);
    group.bench_function("compiled", |bch| {
        bch.iter(|| compiled(&progs, black_box(&xs), &ys, &w))
    });
    group.bench_function("hand_written", |bch| {
        bch.iter(|| hand(black_box(&xs), &ys, &w))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
