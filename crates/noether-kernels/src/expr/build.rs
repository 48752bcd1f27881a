//! Canonical construction: every constructor simplifies before it interns.

use super::{bits, val, ExprId, Func, Graph, Node, RadialFamily};

fn is_integer(e: f64) -> bool {
    e.fract() == 0.0
}

impl Graph {
    /// `constant + Σ c_i t_i`, flattened, with like terms collected and zero terms dropped.
    pub fn linear(&mut self, constant: f64, terms: &[(f64, ExprId)]) -> ExprId {
        let mut c0 = constant;
        let mut acc: Vec<(ExprId, f64)> = Vec::with_capacity(terms.len());
        for &(c, t) in terms {
            if c == 0.0 {
                continue;
            }
            match self.node(t) {
                Node::Const(v) => c0 += c * val(*v),
                Node::Sum { constant, terms } => {
                    c0 += c * val(*constant);
                    acc.extend(terms.iter().map(|(tt, cc)| (*tt, c * val(*cc))));
                }
                _ => acc.push((t, c)),
            }
        }
        acc.sort_by_key(|a| a.0);
        let mut merged: Vec<(ExprId, u64)> = Vec::with_capacity(acc.len());
        let mut i = 0;
        while i < acc.len() {
            let (id, mut c) = acc[i];
            i += 1;
            while i < acc.len() && acc[i].0 == id {
                c += acc[i].1;
                i += 1;
            }
            if c != 0.0 {
                merged.push((id, bits(c)));
            }
        }
        if merged.is_empty() {
            return self.constant(c0);
        }
        if c0 == 0.0 && merged.len() == 1 && val(merged[0].1) == 1.0 {
            return merged[0].0;
        }
        self.intern(Node::Sum {
            constant: bits(c0),
            terms: merged.into_boxed_slice(),
        })
    }

    /// `a + b`.
    pub fn add(&mut self, a: ExprId, b: ExprId) -> ExprId {
        self.linear(0.0, &[(1.0, a), (1.0, b)])
    }

    /// `a − b`.
    pub fn sub(&mut self, a: ExprId, b: ExprId) -> ExprId {
        self.linear(0.0, &[(1.0, a), (-1.0, b)])
    }

    /// `−a`.
    pub fn neg(&mut self, a: ExprId) -> ExprId {
        self.linear(0.0, &[(-1.0, a)])
    }

    /// `c · a`.
    pub fn scale(&mut self, c: f64, a: ExprId) -> ExprId {
        self.linear(0.0, &[(c, a)])
    }

    /// `Σ terms`.
    pub fn sum(&mut self, terms: &[ExprId]) -> ExprId {
        let t: Vec<(f64, ExprId)> = terms.iter().map(|&t| (1.0, t)).collect();
        self.linear(0.0, &t)
    }

    /// `Π base_i ^ exponent_i` with constant exponents: flattened, constant factors folded into one
    /// coefficient, equal bases merged by adding exponents (`x² · x⁻¹ = x`).
    pub fn product(&mut self, factors: &[(ExprId, f64)]) -> ExprId {
        let mut coef = 1.0;
        let mut acc: Vec<(ExprId, f64)> = Vec::with_capacity(factors.len());
        let mut stack: Vec<(ExprId, f64)> = factors.to_vec();
        while let Some((id, e)) = stack.pop() {
            if e == 0.0 {
                continue;
            }
            match self.node(id) {
                Node::Const(v) => coef *= val(*v).powf(e),
                Node::Sum { constant, terms }
                    if *constant == 0
                        && terms.len() == 1
                        && (is_integer(e) || val(terms[0].1) > 0.0) =>
                {
                    coef *= val(terms[0].1).powf(e);
                    stack.push((terms[0].0, e));
                }
                // (Π b^p)^n = Π b^(p n) holds for integer n; for a real power it need not.
                Node::Product(fs) if is_integer(e) => {
                    stack.extend(fs.iter().map(|(b, p)| (*b, val(*p) * e)));
                }
                _ => acc.push((id, e)),
            }
        }
        if coef == 0.0 {
            return self.constant(0.0);
        }
        acc.sort_by_key(|a| a.0);
        let mut merged: Vec<(ExprId, u64)> = Vec::with_capacity(acc.len());
        let mut i = 0;
        while i < acc.len() {
            let (id, mut e) = acc[i];
            i += 1;
            while i < acc.len() && acc[i].0 == id {
                e += acc[i].1;
                i += 1;
            }
            if e != 0.0 {
                merged.push((id, bits(e)));
            }
        }
        let core = match merged.len() {
            0 => return self.constant(coef),
            1 if val(merged[0].1) == 1.0 => merged[0].0,
            _ => self.intern(Node::Product(merged.into_boxed_slice())),
        };
        if coef == 1.0 {
            core
        } else {
            self.linear(0.0, &[(coef, core)])
        }
    }

    /// `a · b`.
    pub fn mul(&mut self, a: ExprId, b: ExprId) -> ExprId {
        self.product(&[(a, 1.0), (b, 1.0)])
    }

    /// `Π factors`.
    pub fn mul_all(&mut self, factors: &[ExprId]) -> ExprId {
        let f: Vec<(ExprId, f64)> = factors.iter().map(|&t| (t, 1.0)).collect();
        self.product(&f)
    }

    /// `a / b`.
    pub fn div(&mut self, a: ExprId, b: ExprId) -> ExprId {
        self.product(&[(a, 1.0), (b, -1.0)])
    }

    /// `a ^ n` for a constant real exponent.
    pub fn powf(&mut self, a: ExprId, n: f64) -> ExprId {
        self.product(&[(a, n)])
    }

    /// `√a`.
    pub fn sqrt(&mut self, a: ExprId) -> ExprId {
        self.powf(a, 0.5)
    }

    /// `a ^ b` for any exponent expression.
    pub fn pow(&mut self, a: ExprId, b: ExprId) -> ExprId {
        if let Some(e) = self.as_const(b) {
            return self.powf(a, e);
        }
        if self.as_const(a) == Some(1.0) {
            return self.constant(1.0);
        }
        self.intern(Node::Pow(a, b))
    }

    /// `f(a)`, folded when `a` is a constant and the result is finite.
    pub fn func(&mut self, f: Func, a: ExprId) -> ExprId {
        if let Some(v) = self.as_const(a) {
            let r = super::eval::apply_func(f, v);
            if r.is_finite() {
                return self.constant(r);
            }
        }
        match (f, self.node(a)) {
            (Func::Exp, Node::Func(Func::Log, inner))
            | (Func::Log, Node::Func(Func::Exp, inner)) => return *inner,
            _ => {}
        }
        self.intern(Node::Func(f, a))
    }

    /// `e^a`.
    pub fn exp(&mut self, a: ExprId) -> ExprId {
        self.func(Func::Exp, a)
    }

    /// `ln a`.
    pub fn log(&mut self, a: ExprId) -> ExprId {
        self.func(Func::Log, a)
    }

    /// `sin a`.
    pub fn sin(&mut self, a: ExprId) -> ExprId {
        self.func(Func::Sin, a)
    }

    /// `cos a`.
    pub fn cos(&mut self, a: ExprId) -> ExprId {
        self.func(Func::Cos, a)
    }

    /// `erf a`.
    pub fn erf(&mut self, a: ExprId) -> ExprId {
        self.func(Func::Erf, a)
    }

    /// `J_m(n, φ, t)` ([`crate::spectral::j`]).
    pub fn spectral(&mut self, m: u8, n: ExprId, phi: ExprId, t: ExprId) -> ExprId {
        if let (Some(a), Some(b), Some(c)) =
            (self.as_const(n), self.as_const(phi), self.as_const(t))
        {
            return self.constant(crate::spectral::j(m, a, b, c));
        }
        self.intern(Node::Spectral(m, n, phi, t))
    }

    /// The `order`-th s-derivative of a radial profile at `s`.
    pub fn radial(&mut self, family: RadialFamily, order: u8, s: ExprId) -> ExprId {
        if let Some(v) = self.as_const(s) {
            return self.constant(crate::radial::eval(family, order, v));
        }
        self.intern(Node::Radial(family, order, s))
    }
}
