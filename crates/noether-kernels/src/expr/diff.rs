//! Symbolic differentiation, memoised per (node, variable) for the life of the graph, so that the
//! many derivative kernels of a model share their common sub-derivatives.

use super::{val, ExprId, Func, Graph, Node, Var};

impl Graph {
    /// ∂e/∂v.
    pub fn diff(&mut self, e: ExprId, v: Var) -> ExprId {
        if let Some(&r) = self.diff_memo.get(&(e, v)) {
            return r;
        }
        let r = match self.node(e).clone() {
            Node::Const(_) => self.constant(0.0),
            Node::Var(w) => self.constant(if w == v { 1.0 } else { 0.0 }),
            Node::Sum { terms, .. } => {
                let t: Vec<(f64, ExprId)> = terms
                    .iter()
                    .map(|&(t, c)| (val(c), self.diff(t, v)))
                    .collect();
                self.linear(0.0, &t)
            }
            Node::Product(fs) => {
                // Σ_i e_i b_i^(e_i − 1) b_i' Π_{j≠i} b_j^e_j
                let mut terms = Vec::with_capacity(fs.len());
                for i in 0..fs.len() {
                    let db = self.diff(fs[i].0, v);
                    if self.as_const(db) == Some(0.0) {
                        continue;
                    }
                    let mut f: Vec<(ExprId, f64)> = fs.iter().map(|&(b, p)| (b, val(p))).collect();
                    let ei = f[i].1;
                    f[i].1 -= 1.0;
                    f.push((db, 1.0));
                    let t = self.product(&f);
                    terms.push((ei, t));
                }
                self.linear(0.0, &terms)
            }
            Node::Pow(a, b) => {
                // d(a^b) = a^b (b' ln a + b a'/a)
                let da = self.diff(a, v);
                let db = self.diff(b, v);
                let ln_a = self.log(a);
                let t1 = self.mul(db, ln_a);
                let t2 = self.product(&[(b, 1.0), (da, 1.0), (a, -1.0)]);
                let inner = self.add(t1, t2);
                self.mul(e, inner)
            }
            Node::Func(f, a) => {
                let da = self.diff(a, v);
                if self.as_const(da) == Some(0.0) {
                    da
                } else {
                    let outer = match f {
                        Func::Exp => e,
                        Func::Log => self.powf(a, -1.0),
                        Func::Sin => self.cos(a),
                        Func::Cos => {
                            let s = self.sin(a);
                            self.neg(s)
                        }
                        Func::Erf => {
                            let a2 = self.powf(a, 2.0);
                            let m = self.neg(a2);
                            let ex = self.exp(m);
                            self.scale(std::f64::consts::FRAC_2_SQRT_PI, ex)
                        }
                    };
                    self.mul(outer, da)
                }
            }
            Node::Spectral(m, n, phi, t) => {
                // ∂J_m/∂t = J_m(n+1, φ+π/2, t), ∂J_m/∂φ = J_m(n, φ+π/2, t), ∂J_m/∂n = J_{m+1}.
                let (dn, dp, dt) = (self.diff(n, v), self.diff(phi, v), self.diff(t, v));
                let mut parts = Vec::new();
                let half_pi = std::f64::consts::FRAC_PI_2;
                if self.as_const(dt) != Some(0.0) {
                    let n1 = self.linear(1.0, &[(1.0, n)]);
                    let p1 = self.linear(half_pi, &[(1.0, phi)]);
                    let j = self.spectral(m, n1, p1, t);
                    parts.push(self.mul(j, dt));
                }
                if self.as_const(dp) != Some(0.0) {
                    let p1 = self.linear(half_pi, &[(1.0, phi)]);
                    let j = self.spectral(m, n, p1, t);
                    parts.push(self.mul(j, dp));
                }
                if self.as_const(dn) != Some(0.0) {
                    let j = self.spectral(m + 1, n, phi, t);
                    parts.push(self.mul(j, dn));
                }
                self.sum(&parts)
            }
            Node::Radial(fam, k, s) => {
                let ds = self.diff(s, v);
                if self.as_const(ds) == Some(0.0) {
                    ds
                } else {
                    let next = self.radial(fam, k + 1, s);
                    self.mul(next, ds)
                }
            }
        };
        self.diff_memo.insert((e, v), r);
        r
    }

    /// ∂^n e / ∂v^n.
    pub fn diff_n(&mut self, e: ExprId, v: Var, n: usize) -> ExprId {
        (0..n).fold(e, |acc, _| self.diff(acc, v))
    }
}
