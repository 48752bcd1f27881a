//! Compilation of a set of expressions into one evaluation program over many point pairs.
//!
//! The nodes reachable from the outputs are split in two:
//! - *uniform* nodes depend only on parameters and constants; they are evaluated once, by
//!   [`Program::bind`];
//! - *varying* nodes depend on the coordinates; each becomes one instruction that runs over a
//!   batch of up to [`BATCH`] pairs `(x_i, x'_j), j = j₀ … j₀+len−1` at once, as a tight loop the
//!   compiler vectorises. Registers are reused as soon as a value is dead, so the working set
//!   stays in cache.
//!
//! Every output shares every sub-expression it has in common with the others, so a block's value
//! and all its parameter derivatives cost little more than the value alone.

use crate::expr::{val, ExprId, Func, Graph, Node, RadialFamily, Var};
use crate::radial;
use std::ops::Range;

/// The number of point pairs an instruction processes at once.
pub const BATCH: usize = 64;

#[derive(Clone, Copy, Debug)]
enum Src {
    U(u32),
    V(u32),
}

#[derive(Clone, Debug)]
enum UOp {
    Const(f64),
    Param(u32),
    Lin(f64, Vec<(f64, u32)>),
    Mul(f64, Vec<(u32, f64)>),
    Pow(u32, u32),
    Func(Func, u32),
    Radial(RadialFamily, u8, u32),
    Spectral(u8, u32, u32, u32),
}

#[derive(Clone, Debug)]
enum Instr {
    LoadX {
        dst: u32,
        dim: u16,
    },
    LoadY {
        dst: u32,
        dim: u16,
    },
    Diff {
        dst: u32,
        dim: u16,
    },
    Lin {
        dst: u32,
        c0: u32,
        terms: Vec<(u32, u32, f64)>,
    },
    Mul {
        dst: u32,
        scale: Option<u32>,
        factors: Vec<(u32, f64)>,
    },
    Pow {
        dst: u32,
        base: Src,
        exp: Src,
    },
    Func {
        dst: u32,
        f: Func,
        src: u32,
    },
    Radial {
        dst: u32,
        fam: RadialFamily,
        order: u8,
        src: u32,
    },
    Broadcast {
        dst: u32,
        src: u32,
    },
    Spectral {
        dst: u32,
        m: u8,
        args: [Src; 3],
    },
}

/// Which pairs of a block to visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every pair (i, j).
    Full,
    /// Pairs with j ≤ i only: the lower triangle of a symmetric block, diagonal included.
    Lower,
    /// Pairs with j ≥ i only: the upper triangle of a symmetric block, diagonal included.
    Upper,
}

/// A compiled evaluation program for several expressions at once.
///
/// # Examples
/// ```
/// use noether_kernels::{compile::Program, expr::{Env, Graph}, KernelSpec};
/// let mut g = Graph::new(&["x"]);
/// let k = KernelSpec::se(false).build(&mut g, "u");
/// let prog = Program::compile(&mut g, &[k.expr]);
/// let bound = prog.bind(&[2.0, 0.5]); // variance, lengthscale
/// let xs = [0.0, 0.1, 0.7];
/// let blocks = prog.fill(&bound, &xs, &xs);
/// let direct = g.eval(k.expr, &Env { x: &[0.1], y: &[0.7], params: &[2.0, 0.5] });
/// assert!((blocks[0][1 * 3 + 2] - direct).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Program {
    dim: usize,
    n_params: usize,
    uniform: Vec<UOp>,
    code: Vec<Instr>,
    n_slots: usize,
    outputs: Vec<u32>,
}

/// The uniform (parameter-only) values of a program at one parameter vector.
#[derive(Clone, Debug)]
pub struct Bound {
    u: Vec<f64>,
}

/// Scratch registers for one thread running a program.
#[derive(Clone, Debug)]
pub struct Workspace {
    regs: Vec<f64>,
}

/// One batch of results: outputs at pairs `(row, col0 + k)` for `k < len`.
#[derive(Debug)]
pub struct Batch<'a> {
    /// Index of the first-argument point.
    pub row: usize,
    /// Index of the first second-argument point.
    pub col0: usize,
    /// Number of pairs.
    pub len: usize,
    regs: &'a [f64],
    outputs: &'a [u32],
}

impl Batch<'_> {
    /// The values of output `k` over this batch.
    #[inline]
    pub fn output(&self, k: usize) -> &[f64] {
        let s = self.outputs[k] as usize * BATCH;
        &self.regs[s..s + self.len]
    }
}

struct Builder<'g> {
    g: &'g Graph,
    uniform: Vec<bool>,
    uslot: Vec<u32>,
    vreg: Vec<u32>,
    uops: Vec<UOp>,
    code: Vec<Instr>,
}

impl Builder<'_> {
    fn push_u(&mut self, op: UOp) -> u32 {
        self.uops.push(op);
        self.uops.len() as u32 - 1
    }

    /// The slot of a uniform node (all uniform nodes are evaluated at bind time).
    fn u(&self, e: ExprId) -> u32 {
        debug_assert!(self.uniform[e.index()]);
        self.uslot[e.index()]
    }

    fn src(&mut self, e: ExprId) -> Src {
        if self.uniform[e.index()] {
            Src::U(self.u(e))
        } else {
            Src::V(self.emit(e))
        }
    }

    fn emit_instr(&mut self, f: impl FnOnce(u32) -> Instr) -> u32 {
        let dst = self.code.len() as u32;
        let ins = f(dst);
        self.code.push(ins);
        dst
    }

    /// `x_d − x'_d`, the commonest node of a stationary kernel, as one instruction.
    fn coordinate_difference(&self, e: ExprId) -> Option<u16> {
        let Node::Sum { constant: 0, terms } = self.g.node(e) else {
            return None;
        };
        let [(a, ca), (b, cb)] = terms[..] else {
            return None;
        };
        match (self.g.node(a), self.g.node(b), val(ca), val(cb)) {
            (Node::Var(Var::X(i)), Node::Var(Var::Y(j)), 1.0, -1.0) if i == j => Some(*i),
            _ => None,
        }
    }

    /// The register of a varying node, emitting its instruction (and its inputs') on first use.
    fn emit(&mut self, e: ExprId) -> u32 {
        if self.vreg[e.index()] != u32::MAX {
            return self.vreg[e.index()];
        }
        let g = self.g;
        let r = match g.node(e) {
            Node::Var(Var::X(d)) => self.emit_instr(|dst| Instr::LoadX { dst, dim: *d }),
            Node::Var(Var::Y(d)) => self.emit_instr(|dst| Instr::LoadY { dst, dim: *d }),
            Node::Const(_) | Node::Var(Var::Param(_)) => unreachable!("constants are uniform"),
            Node::Sum { constant, terms } => {
                if let Some(dim) = self.coordinate_difference(e) {
                    let r = self.emit_instr(|dst| Instr::Diff { dst, dim });
                    self.vreg[e.index()] = r;
                    return r;
                }
                let mut ufold = Vec::new();
                let mut vt = Vec::new();
                for &(t, c) in terms.iter() {
                    if self.uniform[t.index()] {
                        ufold.push((val(c), self.u(t)));
                        continue;
                    }
                    // A product with one varying factor is inlined as `coef · v^p`.
                    if let Node::Product(fs) = g.node(t) {
                        let varying: Vec<&(ExprId, u64)> =
                            fs.iter().filter(|f| !self.uniform[f.0.index()]).collect();
                        if let [&(b, p)] = varying[..] {
                            let uf: Vec<(u32, f64)> = fs
                                .iter()
                                .filter(|f| self.uniform[f.0.index()])
                                .map(|&(ub, up)| (self.u(ub), val(up)))
                                .collect();
                            let coef = self.push_u(UOp::Mul(val(c), uf));
                            let v = self.emit(b);
                            vt.push((coef, v, val(p)));
                            continue;
                        }
                    }
                    let coef = self.push_u(UOp::Const(val(c)));
                    let v = self.emit(t);
                    vt.push((coef, v, 1.0));
                }
                let c0 = self.push_u(UOp::Lin(val(*constant), ufold));
                self.emit_instr(|dst| Instr::Lin { dst, c0, terms: vt })
            }
            Node::Product(fs) => {
                let mut ufold = Vec::new();
                let mut vf = Vec::new();
                for &(b, p) in fs.iter() {
                    if self.uniform[b.index()] {
                        ufold.push((self.u(b), val(p)));
                    } else {
                        vf.push((self.emit(b), val(p)));
                    }
                }
                let scale = (!ufold.is_empty()).then(|| self.push_u(UOp::Mul(1.0, ufold)));
                self.emit_instr(|dst| Instr::Mul {
                    dst,
                    scale,
                    factors: vf,
                })
            }
            Node::Pow(a, b) => {
                let (base, exp) = (self.src(*a), self.src(*b));
                self.emit_instr(|dst| Instr::Pow { dst, base, exp })
            }
            Node::Func(f, a) => {
                let (f, src) = (*f, self.emit(*a));
                self.emit_instr(|dst| Instr::Func { dst, f, src })
            }
            Node::Spectral(m, a, b, c) => {
                let (m, args) = (*m, [self.src(*a), self.src(*b), self.src(*c)]);
                self.emit_instr(|dst| Instr::Spectral { dst, m, args })
            }
            Node::Radial(fam, k, a) => {
                let (fam, order, src) = (*fam, *k, self.emit(*a));
                self.emit_instr(|dst| Instr::Radial {
                    dst,
                    fam,
                    order,
                    src,
                })
            }
        };
        self.vreg[e.index()] = r;
        r
    }
}

impl Program {
    /// Compile `outputs`, expressions of `g`, into one program. Common factors are first pulled
    /// out of sums ([`Graph::factor_common`]), which adds nodes to `g` but changes no value.
    pub fn compile(g: &mut Graph, outputs: &[ExprId]) -> Program {
        let outputs: Vec<ExprId> = outputs.iter().map(|&o| g.factor_common(o)).collect();
        let g: &Graph = g;
        let order = g.topo_order(&outputs);
        let n = g.len();
        let mut b = Builder {
            g,
            uniform: vec![true; n],
            uslot: vec![u32::MAX; n],
            vreg: vec![u32::MAX; n],
            uops: Vec::new(),
            code: Vec::new(),
        };
        // Uniform nodes (no coordinate below them) are evaluated once per bind, in order.
        for &e in &order {
            let uni = match g.node(e) {
                Node::Var(Var::X(_)) | Node::Var(Var::Y(_)) => false,
                _ => g.children(e).iter().all(|c| b.uniform[c.index()]),
            };
            b.uniform[e.index()] = uni;
            if !uni {
                continue;
            }
            let us = &b.uslot;
            let op = match g.node(e) {
                Node::Const(c) => UOp::Const(val(*c)),
                Node::Var(Var::Param(p)) => UOp::Param(p.0),
                Node::Var(_) => unreachable!("coordinates are never uniform"),
                Node::Sum { constant, terms } => UOp::Lin(
                    val(*constant),
                    terms
                        .iter()
                        .map(|&(t, c)| (val(c), us[t.index()]))
                        .collect(),
                ),
                Node::Product(fs) => UOp::Mul(
                    1.0,
                    fs.iter().map(|&(x, p)| (us[x.index()], val(p))).collect(),
                ),
                Node::Pow(x, y) => UOp::Pow(us[x.index()], us[y.index()]),
                Node::Func(f, x) => UOp::Func(*f, us[x.index()]),
                Node::Radial(fam, k, x) => UOp::Radial(*fam, *k, us[x.index()]),
                Node::Spectral(m, a, b, c) => {
                    UOp::Spectral(*m, us[a.index()], us[b.index()], us[c.index()])
                }
            };
            b.uslot[e.index()] = b.push_u(op);
        }
        // Outputs that are uniform get a broadcast so that every output lives in a register.
        let mut out_v = Vec::with_capacity(outputs.len());
        for &o in &outputs {
            let r = if b.uniform[o.index()] {
                let src = b.u(o);
                b.emit_instr(|dst| Instr::Broadcast { dst, src })
            } else {
                b.emit(o)
            };
            out_v.push(r);
        }
        let (code, n_slots, outputs) = allocate(b.code, &out_v);
        Program {
            dim: g.dim(),
            n_params: g.num_params(),
            uniform: b.uops,
            code,
            n_slots,
            outputs,
        }
    }

    /// The number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The number of per-pair instructions (a measure of cost).
    pub fn num_instructions(&self) -> usize {
        self.code.len()
    }

    /// The number of input coordinates a point has.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Evaluate the parameter-only part of the program.
    ///
    /// # Panics
    /// If `params` is shorter than the graph's parameter count at compile time.
    #[track_caller]
    pub fn bind(&self, params: &[f64]) -> Bound {
        assert!(
            params.len() >= self.n_params,
            "Program::bind: {} parameters given, {} needed",
            params.len(),
            self.n_params
        );
        let mut u = Vec::with_capacity(self.uniform.len());
        for op in &self.uniform {
            let v = match op {
                UOp::Const(c) => *c,
                UOp::Param(p) => params[*p as usize],
                UOp::Lin(c0, t) => t.iter().fold(*c0, |a, &(c, s)| a + c * u[s as usize]),
                UOp::Mul(c0, f) => f.iter().fold(*c0, |a, &(s, p)| {
                    a * crate::expr::pow_const(u[s as usize], p)
                }),
                UOp::Pow(a, b) => f64::powf(u[*a as usize], u[*b as usize]),
                UOp::Func(f, a) => crate::expr::apply_func(*f, u[*a as usize]),
                UOp::Radial(fam, k, a) => radial::eval(*fam, *k, u[*a as usize]),
                UOp::Spectral(m, a, b, c) => {
                    crate::spectral::j(*m, u[*a as usize], u[*b as usize], u[*c as usize])
                }
            };
            u.push(v);
        }
        Bound { u }
    }

    /// Fresh scratch registers for one thread.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            regs: vec![0.0; self.n_slots.max(1) * BATCH],
        }
    }

    /// Evaluate over the pairs of rows `rows` of the block `xs × ys` (points stored row-major,
    /// `dim` numbers each), calling `visit` with each batch.
    ///
    /// # Panics
    /// If a point set's length is not a multiple of the dimension.
    #[track_caller]
    pub fn visit(
        &self,
        bound: &Bound,
        ws: &mut Workspace,
        xs: &[f64],
        ys: &[f64],
        rows: Range<usize>,
        shape: Shape,
        mut visit: impl FnMut(&Batch),
    ) {
        let d = self.dim;
        assert!(
            xs.len().is_multiple_of(d.max(1)) && ys.len().is_multiple_of(d.max(1)),
            "point sets must hold dim = {d} numbers per point"
        );
        let ny = ys.len().checked_div(d).unwrap_or(0);
        for i in rows {
            let xi = &xs[i * d..(i + 1) * d];
            let (mut j0, end) = match shape {
                Shape::Full => (0, ny),
                Shape::Lower => (0, (i + 1).min(ny)),
                Shape::Upper => (i.min(ny), ny),
            };
            while j0 < end {
                let len = (end - j0).min(BATCH);
                self.run(&bound.u, &mut ws.regs, xi, ys, j0, len);
                visit(&Batch {
                    row: i,
                    col0: j0,
                    len,
                    regs: &ws.regs,
                    outputs: &self.outputs,
                });
                j0 += len;
            }
        }
    }

    /// Every output over the whole block `xs × ys`, each as a row-major `nx × ny` matrix.
    pub fn fill(&self, bound: &Bound, xs: &[f64], ys: &[f64]) -> Vec<Vec<f64>> {
        let d = self.dim.max(1);
        let (nx, ny) = (xs.len() / d, ys.len() / d);
        let mut out = vec![vec![0.0; nx * ny]; self.outputs.len()];
        let mut ws = self.workspace();
        self.visit(bound, &mut ws, xs, ys, 0..nx, Shape::Full, |b| {
            for (k, o) in out.iter_mut().enumerate() {
                o[b.row * ny + b.col0..b.row * ny + b.col0 + b.len].copy_from_slice(b.output(k));
            }
        });
        out
    }

    /// Every output at each pair (x_i, x_i) of `xs`: the diagonal of the block `xs × xs`, each
    /// output's as a vector, with one workspace for all (what a loop of
    /// [`Program::eval_pair`] would allocate per point).
    pub fn diagonal(&self, bound: &Bound, xs: &[f64]) -> Vec<Vec<f64>> {
        let d = self.dim.max(1);
        let n = xs.len() / d;
        let mut out = vec![vec![0.0; n]; self.outputs.len()];
        let mut ws = self.workspace();
        for i in 0..n {
            let x = &xs[i * d..(i + 1) * d];
            self.visit(bound, &mut ws, x, x, 0..1, Shape::Full, |b| {
                for (k, o) in out.iter_mut().enumerate() {
                    o[i] = b.output(k)[0];
                }
            });
        }
        out
    }

    /// Every output at one pair (x, x').
    pub fn eval_pair(&self, bound: &Bound, x: &[f64], y: &[f64]) -> Vec<f64> {
        self.fill(bound, x, y).into_iter().map(|v| v[0]).collect()
    }

    fn run(&self, u: &[f64], regs: &mut [f64], xi: &[f64], ys: &[f64], j0: usize, len: usize) {
        let d = self.dim;
        for ins in &self.code {
            match ins {
                Instr::LoadX { dst, dim } => slot(regs, *dst)[..len].fill(xi[*dim as usize]),
                Instr::LoadY { dst, dim } => {
                    let o = slot(regs, *dst);
                    for k in 0..len {
                        o[k] = ys[(j0 + k) * d + *dim as usize];
                    }
                }
                Instr::Diff { dst, dim } => {
                    let (o, xv, dm) = (slot(regs, *dst), xi[*dim as usize], *dim as usize);
                    for k in 0..len {
                        o[k] = xv - ys[(j0 + k) * d + dm];
                    }
                }
                Instr::Broadcast { dst, src } => slot(regs, *dst)[..len].fill(u[*src as usize]),
                Instr::Lin { dst, c0, terms } => {
                    let c0 = u[*c0 as usize];
                    slot(regs, *dst)[..len].fill(c0);
                    for &(c, s, p) in terms {
                        let (o, a) = pair(regs, *dst, s);
                        add_pow(&mut o[..len], &a[..len], u[c as usize], p);
                    }
                }
                Instr::Mul {
                    dst,
                    scale,
                    factors,
                } => {
                    let sc = scale.map_or(1.0, |s| u[s as usize]);
                    for (n, &(s, p)) in factors.iter().enumerate() {
                        let (o, a) = pair(regs, *dst, s);
                        mul_pow(
                            &mut o[..len],
                            &a[..len],
                            p,
                            if n == 0 { Some(sc) } else { None },
                        );
                    }
                    if factors.is_empty() {
                        slot(regs, *dst)[..len].fill(sc);
                    }
                }
                Instr::Pow { dst, base, exp } => {
                    for k in 0..len {
                        let b = match base {
                            Src::U(s) => u[*s as usize],
                            Src::V(s) => regs[*s as usize * BATCH + k],
                        };
                        let e = match exp {
                            Src::U(s) => u[*s as usize],
                            Src::V(s) => regs[*s as usize * BATCH + k],
                        };
                        regs[*dst as usize * BATCH + k] = b.powf(e);
                    }
                }
                Instr::Spectral { dst, m, args } => {
                    for k in 0..len {
                        let v = |s: &Src| match s {
                            Src::U(s) => u[*s as usize],
                            Src::V(s) => regs[*s as usize * BATCH + k],
                        };
                        let (a, b, c) = (v(&args[0]), v(&args[1]), v(&args[2]));
                        regs[*dst as usize * BATCH + k] = crate::spectral::j(*m, a, b, c);
                    }
                }
                Instr::Func { dst, f, src } => {
                    let (o, a) = pair(regs, *dst, *src);
                    let (o, a) = (&mut o[..len], &a[..len]);
                    match f {
                        Func::Exp => o.iter_mut().zip(a).for_each(|(o, a)| *o = a.exp()),
                        Func::Log => o.iter_mut().zip(a).for_each(|(o, a)| *o = a.ln()),
                        Func::Sin => o.iter_mut().zip(a).for_each(|(o, a)| *o = a.sin()),
                        Func::Cos => o.iter_mut().zip(a).for_each(|(o, a)| *o = a.cos()),
                        Func::Erf => o.iter_mut().zip(a).for_each(|(o, a)| *o = libm::erf(*a)),
                    }
                }
                Instr::Radial {
                    dst,
                    fam,
                    order,
                    src,
                } => {
                    let (o, a) = pair(regs, *dst, *src);
                    if *fam == RadialFamily::BesselI0 {
                        for (o, a) in o[..len].iter_mut().zip(&a[..len]) {
                            *o = radial::bessel_i0_sqrt(*order, *a);
                        }
                    } else {
                        let t = &radial::table(*fam)[*order as usize];
                        let rate = fam.rate();
                        for (o, a) in o[..len].iter_mut().zip(&a[..len]) {
                            *o = radial::eval_laurent(t, rate, *a);
                        }
                    }
                }
            }
        }
    }
}

#[inline]
fn slot(regs: &mut [f64], s: u32) -> &mut [f64] {
    let s = s as usize * BATCH;
    &mut regs[s..s + BATCH]
}

/// A destination register and a distinct source register.
#[inline]
fn pair(regs: &mut [f64], dst: u32, src: u32) -> (&mut [f64], &[f64]) {
    let (d, s) = (dst as usize * BATCH, src as usize * BATCH);
    debug_assert_ne!(d, s);
    if d < s {
        let (lo, hi) = regs.split_at_mut(s);
        (&mut lo[d..d + BATCH], &hi[..BATCH])
    } else {
        let (lo, hi) = regs.split_at_mut(d);
        (&mut hi[..BATCH], &lo[s..s + BATCH])
    }
}

/// `combine(o_k, a_k^p)` over a batch, with the usual powers unrolled so that the loop vectorises.
#[inline]
fn zip_pow(o: &mut [f64], a: &[f64], p: f64, combine: impl Fn(&mut f64, f64)) {
    macro_rules! go {
        ($f:expr) => {
            o.iter_mut().zip(a).for_each(|(o, &a)| combine(o, $f(a)))
        };
    }
    if p == 1.0 {
        go!(|a: f64| a)
    } else if p == 2.0 {
        go!(|a: f64| a * a)
    } else if p == 3.0 {
        go!(|a: f64| a * a * a)
    } else if p == 4.0 {
        go!(|a: f64| {
            let b = a * a;
            b * b
        })
    } else if p == -1.0 {
        go!(|a: f64| 1.0 / a)
    } else if p == -2.0 {
        go!(|a: f64| 1.0 / (a * a))
    } else if p == 0.5 {
        go!(|a: f64| a.sqrt())
    } else if p == -0.5 {
        go!(|a: f64| 1.0 / a.sqrt())
    } else if p.fract() == 0.0 && p.abs() < 64.0 {
        let n = p as i32;
        go!(|a: f64| a.powi(n))
    } else {
        go!(|a: f64| a.powf(p))
    }
}

/// `o += c · a^p`.
#[inline]
fn add_pow(o: &mut [f64], a: &[f64], c: f64, p: f64) {
    zip_pow(o, a, p, |o, v| *o += c * v)
}

/// `o = first · a^p` (when `first` is given) or `o *= a^p`.
#[inline]
fn mul_pow(o: &mut [f64], a: &[f64], p: f64, first: Option<f64>) {
    match first {
        Some(c) => zip_pow(o, a, p, |o, v| *o = c * v),
        None => zip_pow(o, a, p, |o, v| *o *= v),
    }
}

fn sources(ins: &Instr) -> Vec<u32> {
    match ins {
        Instr::LoadX { .. }
        | Instr::LoadY { .. }
        | Instr::Broadcast { .. }
        | Instr::Diff { .. } => vec![],
        Instr::Lin { terms, .. } => terms.iter().map(|t| t.1).collect(),
        Instr::Mul { factors, .. } => factors.iter().map(|f| f.0).collect(),
        Instr::Pow { base, exp, .. } => [base, exp]
            .iter()
            .filter_map(|s| match s {
                Src::V(v) => Some(*v),
                Src::U(_) => None,
            })
            .collect(),
        Instr::Func { src, .. } | Instr::Radial { src, .. } => vec![*src],
        Instr::Spectral { args, .. } => args
            .iter()
            .filter_map(|s| match s {
                Src::V(v) => Some(*v),
                Src::U(_) => None,
            })
            .collect(),
    }
}

fn dst_of(ins: &mut Instr) -> &mut u32 {
    match ins {
        Instr::LoadX { dst, .. }
        | Instr::Diff { dst, .. }
        | Instr::LoadY { dst, .. }
        | Instr::Broadcast { dst, .. }
        | Instr::Lin { dst, .. }
        | Instr::Mul { dst, .. }
        | Instr::Pow { dst, .. }
        | Instr::Func { dst, .. }
        | Instr::Radial { dst, .. }
        | Instr::Spectral { dst, .. } => dst,
    }
}

fn rename(ins: &mut Instr, map: &[u32]) {
    let m = |v: &mut u32| *v = map[*v as usize];
    match ins {
        Instr::LoadX { .. }
        | Instr::LoadY { .. }
        | Instr::Broadcast { .. }
        | Instr::Diff { .. } => {}
        Instr::Lin { terms, .. } => terms.iter_mut().for_each(|t| m(&mut t.1)),
        Instr::Mul { factors, .. } => factors.iter_mut().for_each(|f| m(&mut f.0)),
        Instr::Pow { base, exp, .. } => {
            for s in [base, exp] {
                if let Src::V(v) = s {
                    m(v)
                }
            }
        }
        Instr::Func { src, .. } | Instr::Radial { src, .. } => m(src),
        Instr::Spectral { args, .. } => {
            for s in args {
                if let Src::V(v) = s {
                    m(v)
                }
            }
        }
    }
}

/// Linear-scan register allocation: a value's slot is freed after its last use (outputs live to
/// the end). A destination never shares a slot with one of its own sources.
fn allocate(mut code: Vec<Instr>, outputs: &[u32]) -> (Vec<Instr>, usize, Vec<u32>) {
    let n = code.len();
    let mut last = vec![0usize; n];
    for (k, ins) in code.iter().enumerate() {
        for s in sources(ins) {
            last[s as usize] = k;
        }
    }
    let mut keep = vec![false; n];
    for &o in outputs {
        keep[o as usize] = true;
    }
    let mut map = vec![u32::MAX; n];
    let mut free: Vec<u32> = Vec::new();
    let mut n_slots = 0u32;
    for k in 0..n {
        let srcs = sources(&code[k]);
        rename(&mut code[k], &map);
        let slot = free.pop().unwrap_or_else(|| {
            n_slots += 1;
            n_slots - 1
        });
        map[k] = slot;
        *dst_of(&mut code[k]) = slot;
        let mut dead: Vec<u32> = srcs
            .into_iter()
            .filter(|&s| last[s as usize] == k && !keep[s as usize])
            .collect();
        dead.sort_unstable();
        dead.dedup();
        free.extend(dead.into_iter().map(|s| map[s as usize]));
        // A value never used (and not an output) is dead at once.
        if last[k] <= k && !keep[k] {
            free.push(slot);
        }
    }
    let outs = outputs.iter().map(|&o| map[o as usize]).collect();
    (code, n_slots as usize, outs)
}
