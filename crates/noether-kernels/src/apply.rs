//! Applying operators to both arguments of a kernel.
//!
//! For independent latents g_l with kernels k_l, and operators L₁, L₂ acting on the first and second
//! argument, `Cov(L₁ g(x), L₂ g(x')) = Σ_l L₁,ₓ L₂,ₓ' k_l(x, x')`: each pair of terms on the same
//! latent contributes `c₁(x) c₂(x') ∂ₓ^α ∂ₓ'^β k_l(x, x')`.

use crate::expr::{val, ExprId, Graph, Node, ParamId, Var};
use crate::operator::{Operator, Term};
use crate::{Kernel, KernelError};

/// `∂ₓ^α ∂ₓ'^β k`.
pub fn kernel_derivative(g: &mut Graph, k: ExprId, alpha: &[u8], beta: &[u8]) -> ExprId {
    let mut e = k;
    for (i, &o) in alpha.iter().enumerate() {
        e = g.diff_n(e, Var::X(i as u16), o as usize);
    }
    for (i, &o) in beta.iter().enumerate() {
        e = g.diff_n(e, Var::Y(i as u16), o as usize);
    }
    e
}

fn check_order(
    g: &Graph,
    t: &Term,
    kernels: &[Kernel],
    latents: &[String],
) -> Result<(), KernelError> {
    let k = &kernels[t.latent];
    match k.max_order {
        Some(max) if t.order() > max => {
            let mut d = latents[t.latent].clone();
            for (i, &o) in t.orders.iter().enumerate() {
                if o > 0 {
                    d = format!("d({d}, {}, {o})", g.inputs()[i]);
                }
            }
            Err(KernelError::OrderTooHigh {
                term: d,
                latent: latents[t.latent].clone(),
                kernel: k.name.clone(),
                order: t.order(),
                max,
            })
        }
        _ => Ok(()),
    }
}

/// The covariance `Cov(L₁ g(x), L₂ g(x'))` as one expression.
///
/// `kernels[l]` is the kernel of latent `l`; `latents` are their names (for messages).
///
/// # Errors
/// [`KernelError::OrderTooHigh`] if a term differentiates a latent further than its kernel allows.
///
/// # Examples
/// The closed form for the SE kernel in 1-D and L = d²/dx²:
/// `L L' k = σ²/ℓ⁴ (3 − 6 r²/ℓ² + r⁴/ℓ⁴) exp(−r²/2ℓ²)`.
/// ```
/// use noether_kernels::{apply::covariance, expr::{Env, Graph}, operator::{Names, Operator}, KernelSpec};
/// let mut g = Graph::new(&["x"]);
/// let k = KernelSpec::se(false).build(&mut g, "u");
/// let names = Names { latents: vec!["u".into()], parameters: vec![] };
/// let l = Operator::parse("u_xx", &mut g, &names)?;
/// let kff = covariance(&mut g, &[k], &names.latents, &l, &l)?;
/// let (s2, ell, r) = (1.7, 0.6, 0.45);
/// let v = g.eval(kff, &Env { x: &[0.3 + r], y: &[0.3], params: &[s2, ell] });
/// let q = r * r / (ell * ell);
/// let exact = s2 / ell.powi(4) * (3.0 - 6.0 * q + q * q) * (-0.5 * q).exp();
/// assert!((v - exact).abs() < 1e-12 * exact.abs().max(1.0));
/// # Ok::<(), noether_kernels::KernelError>(())
/// ```
pub fn covariance(
    g: &mut Graph,
    kernels: &[Kernel],
    latents: &[String],
    l1: &Operator,
    l2: &Operator,
) -> Result<ExprId, KernelError> {
    for t in l1.terms.iter().chain(&l2.terms) {
        check_order(g, t, kernels, latents)?;
    }
    let mut parts = Vec::new();
    for t1 in &l1.terms {
        for t2 in &l2.terms {
            if t1.latent != t2.latent {
                continue;
            }
            let k = &kernels[t1.latent];
            let base = if t1.transforms() || t2.transforms() {
                let fy = t2.fractional.map(|(i, o)| (i, g.to_second_argument(o)));
                match k.transformed(g, &t1.integrals, &t2.integrals, t1.fractional, fy) {
                    Some(e) => e,
                    None => {
                        let t = if t1.transforms() { t1 } else { t2 };
                        return Err(KernelError::NoClosedForm {
                            term: t.functional_text(g, latents),
                            latent: latents[t.latent].clone(),
                            kernel: k.name.clone(),
                        });
                    }
                }
            } else {
                k.expr
            };
            let d = kernel_derivative(g, base, &t1.orders, &t2.orders);
            let c2 = g.to_second_argument(t2.coeff);
            let c = g.mul(t1.coeff, c2);
            // Distribute the coefficient over the derivative's terms, so that like terms from
            // different operator terms meet and cancel (∂_t ∂_x'x' k and ∂_xx ∂_t' k in the heat
            // operator's k_ff do).
            match g.node(d).clone() {
                Node::Sum { constant, terms } => {
                    let k0 = g.constant(val(constant));
                    parts.push(g.mul(c, k0));
                    for (t, w) in terms.iter() {
                        let ct = g.mul(c, *t);
                        parts.push(g.scale(val(*w), ct));
                    }
                }
                _ => parts.push(g.mul(c, d)),
            }
        }
    }
    Ok(g.sum(&parts))
}

/// `[e, ∂e/∂p₁, …, ∂e/∂p_P]`: an expression followed by its derivative by each parameter.
pub fn with_gradient(g: &mut Graph, e: ExprId, params: &[ParamId]) -> Vec<ExprId> {
    let mut out = Vec::with_capacity(params.len() + 1);
    out.push(e);
    for &p in params {
        out.push(g.diff(e, Var::Param(p)));
    }
    out
}
