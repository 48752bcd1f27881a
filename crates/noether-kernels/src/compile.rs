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
    Lin {
        dst: u32,
        c0: u32,
        terms: Vec<(f64, u32)>,
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
}

/// Which pairs of a block to visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every pair (i, j).
    Full,
    /// Pairs with j ≤ i only: the lower triangle of a symmetric block, diagonal included.
    Lower,
}

/// A compiled evaluation program for several expressions at once.
///
/// # Examples
/// ```
/// use noether_kernels::{compile::Program, expr::{Env, Graph}, KernelSpec};
/// let mut g = Graph::new(&["x"]);
/// let k = KernelSpec::SquaredExponential { ard: false }.build(&mut g, "u");
/// let prog = Program::compile(&g, &[k.expr]);
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

impl Program {
    /// Compile `outputs`, expressions of `g`, into one program.
    pub fn compile(g: &Graph, outputs: &[ExprId]) -> Program {
        let order = g.topo_order(outputs);
        let n = g.len();
        // Which nodes are uniform (no coordinate below them).
        let mut uniform = vec![true; n];
        for &e in &order {
            uniform[e.index()] = match g.node(e) {
                Node::Var(Var::X(_)) | Node::Var(Var::Y(_)) => false,
                _ => g.children(e).iter().all(|c| uniform[c.index()]),
            };
        }
        let mut uops: Vec<UOp> = Vec::new();
        let mut uslot = vec![u32::MAX; n];
        let push_u = |uops: &mut Vec<UOp>, op: UOp| -> u32 {
            uops.push(op);
            uops.len() as u32 - 1
        };
        // Virtual registers: one per varying node, in topological order.
        let mut vreg = vec![u32::MAX; n];
        let mut vcode: Vec<Instr> = Vec::new();
        for &e in &order {
            let i = e.index();
            if uniform[i] {
                let op = match g.node(e) {
                    Node::Const(b) => UOp::Const(val(*b)),
                    Node::Var(Var::Param(p)) => UOp::Param(p.0),
                    Node::Var(_) => unreachable!("coordinates are never uniform"),
                    Node::Sum { constant, terms } => UOp::Lin(
                        val(*constant),
                        terms
                            .iter()
                            .map(|&(t, c)| (val(c), uslot[t.index()]))
                            .collect(),
                    ),
                    Node::Product(fs) => UOp::Mul(
                        1.0,
                        fs.iter()
                            .map(|&(b, p)| (uslot[b.index()], val(p)))
                            .collect(),
                    ),
                    Node::Pow(a, b) => UOp::Pow(uslot[a.index()], uslot[b.index()]),
                    Node::Func(f, a) => UOp::Func(*f, uslot[a.index()]),
                    Node::Radial(fam, k, a) => UOp::Radial(*fam, *k, uslot[a.index()]),
                };
                uslot[i] = push_u(&mut uops, op);
                continue;
            }
            let dst = vcode.len() as u32;
            vreg[i] = dst;
            let src = |c: ExprId| -> Src {
                if uniform[c.index()] {
                    Src::U(uslot[c.index()])
                } else {
                    Src::V(vreg[c.index()])
                }
            };
            let instr = match g.node(e) {
                Node::Var(Var::X(d)) => Instr::LoadX { dst, dim: *d },
                Node::Var(Var::Y(d)) => Instr::LoadY { dst, dim: *d },
                Node::Const(_) | Node::Var(Var::Param(_)) => unreachable!("constants are uniform"),
                Node::Sum { constant, terms } => {
                    let mut ufold = Vec::new();
                    let mut vt = Vec::new();
                    for &(t, c) in terms.iter() {
                        match src(t) {
                            Src::U(u) => ufold.push((val(c), u)),
                            Src::V(v) => vt.push((val(c), v)),
                        }
                    }
                    let c0 = push_u(&mut uops, UOp::Lin(val(*constant), ufold));
                    Instr::Lin { dst, c0, terms: vt }
                }
                Node::Product(fs) => {
                    let mut ufold = Vec::new();
                    let mut vf = Vec::new();
                    for &(b, p) in fs.iter() {
                        match src(b) {
                            Src::U(u) => ufold.push((u, val(p))),
                            Src::V(v) => vf.push((v, val(p))),
                        }
                    }
                    let scale =
                        (!ufold.is_empty()).then(|| push_u(&mut uops, UOp::Mul(1.0, ufold)));
                    // Put an integer power first so the first pass writes, not multiplies.
                    Instr::Mul {
                        dst,
                        scale,
                        factors: vf,
                    }
                }
                Node::Pow(a, b) => Instr::Pow {
                    dst,
                    base: src(*a),
                    exp: src(*b),
                },
                Node::Func(f, a) => match src(*a) {
                    Src::V(v) => Instr::Func { dst, f: *f, src: v },
                    Src::U(_) => unreachable!("a function of a uniform value is uniform"),
                },
                Node::Radial(fam, k, a) => match src(*a) {
                    Src::V(v) => Instr::Radial {
                        dst,
                        fam: *fam,
                        order: *k,
                        src: v,
                    },
                    Src::U(_) => unreachable!("a function of a uniform value is uniform"),
                },
            };
            vcode.push(instr);
        }
        // Outputs that are uniform get a broadcast instruction so every output lives in a slot.
        let mut out_v = Vec::with_capacity(outputs.len());
        for &o in outputs {
            if uniform[o.index()] {
                let dst = vcode.len() as u32;
                vcode.push(Instr::Broadcast {
                    dst,
                    src: uslot[o.index()],
                });
                out_v.push(dst);
            } else {
                out_v.push(vreg[o.index()]);
            }
        }
        let (code, n_slots, outputs) = allocate(vcode, &out_v);
        Program {
            dim: g.dim(),
            n_params: g.num_params(),
            uniform: uops,
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
            xs.len() % d.max(1) == 0 && ys.len() % d.max(1) == 0,
            "point sets must hold dim = {d} numbers per point"
        );
        let ny = if d == 0 { 0 } else { ys.len() / d };
        for i in rows {
            let xi = &xs[i * d..(i + 1) * d];
            let end = match shape {
                Shape::Full => ny,
                Shape::Lower => (i + 1).min(ny),
            };
            let mut j0 = 0;
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
                Instr::Broadcast { dst, src } => slot(regs, *dst)[..len].fill(u[*src as usize]),
                Instr::Lin { dst, c0, terms } => {
                    let c0 = u[*c0 as usize];
                    match terms.first() {
                        None => slot(regs, *dst)[..len].fill(c0),
                        Some(&(c, s)) => {
                            let (o, a) = pair(regs, *dst, s);
                            for (o, a) in o[..len].iter_mut().zip(&a[..len]) {
                                *o = c0 + c * a;
                            }
                        }
                    }
                    for &(c, s) in terms.iter().skip(1) {
                        let (o, a) = pair(regs, *dst, s);
                        for (o, a) in o[..len].iter_mut().zip(&a[..len]) {
                            *o += c * a;
                        }
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
                    let t = &radial::table(*fam)[*order as usize];
                    let rate = fam.rate();
                    let (o, a) = pair(regs, *dst, *src);
                    for (o, a) in o[..len].iter_mut().zip(&a[..len]) {
                        *o = radial::eval_laurent(t, rate, *a);
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

/// `o = first · a^p` (when `first` is given) or `o *= a^p`, with the usual powers unrolled.
#[inline]
fn mul_pow(o: &mut [f64], a: &[f64], p: f64, first: Option<f64>) {
    macro_rules! go {
        ($f:expr) => {
            match first {
                Some(c) => o.iter_mut().zip(a).for_each(|(o, &a)| *o = c * $f(a)),
                None => o.iter_mut().zip(a).for_each(|(o, &a)| *o *= $f(a)),
            }
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

fn sources(ins: &Instr) -> Vec<u32> {
    match ins {
        Instr::LoadX { .. } | Instr::LoadY { .. } | Instr::Broadcast { .. } => vec![],
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
    }
}

fn dst_of(ins: &mut Instr) -> &mut u32 {
    match ins {
        Instr::LoadX { dst, .. }
        | Instr::LoadY { dst, .. }
        | Instr::Broadcast { dst, .. }
        | Instr::Lin { dst, .. }
        | Instr::Mul { dst, .. }
        | Instr::Pow { dst, .. }
        | Instr::Func { dst, .. }
        | Instr::Radial { dst, .. } => dst,
    }
}

fn rename(ins: &mut Instr, map: &[u32]) {
    let m = |v: &mut u32| *v = map[*v as usize];
    match ins {
        Instr::LoadX { .. } | Instr::LoadY { .. } | Instr::Broadcast { .. } => {}
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
