//! Base kernels written once, as expressions over both arguments, and their sums and products.
//!
//! Every derivative kernel the project uses is derived from these by [`crate::expr::Graph::diff`]:
//! nothing here is hand-differentiated.

use crate::expr::{ExprId, Graph, ParamId, RadialFamily, Var};
use crate::family::{variance_param, with_variance, Family};

/// The kind of a base kernel, or a combination of kernels.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelSpec {
    /// A base kernel: one of the families of [`crate::family::registry`] (squared exponential,
    /// Matérn 3/2 and 5/2, rational quadratic, periodic, constant, linear), built with
    /// [`KernelSpec::se`], [`KernelSpec::matern32`] … or from its name
    /// ([`crate::family::lookup`]).
    Base(crate::family::Base),
    /// `k₁ + k₂ + …`; term i has its parameters under `<prefix>.i`.
    Sum(Vec<KernelSpec>),
    /// `k₁ · k₂ · …`; factor i has its parameters under `<prefix>.i`.
    Product(Vec<KernelSpec>),
    /// `c · k` for a fixed constant c > 0.
    Scaled(f64, Box<KernelSpec>),
    /// The squared exponential made invariant under rotations in the plane of inputs `plane`:
    /// its average over all rotations of one argument, exactly,
    /// `σ² exp(−Σ_{d∉plane}(x_d − x'_d)²/(2ℓ²) − (r² + r'²)/(2ℓ²)) I₀(r r'/ℓ²)` with r, r' the
    /// radii of x and x' in the plane and one lengthscale ℓ. Any operator order; its value
    /// overflows past r r'/ℓ² ≈ 700.
    RotationSe {
        /// The two inputs of the plane.
        plane: (usize, usize),
    },
    /// `spec` made invariant (`sign` = 1) or anti-invariant (`sign` = −1) under an involution S
    /// of the inputs (S² = I): k_S(x, x') = ¼ Σ_{g,h ∈ {I,S}} χ(g)χ(h) k(gx, hx') with χ(S) =
    /// sign. Positive semi-definite for any k; every sample f satisfies f(Sx) = sign·f(x)
    /// exactly.
    Symmetric {
        /// The kernel.
        spec: Box<KernelSpec>,
        /// The involution.
        map: Involution,
        /// +1 for even (invariant), −1 for odd (anti-invariant).
        sign: f64,
    },
    /// `spec` with a boundary or periodicity condition built into one input (see [`InputMap`]).
    Mapped {
        /// The kernel.
        spec: Box<KernelSpec>,
        /// The input.
        input: usize,
        /// What is done to it.
        map: InputMap,
    },
    /// `spec` with its parameters named under `prefix` instead of the latent's own name: two
    /// latents built with one prefix share one set of hyperparameters.
    Shared {
        /// The prefix its parameters are named under (the latent that owns them).
        prefix: String,
        /// The kernel.
        spec: Box<KernelSpec>,
    },
}

/// A map of one input by which every sample meets a condition exactly.
#[derive(Clone, Debug, PartialEq)]
pub enum InputMap {
    /// Even about `at`: k averaged over the reflection x ↦ 2·at − x of either argument, so that
    /// every sample has ∂f/∂x = 0 at x = at (a Neumann condition) and f(2·at − x) = f(x).
    Reflect {
        /// The mirror.
        at: f64,
    },
    /// The coordinate replaced by cos(π (x − lo)/(hi − lo)) in both arguments: every sample is a
    /// smooth function of it, so ∂f/∂x = 0 at both x = lo and x = hi (Neumann at both ends; the
    /// cosine series of the interval, as in Solin & Särkkä 2020).
    Cosine {
        /// The lower end.
        lo: f64,
        /// The upper end.
        hi: f64,
    },
    /// Periodic with period P in this input: the difference x − x' replaced by
    /// (P/π) sin(π (x − x')/P) (the chord of the circle of circumference P, MacKay 1998), so that
    /// a stationary kernel becomes its periodic form. Only for kernels that depend on this input
    /// through x − x' alone ([`KernelSpec::is_stationary`]).
    Period {
        /// The period.
        period: f64,
    },
}

/// An involution of the inputs: coordinates negated, then pairs swapped (x ↦ Sx, S² = I).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Involution {
    /// Inputs whose sign flips (`even in x`: x ↦ −x).
    pub negate: Vec<usize>,
    /// Pairs of inputs exchanged (`symmetric in x and y`).
    pub swap: Vec<(usize, usize)>,
}

impl Involution {
    /// Coordinate `i` of S applied to the point whose coordinates are `coord(j)`.
    fn image(
        &self,
        g: &mut Graph,
        i: usize,
        coord: &mut dyn FnMut(&mut Graph, usize) -> ExprId,
    ) -> ExprId {
        let j = self
            .swap
            .iter()
            .find_map(|&(a, b)| {
                if a == i {
                    Some(b)
                } else if b == i {
                    Some(a)
                } else {
                    None
                }
            })
            .unwrap_or(i);
        let c = coord(g, j);
        if self.negate.contains(&j) {
            g.neg(c)
        } else {
            c
        }
    }
}

/// A kernel built into a graph: its expression k(x, x') and what it depends on.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// k(x, x') over the graph's coordinates of x and x'.
    pub expr: ExprId,
    /// The highest operator order (per argument, summed over inputs) the kernel supports, or
    /// `None` where any order is fine.
    pub max_order: Option<usize>,
    /// Its hyperparameters, in the order they were created.
    pub params: Vec<ParamId>,
    /// A short human name (`squared exponential`, `Matérn 3/2 + periodic`).
    pub name: String,
    /// What each of `params` is, in the same order.
    pub roles: Vec<Role>,
    /// For a plain squared exponential: its variance and the lengthscale of each input, from
    /// which its integrals in closed form are built ([`Kernel::integrated`]).
    pub se: Option<(ParamId, Vec<ParamId>)>,
}

impl Kernel {
    /// The kernel with ∫₀ over the inputs where `ix` (first argument) or `iy` (second argument)
    /// is 1, in closed form; None unless the kernel is a plain squared exponential. Per input,
    /// with φ(s) = exp(−s²/2ℓ²), G₁(s) = ℓ√(π/2) erf(s/(√2 ℓ)) = ∫₀ˢ φ and
    /// G₂(s) = ℓ²[(s/ℓ)√(π/2) erf(s/(√2 ℓ)) + φ(s) − 1] = ∫₀ˢ G₁:
    /// ∫₀ˣ φ(ξ − y) dξ = G₁(x − y) + G₁(y), and ∫₀ˣ∫₀ʸ φ(ξ − η) = G₂(x) + G₂(y) − G₂(x − y).
    pub fn integrated(&self, g: &mut Graph, ix: &[u8], iy: &[u8]) -> Option<ExprId> {
        self.transformed(g, ix, iy, None, None)
    }

    /// [`Kernel::integrated`], and with Weyl fractional derivatives of orders `fx` (first
    /// argument) and `fy` (second) in one input each: the factor of that input becomes
    /// `√(2/π) ℓ^{−n} J₀(n, φ, (x − y)/ℓ)` with n = ν₁ + ν₂ and φ = (ν₁ − ν₂)π/2
    /// ([`crate::spectral`]). None unless a plain squared exponential, or when an input has both
    /// an integral and a fractional derivative.
    pub fn transformed(
        &self,
        g: &mut Graph,
        ix: &[u8],
        iy: &[u8],
        fx: Option<(usize, ExprId)>,
        fy: Option<(usize, ExprId)>,
    ) -> Option<ExprId> {
        let (v, ls) = self.se.as_ref()?;
        crate::family::se::transformed(g, (*v, ls), ix, iy, fx, fy)
    }
}

/// What a kernel hyperparameter does, so that starting values can be set from the data's scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A variance: scales the kernel.
    Variance,
    /// The lengthscale of one input (its index), or of all (`None`).
    Lengthscale(Option<usize>),
    /// A shape parameter (the rational quadratic's α, the periodic kernel's period).
    Shape,
}

fn min_order(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl KernelSpec {
    /// The family of a base kernel; `None` for a combination (a sum, a product, a scaled,
    /// shared, mapped or symmetrised kernel, the rotation-invariant SE).
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::KernelSpec;
    /// let f = KernelSpec::matern32(false).family().unwrap();
    /// assert_eq!((f.key, f.max_order), ("matern32", Some(1)));
    /// assert!(KernelSpec::Sum(vec![]).family().is_none());
    /// ```
    pub fn family(&self) -> Option<Family> {
        match self {
            KernelSpec::Base(b) => Some(b.declares()),
            _ => None,
        }
    }

    /// Every base family, once each (`ard` for those with lengthscales; a linear kernel with its
    /// offset): the list the kernel test suite, the problem-file reader's names and the docs
    /// table are checked against, so that a family added here and not there fails a test.
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::KernelSpec;
    /// let names: Vec<String> = KernelSpec::families(true).iter().map(KernelSpec::name).collect();
    /// assert_eq!(names.len(), 7);
    /// assert!(names.contains(&"Matérn 5/2".to_string()));
    /// ```
    pub fn families(ard: bool) -> Vec<KernelSpec> {
        crate::family::registry()
            .iter()
            .map(|&family| {
                KernelSpec::Base(crate::family::Base {
                    family,
                    ard,
                    optional: true,
                })
            })
            .collect()
    }

    /// The highest per-argument operator order this kernel supports (`None`: unlimited).
    pub fn max_order(&self) -> Option<usize> {
        if let Some(f) = self.family() {
            return f.max_order;
        }
        match self {
            KernelSpec::Sum(parts) | KernelSpec::Product(parts) => parts
                .iter()
                .fold(None, |acc, k| min_order(acc, k.max_order())),
            KernelSpec::Scaled(_, k)
            | KernelSpec::Shared { spec: k, .. }
            | KernelSpec::Mapped { spec: k, .. }
            | KernelSpec::Symmetric { spec: k, .. } => k.max_order(),
            _ => None,
        }
    }

    /// A short human name.
    pub fn name(&self) -> String {
        match self {
            KernelSpec::Sum(parts) => format!(
                "({})",
                parts
                    .iter()
                    .map(KernelSpec::name)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            KernelSpec::Product(parts) => format!(
                "({})",
                parts
                    .iter()
                    .map(KernelSpec::name)
                    .collect::<Vec<_>>()
                    .join(" × ")
            ),
            KernelSpec::Scaled(c, k) => format!("{c} × {}", k.name()),
            KernelSpec::Shared { prefix, spec } => {
                format!("{} (shared with {prefix})", spec.name())
            }
            KernelSpec::RotationSe { .. } => "rotation-invariant squared exponential".into(),
            KernelSpec::Mapped { spec, map, .. } => format!(
                "{} ({})",
                spec.name(),
                match map {
                    InputMap::Reflect { at } => format!("reflected about {at}"),
                    InputMap::Cosine { lo, hi } => format!("in cos(π(x − {lo})/({hi} − {lo}))"),
                    InputMap::Period { period } => format!("period {period}"),
                }
            ),
            KernelSpec::Symmetric { spec, sign, .. } => format!(
                "{} ({})",
                spec.name(),
                if *sign > 0.0 {
                    "symmetrised"
                } else {
                    "antisymmetrised"
                }
            ),
            base => base
                .family()
                .map(|f| f.title.to_string())
                .unwrap_or_default(),
        }
    }

    /// The spectral density of a stationary base kernel, and whether it has one lengthscale
    /// per input (`true`) or one shared; `None` for every other kernel (the rational quadratic
    /// and periodic kernels have none here, combinations are not base kernels).
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::{spectral::SpectralDensity, KernelSpec};
    /// assert_eq!(
    ///     KernelSpec::matern52(true).spectral_density(),
    ///     Some((SpectralDensity::Matern { nu: 2.5 }, true))
    /// );
    /// assert_eq!(KernelSpec::constant().spectral_density(), None);
    /// ```
    pub fn spectral_density(&self) -> Option<(crate::spectral::SpectralDensity, bool)> {
        match self {
            KernelSpec::Base(b) => Some((b.declares().density?, b.ard)),
            _ => None,
        }
    }

    /// Whether the kernel depends on its arguments through their differences alone (so that a
    /// period can be built into an input, [`InputMap::Period`]).
    pub fn is_stationary(&self) -> bool {
        if let Some(f) = self.family() {
            return f.stationary;
        }
        match self {
            KernelSpec::Sum(p) | KernelSpec::Product(p) => p.iter().all(KernelSpec::is_stationary),
            KernelSpec::Scaled(_, k) | KernelSpec::Shared { spec: k, .. } => k.is_stationary(),
            KernelSpec::Mapped {
                spec,
                map: InputMap::Period { .. },
                ..
            } => spec.is_stationary(),
            _ => false,
        }
    }

    /// Whether k(x, x') and every derivative of it vanish as x and x' move apart in every
    /// input (squared exponential, Matérn, rational quadratic, their sums, products with bounded
    /// kernels, symmetrised and reflected forms): then a covariance that overflows between points
    /// where the kernel itself has underflowed to 0 is 0 (the polynomial of a derivative never
    /// outgrows the exponential).
    pub fn decays(&self) -> bool {
        let bounded = |k: &KernelSpec| k.decays() || k.family().is_some_and(|f| f.bounded);
        if let Some(f) = self.family() {
            return f.decays;
        }
        match self {
            KernelSpec::RotationSe { .. } => true,
            KernelSpec::Sum(p) => p.iter().all(KernelSpec::decays),
            KernelSpec::Product(p) => p.iter().any(KernelSpec::decays) && p.iter().all(bounded),
            KernelSpec::Scaled(_, k)
            | KernelSpec::Shared { spec: k, .. }
            | KernelSpec::Symmetric { spec: k, .. }
            | KernelSpec::Mapped {
                spec: k,
                map: InputMap::Reflect { .. },
                ..
            } => k.decays(),
            _ => false,
        }
    }

    /// Build the kernel into `g`, naming its parameters `<prefix>.variance`,
    /// `<prefix>.lengthscale` (shared) or `<prefix>.lengthscales.<input>`, `<prefix>.alpha`,
    /// `<prefix>.period`; the parts of a sum or product get prefixes `<prefix>.0`, `<prefix>.1`.
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::{expr::Graph, KernelSpec};
    /// let mut g = Graph::new(&["t", "x"]);
    /// let k = KernelSpec::se(true).build(&mut g, "u");
    /// assert_eq!(g.param_names(), ["u.variance", "u.lengthscales.t", "u.lengthscales.x"]);
    /// assert_eq!(k.max_order, None);
    /// ```
    pub fn build(&self, g: &mut Graph, prefix: &str) -> Kernel {
        let before = g.num_params();
        let expr = self.build_expr(g, prefix);
        let params: Vec<ParamId> = (before..g.num_params())
            .map(|i| ParamId(i as u32))
            .collect();
        // The names are made by `crate::family`'s helpers: read roles back.
        let roles = params
            .iter()
            .map(|&p| {
                let name = g.param_name(p);
                if name.ends_with(".variance") {
                    Role::Variance
                } else if name.ends_with(".lengthscale") {
                    Role::Lengthscale(None)
                } else if let Some((_, input)) = name.rsplit_once(".lengthscales.") {
                    Role::Lengthscale(g.input_index(input))
                } else {
                    // A family's own hyperparameter: the role it declares.
                    let own = name.rsplit('.').next().unwrap_or_default();
                    crate::family::registry()
                        .iter()
                        .flat_map(|f| f.declares().own)
                        .find(|h| h.name == own)
                        .map_or(Role::Shape, |h| h.role)
                }
            })
            .collect();
        let se = self.se_params(g, prefix);
        Kernel {
            expr,
            max_order: self.max_order(),
            params,
            name: self.name(),
            roles,
            se,
        }
    }

    /// Where the base family has closed-form transforms: its variance and per-input
    /// lengthscales (already built).
    fn se_params(&self, g: &mut Graph, prefix: &str) -> Option<(ParamId, Vec<ParamId>)> {
        match self {
            KernelSpec::Base(b) => b.family.closed_form(g, prefix, b),
            KernelSpec::Shared { prefix, spec } => spec.se_params(g, prefix),
            _ => None,
        }
    }

    fn build_expr(&self, g: &mut Graph, prefix: &str) -> ExprId {
        match self {
            KernelSpec::Base(b) => b.family.build(g, prefix, b),
            KernelSpec::Sum(parts) => {
                let ks: Vec<ExprId> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, k)| k.build_expr(g, &format!("{prefix}.{i}")))
                    .collect();
                let terms: Vec<(f64, ExprId)> = ks.into_iter().map(|k| (1.0, k)).collect();
                g.linear(0.0, &terms)
            }
            KernelSpec::Product(parts) => {
                let ks: Vec<ExprId> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, k)| k.build_expr(g, &format!("{prefix}.{i}")))
                    .collect();
                let factors: Vec<(ExprId, f64)> = ks.into_iter().map(|k| (k, 1.0)).collect();
                g.product(&factors)
            }
            KernelSpec::Scaled(c, k) => {
                let kk = k.build_expr(g, prefix);
                g.scale(*c, kk)
            }
            KernelSpec::Shared { prefix, spec } => spec.build_expr(g, prefix),
            KernelSpec::RotationSe { plane: (a, b) } => {
                variance_param(g, prefix);
                let l = g.param_with_latex(&format!("{prefix}.lengthscale"), "\\ell");
                let l = g.p(l);
                let mut terms = Vec::new();
                for d in 0..g.dim() {
                    if d == *a || d == *b {
                        continue;
                    }
                    let (x, y) = (g.x(d), g.y(d));
                    let diff = g.sub(x, y);
                    terms.push((-0.5, g.product(&[(diff, 2.0), (l, -2.0)])));
                }
                let (xa, xb, ya, yb) = (g.x(*a), g.x(*b), g.y(*a), g.y(*b));
                let square_sum = |g: &mut Graph, u: ExprId, v: ExprId| {
                    let (u2, v2) = (g.product(&[(u, 2.0)]), g.product(&[(v, 2.0)]));
                    g.linear(0.0, &[(1.0, u2), (1.0, v2)])
                };
                let r2 = square_sum(g, xa, xb);
                let s2 = square_sum(g, ya, yb);
                terms.push((-0.5, g.product(&[(r2, 1.0), (l, -2.0)])));
                terms.push((-0.5, g.product(&[(s2, 1.0), (l, -2.0)])));
                let e = g.linear(0.0, &terms);
                let e = g.exp(e);
                let w = g.product(&[(r2, 1.0), (s2, 1.0), (l, -4.0)]);
                let i0 = g.radial(RadialFamily::BesselI0, 0, w);
                let k = g.mul(e, i0);
                with_variance(g, prefix, k)
            }
            KernelSpec::Mapped { spec, input, map } => {
                let k = spec.build_expr(g, prefix);
                let i = *input;
                match *map {
                    InputMap::Reflect { at } => {
                        let mirror = |g: &mut Graph, v: ExprId| {
                            let c = g.constant(2.0 * at);
                            g.sub(c, v)
                        };
                        let on = |g: &mut Graph, e: ExprId, first: bool, second: bool| {
                            g.substitute_vars(e, &mut |g, v| match v {
                                Var::X(j) if first && j as usize == i => {
                                    let x = g.x(i);
                                    Some(mirror(g, x))
                                }
                                Var::Y(j) if second && j as usize == i => {
                                    let y = g.y(i);
                                    Some(mirror(g, y))
                                }
                                _ => None,
                            })
                        };
                        let sx = on(g, k, true, false);
                        let sy = on(g, k, false, true);
                        let sxy = on(g, k, true, true);
                        g.linear(0.0, &[(0.25, k), (0.25, sx), (0.25, sy), (0.25, sxy)])
                    }
                    InputMap::Cosine { lo, hi } => {
                        let warp = |g: &mut Graph, v: ExprId| {
                            let a = g.linear(-lo, &[(1.0, v)]);
                            let a = g.scale(std::f64::consts::PI / (hi - lo), a);
                            g.cos(a)
                        };
                        g.substitute_vars(k, &mut |g, v| match v {
                            Var::X(j) if j as usize == i => {
                                let x = g.x(i);
                                Some(warp(g, x))
                            }
                            Var::Y(j) if j as usize == i => {
                                let y = g.y(i);
                                Some(warp(g, y))
                            }
                            _ => None,
                        })
                    }
                    InputMap::Period { period } => {
                        let (x, y) = (g.x(i), g.y(i));
                        let diff = g.sub(x, y);
                        let a = g.scale(std::f64::consts::PI / period, diff);
                        let s = g.sin(a);
                        let chord = g.scale(period / std::f64::consts::PI, s);
                        g.replace_node(k, diff, chord)
                    }
                }
            }
            KernelSpec::Symmetric { spec, map, sign } => {
                let k = spec.build_expr(g, prefix);
                // k(gx, hx') for g, h ∈ {I, S}: substitute S into either argument.
                let on = |g: &mut Graph, e: ExprId, first: bool, second: bool| {
                    g.substitute_vars(e, &mut |g, v| match v {
                        Var::X(i) if first => Some(map.image(g, i as usize, &mut |g, j| g.x(j))),
                        Var::Y(i) if second => Some(map.image(g, i as usize, &mut |g, j| g.y(j))),
                        _ => None,
                    })
                };
                let sx = on(g, k, true, false);
                let sy = on(g, k, false, true);
                let sxy = on(g, k, true, true);
                g.linear(
                    0.0,
                    &[(0.25, k), (0.25 * sign, sx), (0.25 * sign, sy), (0.25, sxy)],
                )
            }
        }
    }
}
