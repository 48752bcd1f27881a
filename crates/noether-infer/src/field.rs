//! Field latents: a vector field that obeys a law exactly, built from potentials with the
//! operators the rest of the pipeline already understands.
//!
//! - `curl_free` over inputs s₁…sₙ (n ≥ 2): one scalar potential φ, named after the field;
//!   `v[sᵢ] = ∂φ/∂sᵢ`, so v = ∇φ. (For a magnetic field H = −∇φ the sign is the user's choice:
//!   `-v[x]`.)
//! - `divergence_free`: v_i = Σ_j ∂_j A_ij with A antisymmetric. In 2-D A has one entry, the
//!   stream function ψ (named after the field): `v[s₁] = ∂ψ/∂s₂`, `v[s₂] = −∂ψ/∂s₁`. In n-D the
//!   entries A_ij (i < j) are latents `<field>_<sᵢ>_<sⱼ>` sharing one set of hyperparameters
//!   named after the field; in 3-D this is the curl of a vector potential.
//!
//! Components are written `v[x]` in any operator, also inside derivatives (`d(v[x], y)`); the
//! field's name alone is an error where a scalar is needed.

use crate::problem::{FieldKind, Kernel, Latent, Problem, Symmetry};
use crate::InferError;
use noether_kernels::{Involution, KernelSpec};

/// What a problem's latents become in the model: scalar latents with kernels, and the operator
/// text of each field's components.
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    /// The model's latents and their kernels.
    pub latents: Vec<(String, KernelSpec)>,
    /// For each field latent: (input, operator text of that component), in the field's input
    /// order.
    pub components: Vec<(String, Vec<(String, String)>)>,
    /// Fields whose bare name is a scalar latent of the model (a Hamiltonian's energy).
    pub scalar: Vec<String>,
    /// Latents (or potentials) with a known mean or factor: (latent, what it stands for in an
    /// operator, such as `((1 + M*x) + (x*(1 - x))*u)`): u = mean + m·g.
    pub factors: Vec<(String, String)>,
    /// What each latent's declared conditions, mean and factor built, one line each.
    pub conditions: Vec<String>,
    /// The problem's inputs.
    pub inputs: Vec<String>,
    /// With the Hilbert-space basis: per input, the declared faces its functions meet (empty
    /// without a basis).
    pub walls: Vec<Option<noether_likelihood::hilbert::Walls>>,
}

impl Expansion {
    /// The components of a field, if `name` is one.
    pub fn field(&self, name: &str) -> Option<&[(String, String)]> {
        self.components
            .iter()
            .find(|c| c.0 == name)
            .map(|c| c.1.as_slice())
    }
}

fn err(field: String, message: String) -> InferError {
    InferError::Field { field, message }
}

impl Problem {
    /// The inputs a field latent is over.
    fn field_inputs(&self, l: &Latent) -> Vec<String> {
        l.inputs.clone().unwrap_or_else(|| self.inputs.clone())
    }

    /// The kernel spec of a latent's kernel, `same_as` resolved to a shared kernel.
    pub(crate) fn kernel_spec(&self, name: &str, k: &Kernel) -> Result<KernelSpec, InferError> {
        Ok(match k {
            Kernel::Base(b) => {
                let ard = matches!(b.lengthscales, Some(crate::Lengthscales::PerInput(_)));
                b.name.spec(ard, b.own("offset").is_some())
            }
            Kernel::Sum(parts) => KernelSpec::Sum(
                parts
                    .iter()
                    .map(|p| self.kernel_spec(name, p))
                    .collect::<Result<_, _>>()?,
            ),
            Kernel::Product(parts) => KernelSpec::Product(
                parts
                    .iter()
                    .map(|p| self.kernel_spec(name, p))
                    .collect::<Result<_, _>>()?,
            ),
            Kernel::SameAs(other) => {
                let field = format!("latents.{name}.kernel.same_as");
                let Some(o) = self.latents.get(other) else {
                    return Err(err(field, format!("`{other}` is not a latent")));
                };
                if other == name || matches!(o.kernel, Kernel::SameAs(_)) {
                    return Err(err(
                        field,
                        format!("`{other}` must be a latent with a kernel of its own"),
                    ));
                }
                KernelSpec::Shared {
                    prefix: other.clone(),
                    spec: Box::new(self.kernel_spec(other, &o.kernel)?),
                }
            }
        })
    }

    /// The latent's kernel spec with its symmetries built in.
    fn latent_spec(&self, name: &str, l: &Latent) -> Result<KernelSpec, InferError> {
        let mut spec = self.kernel_spec(name, &l.kernel)?;
        for (k, s) in l.symmetry.iter().enumerate() {
            let field = format!("latents.{name}.symmetry[{k}]");
            // A function both even and odd in one input is 0: the kernel would be the zero one.
            let opposite = match s {
                Symmetry::Even(x) | Symmetry::Odd(x) => l.symmetry[..k]
                    .iter()
                    .position(|t| match (s, t) {
                        (Symmetry::Even(_), Symmetry::Odd(b))
                        | (Symmetry::Odd(_), Symmetry::Even(b)) => b == x,
                        _ => false,
                    })
                    .map(|j| (x, j)),
                _ => None,
            };
            if let Some((x, j)) = opposite {
                return Err(err(
                    field,
                    format!("`even` and `odd` in `{x}` (with symmetry[{j}]) together make the zero kernel: a function both even and odd in `{x}` is 0; keep one of them"),
                ));
            }
            let index = |n: &str| {
                self.inputs.iter().position(|i| i == n).ok_or_else(|| {
                    err(
                        field.clone(),
                        format!(
                            "`{n}` is not an input (the inputs are {})",
                            self.inputs.join(", ")
                        ),
                    )
                })
            };
            let (map, sign) = match s {
                Symmetry::Rotation(a, b) => {
                    let (i, j) = (index(a)?, index(b)?);
                    if i == j {
                        return Err(err(
                            field,
                            format!("a rotation needs two different inputs, not `{a}` twice"),
                        ));
                    }
                    let plain_se = matches!(
                        &l.kernel,
                        Kernel::Base(crate::BaseKernel {
                            name,
                            lengthscales: Some(crate::Lengthscales::Shared(_)),
                            ..
                        }) if *name == crate::KernelName::SE
                    );
                    if k > 0 || !plain_se {
                        return Err(err(
                            field,
                            "rotation invariance is built for the se kernel with one shared lengthscale (`\"lengthscales\": 0.5`), as the first symmetry".into(),
                        ));
                    }
                    spec = KernelSpec::RotationSe { plane: (i, j) };
                    continue;
                }
                Symmetry::Even(x) => (
                    Involution {
                        negate: vec![index(x)?],
                        swap: vec![],
                    },
                    1.0,
                ),
                Symmetry::Odd(x) => (
                    Involution {
                        negate: vec![index(x)?],
                        swap: vec![],
                    },
                    -1.0,
                ),
                Symmetry::Swap(a, b) => {
                    let (i, j) = (index(a)?, index(b)?);
                    if i == j {
                        return Err(err(field, format!("`{a}` cannot be swapped with itself")));
                    }
                    (
                        Involution {
                            negate: vec![],
                            swap: vec![(i, j)],
                        },
                        1.0,
                    )
                }
            };
            spec = KernelSpec::Symmetric {
                spec: Box::new(spec),
                map,
                sign,
            };
        }
        Ok(spec)
    }

    /// Check the field latents: at least two inputs, each an input of the problem, once.
    pub(crate) fn check_fields(&self) -> Result<(), InferError> {
        for (name, l) in &self.latents {
            self.latent_spec(name, l)?;
            let Some(kind) = l.field else { continue };
            if kind.is_hamiltonian() {
                let f = format!("latents.{name}.pairs");
                let pairs = l.pairs.clone().unwrap_or_default();
                if pairs.is_empty() {
                    return Err(err(
                        f,
                        "a hamiltonian field needs at least one [q, p] pair".into(),
                    ));
                }
                let mut seen: Vec<&str> = Vec::new();
                for (i, (q, p)) in pairs.iter().enumerate() {
                    for s in [q, p] {
                        if !self.inputs.contains(s) {
                            return Err(err(
                                format!("{f}[{i}]"),
                                format!(
                                    "`{s}` is not an input (the inputs are {})",
                                    self.inputs.join(", ")
                                ),
                            ));
                        }
                        if seen.contains(&s.as_str()) {
                            return Err(err(
                                format!("{f}[{i}]"),
                                format!("`{s}` is in two pairs, or twice in one"),
                            ));
                        }
                        seen.push(s);
                    }
                }
                self.check_damping(name, l, &pairs)?;
                continue;
            }
            let ins = self.field_inputs(l);
            let f = format!("latents.{name}.inputs");
            if ins.len() < 2 {
                return Err(err(
                    f,
                    format!(
                        "a {} field needs at least 2 inputs; `{name}` has {}",
                        kind_name(kind),
                        ins.len()
                    ),
                ));
            }
            for (i, s) in ins.iter().enumerate() {
                if !self.inputs.contains(s) {
                    return Err(err(
                        format!("{f}[{i}]"),
                        format!(
                            "`{s}` is not an input (the inputs are {})",
                            self.inputs.join(", ")
                        ),
                    ));
                }
                if ins[..i].contains(s) {
                    return Err(err(format!("{f}[{i}]"), format!("`{s}` is given twice")));
                }
            }
        }
        Ok(())
    }

    /// A dissipative field's damping: each key a momentum of its pairs, each value a parameter
    /// whose initial value is a rate ≥ 0 (> 0 unless fixed: it is learned on the log scale).
    fn check_damping(
        &self,
        name: &str,
        l: &Latent,
        pairs: &[(String, String)],
    ) -> Result<(), InferError> {
        if l.field != Some(FieldKind::DissipativeHamiltonian) {
            return Ok(());
        }
        let f = format!("latents.{name}.damping");
        if l.damping.is_empty() {
            return Err(err(
                f,
                "a dissipative_hamiltonian field needs a damping rate for at least one momentum: \"damping\": {\"p\": \"gamma\"} with gamma a parameter (without one it is the hamiltonian field)".into(),
            ));
        }
        let momenta: Vec<&str> = pairs.iter().map(|(_, p)| p.as_str()).collect();
        for (p, g) in &l.damping {
            let f = format!("{f}.{p}");
            if !momenta.contains(&p.as_str()) {
                return Err(err(
                    f,
                    format!(
                        "`{p}` is not a momentum of the pairs (the momenta are {}): damping acts on momenta",
                        momenta.join(", ")
                    ),
                ));
            }
            let Some(init) = self.parameters.get(g) else {
                return Err(err(
                    f,
                    format!("`{g}` is not a parameter: declare it in `parameters` (\"{g}\": 0.1)"),
                ));
            };
            let v = init.value();
            if !(v.is_finite() && v >= 0.0 && (v > 0.0 || init.fixed())) {
                return Err(err(
                    format!("parameters.{g}"),
                    format!(
                        "`{g}` is the damping rate of `{p}` in `{name}`, a rate ≥ 0 (R must be positive semi-definite for the energy to decrease); it starts at {v}: start it above 0, or fix it at 0"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The parameters that are damping rates of dissipative fields (learned on the log scale).
    pub(crate) fn damping_parameters(&self) -> Vec<String> {
        self.latents
            .values()
            .flat_map(|l| l.damping.values().cloned())
            .collect()
    }

    /// What the latents become in the model.
    ///
    /// # Errors
    /// A `same_as` that names no latent, or a latent sharing a kernel that is itself shared.
    pub fn expansion(&self) -> Result<Expansion, InferError> {
        let mut out = Expansion {
            inputs: self.inputs.clone(),
            ..Expansion::default()
        };
        let basis = self
            .approximation
            .as_ref()
            .is_some_and(|a| a.basis.is_some() || a.per_input.is_some());
        if basis {
            out.walls = crate::boundary::basis_walls(&self.latents, &self.inputs)?;
        }
        for (name, l) in &self.latents {
            let mut spec = self.latent_spec(name, l)?;
            let ins = self.field_inputs(l);
            // The potentials behind the latent: itself, or for an n-D divergence-free field the
            // entries of its antisymmetric potential.
            let potentials: Vec<String> = match l.field {
                Some(FieldKind::DivergenceFree) if ins.len() > 2 => {
                    let mut p = Vec::new();
                    for i in 0..ins.len() {
                        for j in i + 1..ins.len() {
                            p.push(format!("{name}_{}_{}", ins[i], ins[j]));
                        }
                    }
                    p
                }
                _ => vec![name.clone()],
            };
            // Faces the basis builds as its walls are not built into the kernel.
            let walled: Vec<usize> = (0..out.walls.len())
                .filter(|&i| out.walls[i].is_some())
                .collect();
            let unwalled;
            let l_built = if walled.is_empty() {
                l
            } else {
                let mut c = l.clone();
                for &i in &walled {
                    c.boundary.remove(&self.inputs[i]);
                }
                unwalled = c;
                &unwalled
            };
            let mut built =
                crate::boundary::construct(name, l_built, &self.inputs, &ins, &potentials)?;
            {
                for &i in &walled {
                    let w = out.walls[i].expect("walled");
                    let on = if l.field.is_some() {
                        format!("no flux through {}: on the potential, ", self.inputs[i])
                    } else {
                        String::new()
                    };
                    built[0].described.push(format!(
                        "{on}{x}: {} at {} and {} at {} (the basis's walls: its functions in {x} meet them)",
                        w.conditions[0].name(),
                        w.lo,
                        w.conditions[1].name(),
                        w.hi,
                        x = self.inputs[i]
                    ));
                }
            }
            for &(i, ref map) in &built[0].maps {
                if matches!(map, noether_kernels::InputMap::Period { .. }) && !spec.is_stationary()
                {
                    return Err(err(
                        format!("latents.{name}.boundary.{}", self.inputs[i]),
                        format!(
                            "a period is built into a stationary kernel (se, matern32, matern52, rq, or their sums and products); `{name}` has a {} kernel",
                            spec.name()
                        ),
                    ));
                }
                spec = KernelSpec::Mapped {
                    spec: Box::new(spec),
                    input: i,
                    map: map.clone(),
                };
            }
            let check = |what: &str, text: &str, allow_params: bool| -> Result<(), InferError> {
                // A function of the inputs (and for a mean, the parameters): it parses as a
                // coefficient of the latent.
                let mut g = noether_kernels::expr::Graph::new(&self.inputs);
                let names = noether_kernels::operator::Names {
                    latents: vec![name.clone()],
                    parameters: if allow_params {
                        self.parameters.keys().cloned().collect()
                    } else {
                        vec![]
                    },
                };
                noether_kernels::operator::Operator::parse(
                    &format!("({text})*{name}"),
                    &mut g,
                    &names,
                )
                .map(|_| ())
                .map_err(|e| {
                    err(
                        format!("latents.{name}.{what}"),
                        format!(
                            "`{text}` is not a function of the inputs{} ({e})",
                            if allow_params { " and parameters" } else { "" }
                        ),
                    )
                })
            };
            if let Some(m) = &l.times {
                check("times", m, false)?;
            }
            if let Some(m) = &l.mean {
                check("mean", m, true)?;
            }
            for (k, pot) in potentials.iter().enumerate() {
                let mut factor: Vec<String> = l.times.iter().map(|t| format!("({t})")).collect();
                if let Some(b) = built[k].factor() {
                    factor.push(b);
                }
                let body = if factor.is_empty() {
                    pot.clone()
                } else {
                    format!("({})*{pot}", factor.join("*"))
                };
                // The mean belongs to the latent (the potential of a 2-D field); an n-D field's
                // potentials share no mean.
                let mean = l.mean.as_ref().filter(|_| potentials.len() == 1);
                if mean.is_some() || !factor.is_empty() {
                    let wrapped = match mean {
                        Some(m) => format!("(({m}) + {body})"),
                        None => format!("({body})"),
                    };
                    out.factors.push((pot.clone(), wrapped));
                }
                let mut parts = built[k].described.clone();
                if let Some(m) = mean {
                    parts.push(format!("mean {m}"));
                }
                if let Some(t) = &l.times {
                    parts.push(format!("times {t}"));
                }
                if !parts.is_empty() {
                    let of = if l.field.is_some() {
                        format!("the potential {pot} of {name}")
                    } else {
                        name.clone()
                    };
                    let built_as = if mean.is_some() || !factor.is_empty() {
                        format!(" → {pot} = {}", out.factors.last().expect("pushed").1)
                    } else {
                        String::new()
                    };
                    out.conditions
                        .push(format!("{of}: {}{built_as}", parts.join("; ")));
                }
            }
            if l.mean.is_some() && potentials.len() > 1 {
                return Err(err(
                    format!("latents.{name}.mean"),
                    "a known mean is built for a scalar latent or a 2-D field's potential; give the mean as a latent-free term of the operators instead".into(),
                ));
            }
            let Some(kind) = l.field else {
                out.latents.push((name.clone(), spec));
                continue;
            };
            if kind.is_hamiltonian() {
                let mut comps = Vec::new();
                for (q, p) in l.pairs.iter().flatten() {
                    comps.push((q.clone(), format!("d({name}, {p})")));
                    comps.push((
                        p.clone(),
                        match l.damping.get(p) {
                            Some(g) => format!("-d({name}, {q}) - {g}*d({name}, {p})"),
                            None => format!("-d({name}, {q})"),
                        },
                    ));
                }
                if l.mean.is_some() || l.times.is_some() {
                    return Err(err(
                        format!("latents.{name}"),
                        "a hamiltonian field takes no `mean` or `times` (its energy is the latent itself)".into(),
                    ));
                }
                out.latents.push((name.clone(), spec));
                out.components.push((name.clone(), comps));
                out.scalar.push(name.clone());
                continue;
            }
            let n = ins.len();
            let wrap = |p: &str| {
                out.factors
                    .iter()
                    .find(|f| f.0 == p)
                    .map_or(p.to_string(), |f| f.1.clone())
            };
            let pw = wrap(name);
            let comps: Vec<(String, String)> = match (kind, n) {
                (
                    FieldKind::CurlFree
                    | FieldKind::Hamiltonian
                    | FieldKind::DissipativeHamiltonian,
                    _,
                ) => ins
                    .iter()
                    .map(|s| (s.clone(), format!("d({pw}, {s})")))
                    .collect(),
                (FieldKind::DivergenceFree, 2) => vec![
                    (ins[0].clone(), format!("d({pw}, {})", ins[1])),
                    (ins[1].clone(), format!("-d({pw}, {})", ins[0])),
                ],
                (FieldKind::DivergenceFree, _) => {
                    let pot = |i: usize, j: usize| wrap(&format!("{name}_{}_{}", ins[i], ins[j]));
                    (0..n)
                        .map(|i| {
                            let mut terms = Vec::new();
                            for j in 0..n {
                                if j > i {
                                    terms.push(format!("+ d({}, {})", pot(i, j), ins[j]));
                                } else if j < i {
                                    terms.push(format!("- d({}, {})", pot(j, i), ins[j]));
                                }
                            }
                            let text = terms.join(" ");
                            let text = text.strip_prefix("+ ").unwrap_or(&text).to_string();
                            (ins[i].clone(), text)
                        })
                        .collect()
                }
            };
            match (kind, n) {
                (FieldKind::DivergenceFree, n) if n > 2 => {
                    for i in 0..n {
                        for j in i + 1..n {
                            let pot = format!("{name}_{}_{}", ins[i], ins[j]);
                            if self.latents.contains_key(&pot) {
                                return Err(err(
                                    format!("latents.{pot}"),
                                    format!("`{pot}` is the name of a potential of the field `{name}`; rename the latent"),
                                ));
                            }
                            out.latents.push((
                                pot,
                                KernelSpec::Shared {
                                    prefix: name.clone(),
                                    spec: Box::new(spec.clone()),
                                },
                            ));
                        }
                    }
                }
                _ => out.latents.push((name.clone(), spec)),
            }
            out.components.push((name.clone(), comps));
        }
        Ok(out)
    }

    /// One line per latent with a known mean, factor or declared conditions, saying what was
    /// built (`noether fit` prints them).
    pub fn describe_conditions(&self) -> Vec<String> {
        self.expansion().map(|e| e.conditions).unwrap_or_default()
    }

    /// One line per field latent saying what it was built from (`noether fit` prints them).
    pub fn describe_fields(&self) -> Vec<String> {
        let Ok(e) = self.expansion() else {
            return vec![];
        };
        e.components
            .iter()
            .map(|(name, comps)| {
                let kind = self.latents[name].field.map_or("", kind_name);
                let parts: Vec<String> = comps
                    .iter()
                    .map(|(s, op)| format!("{name}[{s}] = {op}"))
                    .collect();
                format!("field {name} ({kind}): {}", parts.join(", "))
            })
            .collect()
    }

    /// Operator text with every field component `v[x]` replaced by its operator of the
    /// potentials.
    ///
    /// # Errors
    /// A field used without a component, a component that does not exist, a `[` after a name
    /// that is not a field.
    pub fn expand(&self, text: &str) -> Result<String, InferError> {
        if self.latents.values().all(|l| {
            l.field.is_none() && l.times.is_none() && l.mean.is_none() && l.boundary.is_empty()
        }) {
            return Ok(text.to_string());
        }
        let e = self.expansion()?;
        expand_with(&e, text)
    }
}

fn kind_name(k: FieldKind) -> &'static str {
    match k {
        FieldKind::CurlFree => "curl_free",
        FieldKind::DivergenceFree => "divergence_free",
        FieldKind::Hamiltonian => "hamiltonian",
        FieldKind::DissipativeHamiltonian => "dissipative_hamiltonian",
    }
}

/// A field's components as written: `v[x], v[y]`.
fn listed(field: &str, comps: &[(String, String)]) -> String {
    comps
        .iter()
        .map(|(s, _)| format!("{field}[{s}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replace each `v[x]` of a field `v` in `text` by `(operator)`.
pub(crate) fn expand_with(e: &Expansion, text: &str) -> Result<String, InferError> {
    let bad = |m: String| err(format!("operator `{text}`"), m);
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        if !(c.is_ascii_alphabetic() || c == '_') || (k > 0 && is_ident(chars[k - 1].1)) {
            out.push(c);
            k += 1;
            continue;
        }
        let mut end = k;
        while end < chars.len() && is_ident(chars[end].1) {
            end += 1;
        }
        let word_end = chars.get(end).map_or(text.len(), |c| c.0);
        let word = &text[at..word_end];
        let mut next = end;
        while next < chars.len() && chars[next].1.is_whitespace() {
            next += 1;
        }
        let bracket = chars.get(next).is_some_and(|c| c.1 == '[');
        match (e.field(word), bracket) {
            (Some(comps), true) => {
                let close = chars[next..]
                    .iter()
                    .position(|c| c.1 == ']')
                    .map(|p| next + p)
                    .ok_or_else(|| bad(format!("`{word}[` without its `]`")))?;
                let inner = text[chars[next].0 + 1..chars[close].0].trim();
                let Some((_, op)) = comps.iter().find(|(s, _)| s == inner) else {
                    return Err(bad(format!(
                        "`{word}[{inner}]`: the field `{word}` has the components {}",
                        listed(word, comps)
                    )));
                };
                // A suffix after the bracket (`v[x]_x`) would read as a derivative of the
                // rewritten operator, which the user never wrote: name the form that works.
                if let Some(&(_, c)) = chars.get(close + 1) {
                    if is_ident(c) {
                        let rest: String = chars[close + 1..]
                            .iter()
                            .map(|c| c.1)
                            .take_while(|&c| is_ident(c))
                            .collect();
                        return Err(bad(format!(
                            "`{word}[{inner}]{rest}`: a field component takes no derivative suffix; write its derivatives with d(): d({word}[{inner}], INPUT), d({word}[{inner}], INPUT, 2) or d({word}[{inner}], x, 1, y, 1)"
                        )));
                    }
                }
                out.push('(');
                out.push_str(op);
                out.push(')');
                k = close + 1;
            }
            (Some(_), false) if e.scalar.iter().any(|s| s == word) => {
                out.push_str(word);
                k = end;
            }
            (Some(comps), false) => {
                return Err(bad(format!(
                    "`{word}` is a vector field: write one of its components ({})",
                    listed(word, comps)
                )))
            }
            (None, true) => {
                return Err(bad(format!(
                    "`{word}[…]`: `{word}` is not a field latent, so it has no components"
                )))
            }
            (None, false) if e.factors.iter().any(|f| f.0 == word) => {
                let m = &e.factors.iter().find(|f| f.0 == word).expect("found").1;
                out.push_str(m);
                k = end;
            }
            (None, false)
                if e.factors.iter().any(|(u, _)| {
                    word.strip_prefix(u.as_str())
                        .and_then(|r| r.strip_prefix('_'))
                        .and_then(|sfx| noether_kernels::operator::split_inputs(sfx, &e.inputs))
                        .is_some()
                }) =>
            {
                // u_xy of u = m·g: d(d((m)*g, x), y), the product rule applied by the parser.
                let (u, m) = e
                    .factors
                    .iter()
                    .find(|(u, _)| {
                        word.strip_prefix(u.as_str())
                            .and_then(|r| r.strip_prefix('_'))
                            .and_then(|sfx| noether_kernels::operator::split_inputs(sfx, &e.inputs))
                            .is_some()
                    })
                    .expect("found");
                let sfx = &word[u.len() + 1..];
                let orders =
                    noether_kernels::operator::split_inputs(sfx, &e.inputs).expect("splits");
                let mut t = m.clone();
                for (i, &o) in orders.iter().enumerate() {
                    for _ in 0..o {
                        t = format!("d({t}, {})", e.inputs[i]);
                    }
                }
                out.push_str(&format!("({t})"));
                k = end;
            }
            (None, false) => {
                // `v_x` would read as a derivative of the potential behind a field.
                let declared = e.latents.iter().any(|l| l.0 == word);
                if let Some((f, _)) = e.components.iter().find(|(f, _)| {
                    !declared
                        && !e.scalar.contains(f)
                        && word
                            .strip_prefix(f.as_str())
                            .is_some_and(|rest| rest.starts_with('_'))
                }) {
                    return Err(bad(format!(
                        "`{word}`: `{f}` is a vector field; write a derivative of a component as d({f}[…], input)"
                    )));
                }
                out.push_str(word);
                k = end;
            }
        }
    }
    Ok(out)
}
