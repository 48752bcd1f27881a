//! Operator-applied kernels against finite differences, symmetry, positive semi-definiteness,
//! closed forms, random operators and parser errors.

use noether_kernels::apply::{covariance, kernel_derivative, with_gradient};
use noether_kernels::compile::Program;
use noether_kernels::expr::{Env, ExprId, Graph, ParamId, Var};
use noether_kernels::operator::{Names, Operator};
use noether_kernels::{KernelError, KernelSpec};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

fn specs() -> Vec<KernelSpec> {
    vec![
        KernelSpec::se(true),
        KernelSpec::matern32(true),
        KernelSpec::matern52(true),
        KernelSpec::rq(true),
        KernelSpec::periodic(true),
        KernelSpec::Sum(vec![KernelSpec::se(false), KernelSpec::periodic(false)]),
        KernelSpec::Product(vec![
            KernelSpec::matern52(true),
            KernelSpec::Scaled(0.5, Box::new(KernelSpec::rq(false))),
        ]),
        // The magnetic-field potential: SE plus a linear trend plus a constant.
        KernelSpec::Sum(vec![
            KernelSpec::se(true),
            KernelSpec::linear(true),
            KernelSpec::constant(),
        ]),
        KernelSpec::Product(vec![KernelSpec::linear(false), KernelSpec::se(false)]),
        // Even in x0, odd in x0, symmetric under x0 ↔ x1 (when there are two inputs).
        KernelSpec::Symmetric {
            spec: Box::new(KernelSpec::se(true)),
            map: noether_kernels::Involution {
                negate: vec![0],
                swap: vec![],
            },
            sign: 1.0,
        },
        KernelSpec::Symmetric {
            spec: Box::new(KernelSpec::matern52(true)),
            map: noether_kernels::Involution {
                negate: vec![0],
                swap: vec![],
            },
            sign: -1.0,
        },
    ]
}

fn input_names(d: usize) -> Vec<String> {
    (0..d).map(|i| format!("x{i}")).collect()
}

/// Parameter values: variances 1.3, lengthscales in [0.6, 1.2], α = 1.5, period 1.7.
fn param_values(g: &Graph, rng: &mut impl Rng) -> Vec<f64> {
    g.param_names()
        .iter()
        .map(|n| {
            if n.ends_with("variance") {
                1.3
            } else if n.ends_with("offset") {
                0.4
            } else if n.ends_with("alpha") {
                1.5
            } else if n.ends_with("period") {
                1.7
            } else if n.contains("lengthscale") {
                rng.random_range(0.6..1.2)
            } else {
                rng.random_range(-1.0..1.0)
            }
        })
        .collect()
}

fn central(f: impl Fn(f64) -> f64, at: f64, h: f64) -> f64 {
    (f(at + h) - f(at - h)) / (2.0 * h)
}

/// Every step of differentiation, from the base kernel up to total order 4 (within each kernel's
/// supported order per argument), equals the central difference of the step before; so every
/// derivative kernel is checked against finite differences of the base kernel by induction.
#[test]
fn derivative_kernels_match_finite_differences_up_to_order_4() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut checked = 0;
    for d in [1usize, 2, 4] {
        for spec in specs() {
            let mut g = Graph::new(&input_names(d));
            let k = spec.build(&mut g, "u");
            let max = k.max_order.unwrap_or(2).min(2);
            let params = param_values(&g, &mut rng);
            for _trial in 0..4 {
                let x: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
                let y: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
                let mut e = k.expr;
                let (mut ox, mut oy) = (0, 0);
                for _step in 0..6 {
                    let first = rng.random_bool(0.5);
                    let (arg_ok, v) = if first {
                        (ox < max, Var::X(rng.random_range(0..d) as u16))
                    } else {
                        (oy < max, Var::Y(rng.random_range(0..d) as u16))
                    };
                    if !arg_ok {
                        continue;
                    }
                    if first {
                        ox += 1
                    } else {
                        oy += 1
                    }
                    let de = g.diff(e, v);
                    let at = |xs: &[f64], ys: &[f64], ex: ExprId| {
                        g.eval(
                            ex,
                            &Env {
                                x: xs,
                                y: ys,
                                params: &params,
                            },
                        )
                    };
                    let exact = at(&x, &y, de);
                    let coord = match v {
                        Var::X(i) => x[i as usize],
                        Var::Y(i) => y[i as usize],
                        Var::Param(_) => unreachable!(),
                    };
                    let fd = central(
                        |t| {
                            let (mut xx, mut yy) = (x.clone(), y.clone());
                            match v {
                                Var::X(i) => xx[i as usize] = t,
                                Var::Y(i) => yy[i as usize] = t,
                                Var::Param(_) => unreachable!(),
                            }
                            at(&xx, &yy, e)
                        },
                        coord,
                        1e-5,
                    );
                    let scale = 1.0 + exact.abs() + at(&x, &y, e).abs();
                    assert!(
                        (fd - exact).abs() <= 2e-6 * scale,
                        "{} d={d} {v:?}: symbolic {exact} vs finite difference {fd}",
                        spec.name()
                    );
                    e = de;
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} derivative steps checked");
}

/// Cov(L₁, L₂) by every parameter (kernel hyperparameters and operator coefficients) against
/// central finite differences in that parameter.
#[test]
fn parameter_derivatives_match_finite_differences() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let cases = [
        (KernelSpec::se(true), "u_t - a*u_xx", "u"),
        (KernelSpec::se(true), "u_t - a*u_xx", "u_t - a*u_xx"),
        (KernelSpec::matern52(true), "u_x + a*u", "x*u_t + exp(a)*u"),
        (KernelSpec::rq(false), "u_xx + a*u_x", "u"),
        (KernelSpec::periodic(true), "u_tx", "a^2*u_x"),
    ];
    for (spec, o1, o2) in cases {
        let mut g = Graph::new(&["t", "x"]);
        let k = spec.build(&mut g, "u");
        let names = Names {
            latents: vec!["u".into()],
            parameters: vec!["a".into()],
        };
        let l1 = Operator::parse(o1, &mut g, &names).unwrap();
        let l2 = Operator::parse(o2, &mut g, &names).unwrap();
        let c = covariance(&mut g, &[k], &names.latents, &l1, &l2).unwrap();
        let ps: Vec<ParamId> = (0..g.num_params()).map(|i| ParamId(i as u32)).collect();
        let outs = with_gradient(&mut g, c, &ps);
        let mut params = param_values(&g, &mut rng);
        let (x, y) = ([0.3, -0.2], [0.1, 0.35]);
        for (pi, &out) in outs[1..].iter().enumerate() {
            let exact = g.eval(
                out,
                &Env {
                    x: &x,
                    y: &y,
                    params: &params,
                },
            );
            let p0 = params[pi];
            let h = 1e-6 * p0.abs().max(1.0);
            let mut at = |v: f64| {
                params[pi] = v;
                g.eval(
                    c,
                    &Env {
                        x: &x,
                        y: &y,
                        params: &params,
                    },
                )
            };
            let fd = (at(p0 + h) - at(p0 - h)) / (2.0 * h);
            params[pi] = p0;
            assert!(
                (fd - exact).abs() <= 1e-6 * (1.0 + exact.abs()),
                "{} Cov({o1}, {o2}) by {}: {exact} vs {fd}",
                spec.name(),
                g.param_name(ps[pi])
            );
        }
    }
}

#[test]
fn covariance_is_symmetric_under_exchange_of_arguments() {
    let ops = [
        "u",
        "x*u_x + exp(c)*u",
        "u_t - c*u_xx",
        "d(u, x, 2) + sin(t)*u",
        "d(x*u, t)",
    ];
    for spec in specs() {
        let mut g = Graph::new(&["t", "x"]);
        let k = spec.build(&mut g, "u");
        let names = Names {
            latents: vec!["u".into()],
            parameters: vec!["c".into()],
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut params = param_values(&g, &mut rng);
        params.push(0.4); // c
        for a in ops {
            for b in ops {
                let la = Operator::parse(a, &mut g, &names).unwrap();
                let lb = Operator::parse(b, &mut g, &names).unwrap();
                let (Ok(ab), Ok(ba)) = (
                    covariance(&mut g, std::slice::from_ref(&k), &names.latents, &la, &lb),
                    covariance(&mut g, std::slice::from_ref(&k), &names.latents, &lb, &la),
                ) else {
                    continue; // beyond a Matérn kernel's order: rejected both ways
                };
                let (x, y) = ([0.2, 0.7], [-0.4, 0.1]);
                let v1 = g.eval(
                    ab,
                    &Env {
                        x: &x,
                        y: &y,
                        params: &params,
                    },
                );
                let v2 = g.eval(
                    ba,
                    &Env {
                        x: &y,
                        y: &x,
                        params: &params,
                    },
                );
                assert!(
                    (v1 - v2).abs() <= 1e-12 * (1.0 + v1.abs()),
                    "{} ({a}, {b}): {v1} vs {v2}",
                    spec.name()
                );
            }
        }
    }
}

fn min_eigenvalue(m: &[f64], n: usize) -> (f64, f64) {
    let mat = nalgebra::DMatrix::from_row_slice(n, n, m);
    let tr = mat.trace();
    let ev = nalgebra::SymmetricEigen::new(mat).eigenvalues;
    (ev.min(), tr)
}

#[test]
fn joint_gram_matrix_of_several_operators_is_positive_semidefinite() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for spec in specs() {
        let mut g = Graph::new(&["t", "x"]);
        let k = spec.build(&mut g, "u");
        let names = Names {
            latents: vec!["u".into()],
            parameters: vec!["a".into()],
        };
        let mut ops = vec!["u", "u_x", "x*u_t + u"];
        if k.max_order.is_none_or(|m| m >= 2) {
            ops.extend(["u_t - a*u_xx", "u_tx"]);
        }
        let ops: Vec<Operator> = ops
            .iter()
            .map(|o| Operator::parse(o, &mut g, &names).unwrap())
            .collect();
        let mut params = param_values(&g, &mut rng);
        params.push(0.7); // a
        let m = 6;
        let pts: Vec<f64> = (0..2 * m).map(|_| rng.random_range(0.0..1.0)).collect();
        let n = m * ops.len();
        let mut gram = vec![0.0; n * n];
        for (a, la) in ops.iter().enumerate() {
            for (b, lb) in ops.iter().enumerate() {
                let c =
                    covariance(&mut g, std::slice::from_ref(&k), &names.latents, la, lb).unwrap();
                let prog = Program::compile(&mut g, &[c]);
                let blk = prog.fill(&prog.bind(&params), &pts, &pts);
                for i in 0..m {
                    for j in 0..m {
                        gram[(a * m + i) * n + b * m + j] = blk[0][i * m + j];
                    }
                }
            }
        }
        let (lmin, tr) = min_eigenvalue(&gram, n);
        assert!(
            lmin >= -1e-10 * tr,
            "{}: smallest eigenvalue {lmin}, trace {tr}",
            spec.name()
        );
    }
}

/// The closed form for the SE kernel in 1-D, derived by hand from k = σ² exp(−r²/2ℓ²):
/// ∂²/∂x² ∂²/∂x'² k = σ²/ℓ⁴ (3 − 6 r²/ℓ² + r⁴/ℓ⁴) exp(−r²/2ℓ²).
#[test]
fn second_derivative_se_kernel_matches_closed_form() {
    let mut g = Graph::new(&["x"]);
    let k = KernelSpec::se(false).build(&mut g, "u");
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec![],
    };
    let l = Operator::parse("u_xx", &mut g, &names).unwrap();
    let kff = covariance(&mut g, &[k], &names.latents, &l, &l).unwrap();
    let prog = Program::compile(&mut g, &[kff]);
    let (s2, ell) = (0.8, 0.35);
    let b = prog.bind(&[s2, ell]);
    for r in [0.0, 0.1, 0.35, 0.9, 2.0] {
        let q = r * r / (ell * ell);
        let exact = s2 / ell.powi(4) * (3.0 - 6.0 * q + q * q) * (-0.5 * q).exp();
        let v = g.eval(
            kff,
            &Env {
                x: &[0.2 + r],
                y: &[0.2],
                params: &[s2, ell],
            },
        );
        let c = prog.eval_pair(&b, &[0.2 + r], &[0.2])[0];
        let tol = 1e-13 * s2 / ell.powi(4);
        assert!(
            (v - exact).abs() <= tol && (c - exact).abs() <= tol,
            "r={r}: {v} {c} vs {exact}"
        );
    }
}

#[test]
fn matern_derivative_kernels_are_continuous_at_zero_distance() {
    for (spec, op) in [
        (KernelSpec::matern32(true), "u_x"),
        (KernelSpec::matern52(true), "u_xx + u_tx"),
    ] {
        let mut g = Graph::new(&["t", "x"]);
        let k = spec.build(&mut g, "u");
        let names = Names {
            latents: vec!["u".into()],
            parameters: vec![],
        };
        let l = Operator::parse(op, &mut g, &names).unwrap();
        let c = covariance(&mut g, &[k], &names.latents, &l, &l).unwrap();
        let prog = Program::compile(&mut g, &[c]);
        let params = [1.1, 0.7, 0.4];
        let b = prog.bind(&params);
        let x = [0.3, 0.6];
        let at0 = prog.eval_pair(&b, &x, &x)[0];
        assert!(at0.is_finite() && at0 > 0.0, "{op}: variance {at0}");
        // A Matérn derivative kernel is continuous but not smooth at 0: |k(r) − k(0)| = O(r).
        for eps in [1e-4, 1e-6, 1e-8] {
            let near = prog.eval_pair(&b, &x, &[x[0] + eps, x[1] - eps])[0];
            assert!(
                (near - at0).abs() <= 100.0 * eps * at0,
                "{op}: {at0} vs {near} at {eps}"
            );
        }
        let reference = g.eval(
            c,
            &Env {
                x: &x,
                y: &x,
                params: &params,
            },
        );
        assert!((reference - at0).abs() <= 1e-12 * at0);
    }
}

#[test]
fn operator_past_a_matern_kernels_order_is_rejected() {
    let mut g = Graph::new(&["x"]);
    let k = KernelSpec::matern32(false).build(&mut g, "u");
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec![],
    };
    let l = Operator::parse("u_xx", &mut g, &names).unwrap();
    let err = covariance(&mut g, &[k], &names.latents, &l, &l).unwrap_err();
    assert!(
        matches!(
            err,
            KernelError::OrderTooHigh {
                order: 2,
                max: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Matérn 3/2"));
}

#[test]
fn parser_accepts_the_documented_forms() {
    let mut g = Graph::new(&["t", "x", "y", "x1"]);
    let names = Names {
        latents: vec!["u".into(), "u1".into(), "u2".into(), "psi".into()],
        parameters: vec!["a".into(), "b".into(), "c".into(), "rho".into()],
    };
    let cases: &[(&str, usize)] = &[
        ("u", 1),
        ("u_x", 1),
        ("u_xx", 1),
        ("u_tx", 1),
        ("d(u, x1, 2)", 1),
        ("u_t - a*u_xx", 2),
        ("u_xx + a*u_x + b*u", 3),
        ("x*u_x + exp(c)*u", 2),
        ("rho*u1 + u2", 2),
        ("-psi_x", 1),
        ("psi_y", 1),
        ("d(x*u, x)", 2),
        ("2*u_x/3 - sqrt(a)*u + cos(t)^2*u_xy", 3),
    ];
    for &(text, n) in cases {
        let op = Operator::parse(text, &mut g, &names).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(op.terms.len(), n, "{text}");
    }
    let op = Operator::parse("d(u, x1, 2)", &mut g, &names).unwrap();
    assert_eq!(op.terms[0].orders, [0, 0, 0, 2]);
    assert!(
        Operator::parse("u_tx - u_xt", &mut g, &names).is_err(),
        "cancels to nothing"
    );
}

/// A latent-free part of an operator is its known mean, differentiated by the product rule like
/// the rest (`d(u + x^2, x)` has the offset 2x).
#[test]
fn latent_free_parts_are_the_offset() {
    let mut g = Graph::new(&["t", "x"]);
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec!["a".into()],
    };
    let op = Operator::parse("u_t - a*u_xx - 2*x", &mut g, &names).unwrap();
    assert_eq!(op.terms.len(), 2);
    let off = op.offset.expect("an offset");
    let env = noether_kernels::expr::Env {
        x: &[0.3, 0.7],
        y: &[0.3, 0.7],
        params: &[1.0],
    };
    assert!((g.eval(off, &env) + 1.4).abs() < 1e-15);
    let op = Operator::parse("d(u + a*x^2, x)", &mut g, &names).unwrap();
    assert!((g.eval(op.offset.unwrap(), &env) - 1.4).abs() < 1e-15);
    assert!(Operator::parse("u_x", &mut g, &names)
        .unwrap()
        .offset
        .is_none());
}

#[test]
fn parser_errors_name_the_term_and_column() {
    let mut g = Graph::new(&["t", "x"]);
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec!["a".into()],
    };
    let mut err = |s: &str| Operator::parse(s, &mut g, &names).unwrap_err();
    match err("u_t + u*u_x") {
        KernelError::Nonlinear { term, column, .. } => {
            assert_eq!((term.as_str(), column), ("u*u_x", 7));
        }
        e => panic!("{e}"),
    }
    match err("a*u + sin(u)") {
        KernelError::Nonlinear {
            term,
            column,
            reason,
            ..
        } => {
            assert_eq!((term.as_str(), column), ("sin(u)", 7));
            assert!(reason.contains("sin"));
        }
        e => panic!("{e}"),
    }
    assert!(matches!(err("2*x + 1"), KernelError::Nonlinear { .. }));
    assert!(matches!(err("u^2"), KernelError::Nonlinear { .. }));
    assert!(matches!(err("a/u"), KernelError::Nonlinear { .. }));
    match err("u_t - b*u_xx") {
        KernelError::UnknownName {
            name,
            column,
            inputs,
            latents,
            parameters,
            ..
        } => {
            assert_eq!((name.as_str(), column), ("b", 7));
            assert_eq!(
                (inputs.as_str(), latents.as_str(), parameters.as_str()),
                ("t, x", "u", "a")
            );
        }
        e => panic!("{e}"),
    }
    assert!(matches!(err("u_q"), KernelError::UnknownName { .. }));
    assert!(matches!(err("d(u, q)"), KernelError::UnknownName { .. }));
    assert!(matches!(
        err("u_t - a*"),
        KernelError::Syntax { column: 9, .. }
    ));
    assert!(matches!(err("(u_t"), KernelError::Syntax { .. }));
    assert!(matches!(err(""), KernelError::Syntax { .. }));
    assert!(matches!(
        err("u $ 2"),
        KernelError::Syntax { column: 3, .. }
    ));
    assert!(matches!(err("foo(u)"), KernelError::Syntax { .. }));
    assert!(err("u*u_x").to_string().contains("column 1"));
}

#[test]
fn printing_as_text_and_latex() {
    let mut g = Graph::new(&["x"]);
    let k = KernelSpec::se(false).build(&mut g, "u");
    let t = g.to_text(k.expr);
    assert!(
        t.contains("exp(") && t.contains("(x - x')^2") && t.contains("u.lengthscale^-2"),
        "{t}"
    );
    let l = g.to_latex(k.expr);
    assert!(
        l.contains("\\sigma^2") && l.contains("\\exp\\left(") && l.contains("\\frac{"),
        "{l}"
    );
}

/// A random operator in (t, x): terms with orders up to 2 per argument and coefficients that are
/// numbers, parameters or functions of the coordinates.
fn arb_operator() -> impl Strategy<Value = String> {
    let coef = prop_oneof![
        (-3.0f64..3.0).prop_map(|c| format!("{c:.3}")),
        Just("a".to_string()),
        Just("x".to_string()),
        Just("sin(t)".to_string()),
        Just("exp(a*x)".to_string()),
    ];
    let deriv = prop_oneof![
        Just("u"),
        Just("u_t"),
        Just("u_x"),
        Just("u_tx"),
        Just("u_xx"),
        Just("u_tt")
    ];
    prop::collection::vec((coef, deriv), 1..4).prop_map(|terms| {
        terms
            .into_iter()
            .map(|(c, d)| format!("({c})*{d}"))
            .collect::<Vec<_>>()
            .join(" + ")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Cov(L₁, L₂) equals Σ c₁ᵢ(x) c₂ⱼ(x') ∂ₓ^αᵢ ∂ₓ'^βⱼ k with the coefficients evaluated at each
    /// point separately, is symmetric, and the compiled program agrees with the reference evaluator.
    #[test]
    fn random_operators_assemble_correctly(o1 in arb_operator(), o2 in arb_operator(),
                                           xs in prop::array::uniform4(-1.0f64..1.0)) {
        let mut g = Graph::new(&["t", "x"]);
        let k = KernelSpec::se(true).build(&mut g, "u");
        let names = Names { latents: vec!["u".into()], parameters: vec!["a".into()] };
        let Ok(l1) = Operator::parse(&o1, &mut g, &names) else { return Ok(()) };
        let Ok(l2) = Operator::parse(&o2, &mut g, &names) else { return Ok(()) };
        let c = covariance(&mut g, std::slice::from_ref(&k), &names.latents, &l1, &l2).unwrap();
        let params = [1.2, 0.8, 0.6, 0.45];
        let (x, y) = ([xs[0], xs[1]], [xs[2], xs[3]]);
        let at = |g: &Graph, e, p: &[f64], q: &[f64]| g.eval(e, &Env { x: p, y: q, params: &params });
        let mut manual = 0.0;
        for t1 in &l1.terms {
            for t2 in &l2.terms {
                let d = kernel_derivative(&mut g, k.expr, &t1.orders, &t2.orders);
                manual += at(&g, t1.coeff, &x, &x) * at(&g, t2.coeff, &y, &y) * at(&g, d, &x, &y);
            }
        }
        let v = at(&g, c, &x, &y);
        prop_assert!((v - manual).abs() <= 1e-10 * (1.0 + manual.abs()), "{} vs {}", v, manual);
        let swapped = covariance(&mut g, &[k], &names.latents, &l2, &l1).unwrap();
        let vs = at(&g, swapped, &y, &x);
        prop_assert!((v - vs).abs() <= 1e-10 * (1.0 + v.abs()));
        let prog = Program::compile(&mut g, &[c]);
        let cv = prog.eval_pair(&prog.bind(&params), &x, &y)[0];
        prop_assert!((cv - v).abs() <= 1e-10 * (1.0 + v.abs()), "compiled {} vs {}", cv, v);
    }
}

/// The rotation-invariant squared exponential is the average of the squared exponential over
/// rotations of one argument in its plane (checked by quadrature), and is unchanged when either
/// argument rotates.
#[test]
fn rotation_invariant_se_is_the_angular_average() {
    let mut g = Graph::new(&["x", "y", "t"]);
    let k = KernelSpec::RotationSe { plane: (0, 1) }.build(&mut g, "u");
    let p = [1.3, 0.7]; // variance, lengthscale
    let prog = Program::compile(&mut g, &[k.expr]);
    let b = prog.bind(&p);
    let eval = |x: [f64; 3], y: [f64; 3]| prog.eval_pair(&b, &x, &y)[0];
    let se = |x: [f64; 3], y: [f64; 3]| {
        let d2: f64 = x.iter().zip(&y).map(|(a, c)| (a - c) * (a - c)).sum();
        1.3 * (-0.5 * d2 / (0.7 * 0.7)).exp()
    };
    let rot = |v: [f64; 3], a: f64| {
        [
            v[0] * a.cos() - v[1] * a.sin(),
            v[0] * a.sin() + v[1] * a.cos(),
            v[2],
        ]
    };
    for (x, y) in [
        ([0.4, -0.2, 0.1], [1.1, 0.5, 0.3]),
        ([2.0, 1.5, 0.0], [-1.7, 2.2, 0.4]),
    ] {
        let n = 4000;
        let avg: f64 = (0..n)
            .map(|i| se(x, rot(y, std::f64::consts::TAU * i as f64 / n as f64)))
            .sum::<f64>()
            / n as f64;
        let v = eval(x, y);
        assert!((v - avg).abs() < 1e-12 * avg.max(1e-300), "{v} vs {avg}");
        for a in [0.3, 2.0, -1.1] {
            assert!((eval(rot(x, a), y) - v).abs() < 1e-13 * v);
            assert!((eval(x, rot(y, a)) - v).abs() < 1e-13 * v);
        }
    }
}

/// Adaptive Simpson quadrature of f on [a, b] to `tol`.
fn simpson(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    fn step(
        f: &dyn Fn(f64) -> f64,
        a: f64,
        b: f64,
        fa: f64,
        fm: f64,
        fb: f64,
        whole: f64,
        tol: f64,
        depth: u32,
    ) -> f64 {
        let m = 0.5 * (a + b);
        let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
        let (flm, frm) = (f(lm), f(rm));
        let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        if depth == 0 || (left + right - whole).abs() <= 15.0 * tol {
            return left + right + (left + right - whole) / 15.0;
        }
        step(f, a, m, fa, flm, fm, left, tol / 2.0, depth - 1)
            + step(f, m, b, fm, frm, fb, right, tol / 2.0, depth - 1)
    }
    let (fa, fm, fb) = (f(a), f(0.5 * (a + b)), f(b));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    step(f, a, b, fa, fm, fb, whole, tol, 40)
}

/// Integrals of the squared exponential in closed form against adaptive quadrature, at random
/// points and parameters, with derivatives in other inputs and by every parameter (FD).
#[test]
fn integrated_se_kernels_match_quadrature_and_their_parameter_derivatives() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec![],
    };
    for _ in 0..6 {
        let mut g = Graph::new(&["x", "t"]);
        let k = KernelSpec::se(true).build(&mut g, "u");
        let p = [
            rng.random_range(0.5..2.0),
            rng.random_range(0.3..1.5),
            rng.random_range(0.3..1.5),
        ];
        let (x, y) = (
            [rng.random_range(-1.5..2.0), rng.random_range(-1.0..1.0)],
            [rng.random_range(-1.5..2.0), rng.random_range(-1.0..1.0)],
        );
        let base = |a: [f64; 2], b: [f64; 2]| {
            p[0] * (-0.5 * ((a[0] - b[0]) / p[1]).powi(2) - 0.5 * ((a[1] - b[1]) / p[2]).powi(2))
                .exp()
        };
        let dt = |a: [f64; 2], b: [f64; 2]| base(a, b) * (-(a[1] - b[1]) / (p[2] * p[2]));
        let tol = 1e-13;
        let cases: Vec<(&str, &str, f64)> = vec![
            (
                "int(u, x)",
                "u",
                simpson(&|s| base([s, x[1]], y), 0.0, x[0], tol),
            ),
            (
                "u",
                "int(u, x)",
                simpson(&|s| base(x, [s, y[1]]), 0.0, y[0], tol),
            ),
            (
                "int(u, x)",
                "int(u, x)",
                simpson(
                    &|s| simpson(&|r| base([s, x[1]], [r, y[1]]), 0.0, y[0], tol),
                    0.0,
                    x[0],
                    tol,
                ),
            ),
            // A derivative in another input commutes with the integral.
            (
                "d(int(u, x), t)",
                "u",
                simpson(&|s| dt([s, x[1]], y), 0.0, x[0], tol),
            ),
            // d/dx ∫₀ˣ u = u.
            ("d(int(u, x), x)", "u", base(x, y)),
        ];
        for (a, b, want) in cases {
            let l1 = Operator::parse(a, &mut g, &names).unwrap();
            let l2 = Operator::parse(b, &mut g, &names).unwrap();
            let e = covariance(&mut g, std::slice::from_ref(&k), &names.latents, &l1, &l2).unwrap();
            let got = g.eval(
                e,
                &Env {
                    x: &x,
                    y: &y,
                    params: &p,
                },
            );
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1e-3),
                "{a} × {b}: {got} vs {want}"
            );
            // Parameter derivatives against central differences.
            check_parameter_derivatives(&mut g, e, &x, &y, &p, 1e-6, 1e-6, 1e-3, a);
        }
    }
    // Other kernels have no closed form here: the error names the term and the kernel.
    let mut g = Graph::new(&["x"]);
    let k = KernelSpec::matern52(false).build(&mut g, "u");
    let l = Operator::parse("int(u, x)", &mut g, &names).unwrap();
    let e = covariance(&mut g, &[k], &names.latents, &l, &l)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "the term `int(u, x)` needs the kernel integrated or fractionally differentiated"
        ) && e.contains("Matérn 5/2"),
        "{e}"
    );
    // Bad integrals in the grammar.
    for (text, want) in [
        ("int(u)", "int(...) needs the input to integrate over"),
        ("int(u, z)", "unknown name `z`"),
        ("int(x*u, x)", "coefficient depends on `x`"),
        ("int(u_x, x)", "already differentiated or integrated in `x`"),
        ("int(u + 1, x)", "not a latent function"),
    ] {
        let err = Operator::parse(text, &mut g, &names)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// Fractional derivatives of the squared exponential at integer orders are the ordinary
/// derivatives (to 1e-9), and every parameter derivative, the order's included, matches
/// central differences.
#[test]
fn fractional_se_kernels_agree_with_derivatives_at_integer_orders() {
    let names = Names {
        latents: vec!["u".into()],
        parameters: vec!["a".into()],
    };
    let mut g = Graph::new(&["x", "t"]);
    let k = KernelSpec::se(true).build(&mut g, "u");
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for (frac, plain) in [
        ("frac(u, x, 1)", "u_x"),
        ("frac(u, x, 2)", "u_xx"),
        ("frac(u, x, 1) - u", "u_x - u"),
        ("d(frac(u, x, 1), t)", "u_xt"),
        ("frac(u, x, 1) + 3*u_t", "u_x + 3*u_t"),
    ] {
        for other in ["u", "u_x", "frac(u, x, 1)", "frac(u, x, 2)"] {
            let lf = Operator::parse(frac, &mut g, &names).unwrap();
            let lp = Operator::parse(plain, &mut g, &names).unwrap();
            let lo = Operator::parse(other, &mut g, &names).unwrap();
            let ef =
                covariance(&mut g, std::slice::from_ref(&k), &names.latents, &lf, &lo).unwrap();
            let ep =
                covariance(&mut g, std::slice::from_ref(&k), &names.latents, &lp, &lo).unwrap();
            for _ in 0..4 {
                let (x, y, mut p) = random_pair(&mut rng);
                p[3] = 1.0;
                let env = Env {
                    x: &x,
                    y: &y,
                    params: &p,
                };
                let (a, b) = (g.eval(ef, &env), g.eval(ep, &env));
                let scale = b.abs().max(g.eval(k.expr, &env));
                assert!((a - b).abs() < 1e-9 * scale, "{frac} × {other}: {a} vs {b}");
            }
        }
    }
    // A learnable order: parameter derivatives against central differences.
    let lf = Operator::parse("frac(u, x, a) - u", &mut g, &names).unwrap();
    let e = covariance(&mut g, std::slice::from_ref(&k), &names.latents, &lf, &lf).unwrap();
    for _ in 0..4 {
        let (x, y, p) = random_pair(&mut rng);
        check_parameter_derivatives(&mut g, e, &x, &y, &p, 1e-5, 1e-6, 1e-2, "frac(u, x, a) - u");
    }
    // And the compiled program agrees with the reference evaluator.
    let prog = Program::compile(&mut g, &[e]);
    let p = [1.1, 0.7, 0.9, 1.41];
    let (x, y) = ([0.3, 0.2], [-0.4, 0.5]);
    let v = prog.eval_pair(&prog.bind(&p), &x, &y)[0];
    assert!(
        (v - g.eval(
            e,
            &Env {
                x: &x,
                y: &y,
                params: &p
            }
        ))
        .abs()
            < 1e-12 * v.abs()
    );
    // Bad fractional terms.
    for (text, want) in [
        ("frac(u, x)", "frac(u, x, order)"),
        ("frac(u, x, 0)", "must be positive"),
        ("frac(u, x, -1.5)", "must be positive"),
        (
            "frac(u, x, t)",
            "must be a number or an expression of parameters",
        ),
        (
            "frac(u, x, u)",
            "must be a number or an expression of parameters",
        ),
        ("frac(x*u, x, 1.5)", "coefficient depends on `x`"),
        ("frac(int(u, x), x, 1.5)", "already integrated"),
    ] {
        let err = Operator::parse(text, &mut g, &names)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// Every parameter derivative of `e` at (x, y, p) against central differences with steps
/// `step · p_i`, to `tol` relative (absolute below `floor`).
fn check_parameter_derivatives(
    g: &mut Graph,
    e: ExprId,
    x: &[f64],
    y: &[f64],
    p: &[f64],
    step: f64,
    tol: f64,
    floor: f64,
    what: &str,
) {
    for i in 0..p.len() {
        let de = g.diff(e, Var::Param(ParamId(i as u32)));
        let exact = g.eval(de, &Env { x, y, params: p });
        let h = step * p[i];
        let at = |d: f64| {
            let mut q = p.to_vec();
            q[i] += d;
            g.eval(e, &Env { x, y, params: &q })
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (fd - exact).abs() < tol * exact.abs().max(floor),
            "{what}, parameter {i}: {fd} vs {exact}"
        );
    }
}

/// Two points in [−1, 1]² and parameters (variance, two lengthscales, an order in [0.3, 2.5]).
fn random_pair(rng: &mut impl Rng) -> ([f64; 2], [f64; 2], [f64; 4]) {
    let x = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
    let y = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
    let p = [
        rng.random_range(0.5..2.0),
        rng.random_range(0.4..1.2),
        rng.random_range(0.4..1.2),
        rng.random_range(0.3..2.5),
    ];
    (x, y, p)
}

/// Every base family with a spectral density is the Fourier transform of it (Bochner): in 1-D,
/// k(τ) = (1/π) ∫₀^∞ S(ω) cos(ωτ) dω at several τ; in 2-D and 3-D, k(0) = σ² = ∫ S(ω) dω/(2π)^d
/// (the dimension's constants), by a radial integral with the lengthscales scaled out. And
/// ∂ log S/∂ℓ against finite differences. The families without one (rational quadratic,
/// periodic, linear, constant) say so. What the Hilbert-space solver weights its basis by.
#[test]
fn every_stationary_family_is_the_fourier_transform_of_its_spectral_density() {
    use noether_kernels::spectral::{ln_gamma, SpectralDensity};
    let mut with_density = 0;
    for spec in KernelSpec::families(true) {
        let Some((density, ard)) = spec.spectral_density() else {
            let key = spec.family().unwrap().key;
            assert!(
                !["se", "matern32", "matern52"].contains(&key),
                "{}",
                spec.name()
            );
            continue;
        };
        assert!(ard);
        with_density += 1;
        // 1-D: the kernel from its own expression against the cosine transform.
        let mut g = Graph::new(&input_names(1));
        let k = spec.build(&mut g, "u");
        let names = g.param_names();
        let (s2, ell) = (1.3, 0.7);
        let params: Vec<f64> = names
            .iter()
            .map(|n| if n.ends_with("variance") { s2 } else { ell })
            .collect();
        // Substituting ω = u/ℓ: S(u/ℓ)/ℓ; the Matérn tails (u^−(2ν+1)) are integrated to 4e4,
        // past which they add below 1e-9 of σ².
        let top = if matches!(density, SpectralDensity::SquaredExponential) {
            40.0
        } else {
            4e4
        };
        for tau in [0.0, 0.3, 1.1, 2.5] {
            let kernel = g.eval(
                k.expr,
                &Env {
                    x: &[tau],
                    y: &[0.0],
                    params: &params,
                },
            );
            let f = |u: f64| {
                let (ls, _) = density.log_density(s2, &[ell], &[u / ell]);
                ls.exp() * (u * tau / ell).cos() / ell
            };
            // Panels that grow with u (the integrand decays as a power there).
            let (mut total, mut a) = (0.0f64, 0.0f64);
            while a < top {
                let b = (a + 0.05).max(a * 1.02);
                total += simpson(&f, a, b, 1e-13);
                a = b;
            }
            let transform = total / std::f64::consts::PI;
            assert!(
                (transform - kernel).abs() < 1e-6 * s2,
                "{} at τ = {tau}: ∫ S = {transform}, k = {kernel}",
                spec.name()
            );
        }
        // d = 2, 3: ∫ S dω/(2π)^d = σ², radially with the lengthscales scaled out:
        // (2π)^−d · |S^{d−1}| ∫₀^∞ S₁(r) r^{d−1} dr, S₁ the density at unit lengthscales.
        for d in [2usize, 3] {
            let ones = vec![1.0; d];
            let f = |r: f64| {
                let mut w = vec![0.0; d];
                w[0] = r;
                let (ls, _) = density.log_density(s2, &ones, &w);
                ls.exp() * r.powi(d as i32 - 1)
            };
            let (mut total, mut a) = (0.0f64, 0.0f64);
            while a < top {
                let b = (a + 0.05).max(a * 1.02);
                total += simpson(&f, a, b, 1e-13);
                a = b;
            }
            let half = 0.5 * d as f64;
            let sphere = 2.0 * std::f64::consts::PI.powf(half) / ln_gamma(half).exp();
            let var = sphere * total / (2.0 * std::f64::consts::PI).powi(d as i32);
            assert!(
                (var - s2).abs() < 1e-5 * s2,
                "{} in {d}-D: ∫ S dω/(2π)^d = {var}, σ² = {s2}",
                spec.name()
            );
        }
        // ∂ log S/∂ℓ_d against central differences.
        let (ls, w) = ([0.6, 1.3], [0.9, -2.1]);
        let (_, dl) = density.log_density(s2, &ls, &w);
        for i in 0..2 {
            let at = |h: f64| {
                let mut l = ls;
                l[i] += h;
                density.log_density(s2, &l, &w).0
            };
            let fd = (at(1e-6) - at(-1e-6)) / 2e-6;
            assert!(
                (fd - dl[i]).abs() < 1e-6 * fd.abs().max(1.0),
                "{}: ∂/∂ℓ_{i} {} vs FD {fd}",
                spec.name(),
                dl[i]
            );
        }
    }
    assert_eq!(
        with_density, 3,
        "the squared exponential and the two Matérns"
    );
}

/// Every registered family declares what it builds: a unique key that finds it again, the
/// variance first, lengthscales exactly when it says it has them (one per input or one shared),
/// its own hyperparameters under their declared names and roles (optional ones only when asked
/// for), and the explicit columns of a family without a spectral density name hyperparameters
/// it has.
#[test]
fn every_family_declares_what_it_builds() {
    use noether_kernels::family::{self, Base, Column};
    use noether_kernels::Role;
    let mut keys: Vec<&str> = family::registry()
        .iter()
        .map(|f| f.declares().key)
        .collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "two families share a key");
    for &f in family::registry() {
        let decl = f.declares();
        let found = family::lookup(decl.key).expect("lookup by key");
        assert_eq!(found.declares(), decl);
        for (ard, optional) in [(true, true), (false, false)] {
            let mut g = Graph::new(&input_names(2));
            let spec = KernelSpec::Base(Base {
                family: f,
                ard,
                optional,
            });
            let k = spec.build(&mut g, "k");
            let names = g.param_names();
            assert_eq!(names[0], "k.variance", "{}", decl.key);
            assert_eq!(k.roles[0], Role::Variance);
            let mut want = vec!["k.variance".to_string()];
            if decl.lengthscales {
                if ard {
                    want.extend(["k.lengthscales.x0".into(), "k.lengthscales.x1".into()]);
                } else {
                    want.push("k.lengthscale".into());
                }
            }
            for h in decl.own.iter().filter(|h| h.required || optional) {
                want.push(format!("k.{}", h.name));
                let i = names.iter().position(|p| *p == format!("k.{}", h.name));
                assert_eq!(
                    i.map(|i| k.roles[i]),
                    Some(h.role),
                    "{} {}",
                    decl.key,
                    h.name
                );
            }
            let (mut got, mut want) = (names.to_vec(), want);
            got.sort();
            want.sort();
            assert_eq!(got, want, "{}", decl.key);
            assert_eq!(spec.spectral_density().map(|d| d.0), decl.density);
            for c in decl.columns {
                let (Column::Constant(p) | Column::Linear(p)) = *c;
                assert!(
                    p == "variance" || decl.own.iter().any(|h| h.name == p),
                    "{}: column weighted by `{p}`",
                    decl.key
                );
            }
            assert!(decl.density.is_none() || decl.columns.is_empty());
        }
    }
}
