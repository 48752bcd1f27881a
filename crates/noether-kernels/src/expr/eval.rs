//! A scalar reference evaluator, used by tests and for uniform (parameter-only) values.

use super::{val, ExprId, Func, Graph, Node, Var};

/// The values of the variables an expression is evaluated at.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    /// Coordinates of the first argument x.
    pub x: &'a [f64],
    /// Coordinates of the second argument x'.
    pub y: &'a [f64],
    /// Parameter values, indexed by [`super::ParamId`].
    pub params: &'a [f64],
}

impl Env<'_> {
    /// The value of one variable.
    pub fn get(&self, v: Var) -> f64 {
        match v {
            Var::X(i) => self.x[i as usize],
            Var::Y(i) => self.y[i as usize],
            Var::Param(p) => self.params[p.index()],
        }
    }
}

pub(crate) fn apply_func(f: Func, a: f64) -> f64 {
    match f {
        Func::Exp => a.exp(),
        Func::Log => a.ln(),
        Func::Sin => a.sin(),
        Func::Cos => a.cos(),
        Func::Erf => libm::erf(a),
    }
}

/// `b^e`, with the common exponents done without `powf`.
#[inline]
pub(crate) fn pow_const(b: f64, e: f64) -> f64 {
    if e == 1.0 {
        b
    } else if e == 2.0 {
        b * b
    } else if e == -1.0 {
        1.0 / b
    } else if e == 0.5 {
        b.sqrt()
    } else if e == -2.0 {
        1.0 / (b * b)
    } else if e.fract() == 0.0 && e.abs() < 64.0 {
        b.powi(e as i32)
    } else {
        b.powf(e)
    }
}

impl Graph {
    /// The value of the node `n` from the values of its children (looked up by `get`).
    pub(crate) fn eval_node(&self, n: ExprId, env: &Env, get: impl Fn(ExprId) -> f64) -> f64 {
        match self.node(n) {
            Node::Const(b) => val(*b),
            Node::Var(v) => env.get(*v),
            Node::Sum { constant, terms } => terms
                .iter()
                .fold(val(*constant), |acc, &(t, c)| acc + val(c) * get(t)),
            Node::Product(fs) => fs
                .iter()
                .fold(1.0, |acc, &(b, e)| acc * pow_const(get(b), val(e))),
            Node::Pow(a, b) => get(*a).powf(get(*b)),
            Node::Func(f, a) => apply_func(*f, get(*a)),
            Node::Radial(fam, k, s) => crate::radial::eval(*fam, *k, get(*s)),
            Node::Spectral(m, a, b, c) => crate::spectral::j(*m, get(*a), get(*b), get(*c)),
        }
    }

    /// The values of several expressions at one point pair (a reference evaluator: simple, not
    /// fast; see [`crate::compile`] for the fast path).
    pub fn eval_many(&self, roots: &[ExprId], env: &Env) -> Vec<f64> {
        let order = self.topo_order(roots);
        let mut vals = vec![f64::NAN; self.nodes.len()];
        for n in order {
            vals[n.index()] = self.eval_node(n, env, |c| vals[c.index()]);
        }
        roots.iter().map(|r| vals[r.index()]).collect()
    }

    /// The value of one expression at one point pair.
    pub fn eval(&self, e: ExprId, env: &Env) -> f64 {
        self.eval_many(&[e], env)[0]
    }
}
