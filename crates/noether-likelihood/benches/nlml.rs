//! One NLML + gradient evaluation for the heat problem (E4's operator, u_t − a u_xx, SE kernel
//! with one lengthscale per input) at N = 500, 1000, 2000 observations in total (half on u, half
//! on f), beside the floor: faer's Cholesky plus inverse of a matrix of the same size.
//!
//! Run: `cargo bench -p noether-likelihood --bench nlml`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::linalg::solvers::DenseSolveCore;
use faer::{MatRef, Side};
use noether_likelihood::problems::heat_e4;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("heat_nlml_gradient");
    group.sample_size(10);
    for n in [500usize, 1000, 2000] {
        let m = heat_e4(n / 2, n / 2, 42, 1.0).unwrap();
        // Lengthscales and noise that keep K well conditioned at this density of points, so that
        // no jitter retry is timed.
        let v = [1.0, 0.3, 0.1, 1.0, 1e-2, 1e-2];
        let e = m.nlml(&v, true).unwrap();
        assert_eq!(e.jitter, 0.0);
        let k = m.covariance_lower(&v);
        group.bench_with_input(BenchmarkId::new("nlml_and_gradient", n), &n, |b, _| {
            b.iter(|| m.nlml(black_box(&v), true).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("cholesky_plus_inverse", n), &n, |b, _| {
            b.iter(|| {
                let llt = MatRef::from_column_major_slice(black_box(&k), n, n)
                    .llt(Side::Lower)
                    .unwrap();
                llt.inverse()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
