//! Boundary and initial conditions as declarations, built into the prior so that every sample
//! meets them exactly.
//!
//! A latent u with a known mean m (`"mean"`), a factor t (`"times"`) and declared conditions is
//! u = m + t·b·g, with g the GP and b the conditions' factor; the conditions hold for u − m. Per
//! input x with faces lo and hi:
//!
//! | conditions (lo, hi) | construction |
//! |---|---|
//! | Dirichlet (u − m = 0) at a face | a factor (x − lo) or (hi − x) |
//! | Cauchy (u − m and its x-derivative 0, an initial time of a second-order law) | the factor squared |
//! | Neumann at one face r | the kernel averaged over the reflection x ↦ 2r − x (even about r); a Dirichlet or Cauchy condition at the other face f is then the even factor (L² − (x − r)²)^k, L = |f − r| |
//! | Neumann at both | x replaced by cos(π (x − lo)/(hi − lo)) in the kernel: the cosine series of the interval (the Laplacian's Neumann eigenfunctions, Solin & Särkkä 2020) |
//! | `{"period": P}` | x − x' replaced by (P/π) sin(π (x − x')/P) in a stationary kernel (MacKay 1998) |
//!
//! Factors for a Dirichlet condition follow Lagaris et al. (1998) and the boundary-constrained
//! GPs of Solin & Kok (2019); reflections are the method of images. On a field latent the
//! conditions are declared on the field (`"no_flux"`: the normal component vanishes on that face)
//! and built on its potentials: a curl-free field ∇φ gets Neumann conditions on φ; a 2-D
//! divergence-free field (ψ_y, −ψ_x) gets ψ = m on the face (Dirichlet), so that no mass crosses
//! it; in n-D every potential A_ij with the face's input among i, j gets a Dirichlet condition.

use crate::problem::{FieldKind, Latent};
use crate::InferError;
use noether_kernels::InputMap;
use noether_likelihood::hilbert::{Wall, Walls};
use serde::{Deserialize, Serialize};

/// A condition on one face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// u − mean = 0 on the face.
    Dirichlet,
    /// ∂(u − mean)/∂n = 0 on the face.
    Neumann,
    /// Both: for the initial time of a second-order law (u and u_t given by the mean).
    Cauchy,
    /// For a field latent: its normal component vanishes on the face (nothing flows through).
    NoFlux,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Dirichlet => "dirichlet",
            Condition::Neumann => "neumann",
            Condition::Cauchy => "cauchy",
            Condition::NoFlux => "no_flux",
        }
    }
}

/// The conditions of one input: two faces with a condition each (null: none), or a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    /// The lower and upper face (null where there is none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Vec<Option<f64>>>,
    /// The condition at each face (null: free).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Option<Condition>>>,
    /// Periodic with this period in the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<f64>,
}

impl Boundary {
    /// Dirichlet, Neumann, … at `lo` and `hi` (None: free).
    pub fn faces(lo: f64, hi: f64, conditions: [Option<Condition>; 2]) -> Boundary {
        Boundary {
            at: Some(vec![Some(lo), Some(hi)]),
            conditions: Some(conditions.to_vec()),
            period: None,
        }
    }

    /// One condition at a lower face only (an initial time).
    pub fn lower(at: f64, condition: Condition) -> Boundary {
        Boundary {
            at: Some(vec![Some(at), None]),
            conditions: Some(vec![Some(condition), None]),
            period: None,
        }
    }

    /// Periodic with period `p`.
    pub fn periodic(p: f64) -> Boundary {
        Boundary {
            at: None,
            conditions: None,
            period: Some(p),
        }
    }
}

/// The faces of one input after validation: (position, condition) at each end.
type Faces = [Option<(f64, Condition)>; 2];

/// What the conditions of one latent (or potential) build: kernel maps, a factor and a text.
#[derive(Clone, Debug, Default)]
pub(crate) struct Construction {
    /// Maps of inputs applied to the kernel, in order.
    pub(crate) maps: Vec<(usize, InputMap)>,
    /// Factors of the inputs (formula text), multiplied.
    pub(crate) factors: Vec<String>,
    /// What was built, one phrase per input.
    pub(crate) described: Vec<String>,
}

impl Construction {
    /// The product of the factors, if any.
    pub(crate) fn factor(&self) -> Option<String> {
        (!self.factors.is_empty()).then(|| self.factors.join("*"))
    }
}

fn num(v: f64) -> String {
    // Rust prints the shortest text that reads back to the same number.
    if v < 0.0 {
        format!("({v})")
    } else {
        format!("{v}")
    }
}

/// Check the declarations of latent `name` and read each input's faces.
fn faces(
    name: &str,
    l: &Latent,
    inputs: &[String],
) -> Result<Vec<(usize, Faces, Option<f64>)>, InferError> {
    let mut out = Vec::new();
    for (input, b) in &l.boundary {
        let field = format!("latents.{name}.boundary.{input}");
        let bad = |m: String| InferError::field(field.clone(), m);
        let Some(i) = inputs.iter().position(|s| s == input) else {
            return Err(bad(format!(
                "`{input}` is not an input (the inputs are {})",
                inputs.join(", ")
            )));
        };
        if let Some(p) = b.period {
            if !(p.is_finite() && p > 0.0) {
                return Err(bad(format!(
                    "the period must be a positive finite number, got {p}"
                )));
            }
            if !(1e-150..=1e150).contains(&p) {
                return Err(bad(format!(
                    "the period {p:e} is outside 1e-150 to 1e150, where the periodic kernel can be evaluated; rescale the input"
                )));
            }
            if b.at.is_some() || b.conditions.is_some() {
                return Err(bad(
                    "a periodic input has no faces: give either `period` or `at` with `conditions`, not both"
                        .into(),
                ));
            }
            out.push((i, [None, None], Some(p)));
            continue;
        }
        let (Some(at), Some(conds)) = (&b.at, &b.conditions) else {
            return Err(bad(
                "give `at` (the lower and upper face, null for none) and `conditions` (one per face), or `period`"
                    .into(),
            ));
        };
        if at.len() != 2 {
            return Err(bad(format!(
                "`at` takes two faces [lower, upper] (null for none), got {}",
                at.len()
            )));
        }
        if conds.len() != 2 {
            return Err(bad(format!(
                "`conditions` takes one per face [lower, upper] (null for free), got {}",
                conds.len()
            )));
        }
        let mut f: Faces = [None, None];
        for k in 0..2 {
            match (at[k], conds[k]) {
                (Some(v), _) if !v.is_finite() => {
                    return Err(bad(format!("face {v} is not a finite number")))
                }
                (Some(v), _) if v.abs() > 1e150 => {
                    return Err(bad(format!(
                        "face {v:e} is too large for its factor to be evaluated (at most 1e150 in magnitude); rescale the input"
                    )))
                }
                (None, Some(c)) => {
                    return Err(bad(format!(
                        "the {} face is null, so it cannot have the condition `{}`",
                        ["lower", "upper"][k],
                        c.as_str()
                    )))
                }
                (Some(v), Some(c)) => f[k] = Some((v, c)),
                _ => {}
            }
        }
        if let (Some(lo), Some(hi)) = (at[0], at[1]) {
            if lo >= hi {
                return Err(bad(format!(
                    "the lower face {lo} must be below the upper face {hi}"
                )));
            }
        }
        if f.iter().all(Option::is_none) {
            return Err(bad("no face has a condition".into()));
        }
        out.push((i, f, None));
    }
    Ok(out)
}

/// An input's index with its lower and upper face (None where it has no condition).
pub(crate) type Span = (usize, Option<f64>, Option<f64>);

/// The declared faces of latent `name` by input index: (input, lower, upper), each face present
/// only where it carries a condition.
///
/// # Errors
/// As the declarations' checks.
pub(crate) fn declared_faces(
    name: &str,
    l: &Latent,
    inputs: &[String],
) -> Result<Vec<Span>, InferError> {
    Ok(faces(name, l, inputs)?
        .into_iter()
        .filter(|f| f.2.is_none())
        .map(|(i, f, _)| (i, f[0].map(|x| x.0), f[1].map(|x| x.0)))
        .collect())
}

/// With the Hilbert-space basis: per input, the walls the basis builds itself: both faces of
/// a scalar latent declared, each Dirichlet or Neumann (sines, cosines, or the quarter-shifted
/// pair on [lo, hi]: every sample meets them exactly), or both faces of a curl-free or 2-D
/// divergence-free field `no_flux` (Neumann on φ, Dirichlet on ψ). The basis is shared by all latents, so
/// an input walled on one latent must be walled alike on every latent.
///
/// # Errors
/// The declarations' checks; an input walled differently (or not at all) on another latent.
pub(crate) fn basis_walls(
    latents: &std::collections::BTreeMap<String, Latent>,
    inputs: &[String],
) -> Result<Vec<Option<Walls>>, InferError> {
    let mut per_latent = Vec::with_capacity(latents.len());
    for (name, l) in latents {
        let mut w = vec![None; inputs.len()];
        // On a field, `no_flux` is a condition on its potential: Neumann for a curl-free field's
        // φ, Dirichlet for a 2-D divergence-free field's ψ (an n-D one has several potentials,
        // walled differently: not built this way).
        let field_inputs = l.inputs.as_ref().map_or(inputs.len(), Vec::len);
        let no_flux = match l.field {
            None => None,
            Some(FieldKind::CurlFree) => Some(Wall::Neumann),
            Some(FieldKind::DivergenceFree) if field_inputs == 2 => Some(Wall::Dirichlet),
            Some(_) => None,
        };
        for (i, f, period) in faces(name, l, inputs)? {
            let wall = |c: Condition| match (c, no_flux) {
                (Condition::Dirichlet, None) => Some(Wall::Dirichlet),
                (Condition::Neumann, None) => Some(Wall::Neumann),
                (Condition::NoFlux, Some(on_potential)) => Some(on_potential),
                _ => None,
            };
            if let (None, [Some((lo, a)), Some((hi, b))]) = (period, f) {
                if let (Some(a), Some(b)) = (wall(a), wall(b)) {
                    w[i] = Some(Walls {
                        lo,
                        hi,
                        conditions: [a, b],
                    });
                    continue;
                }
            }
            // The basis cannot take the kernel constructions (factors, reflections, periods):
            // say what it does build, rather than refuse the construction it cannot read.
            let x = &inputs[i];
            return Err(InferError::field(
                format!("latents.{name}.boundary.{x}"),
                format!(
                    "with the Hilbert-space basis, declared faces are built as the basis's walls: both faces of `{x}`, each dirichlet or neumann (no_flux on a curl-free or 2-D divergence-free field); `{name}` declares {}: declare both faces so, or use the exact solver",
                    match (period, f) {
                        (Some(p), _) => format!("a period {p}"),
                        (None, [Some(_), Some(_)]) if l.field.is_some() => {
                            "faces on a field this basis does not wall".to_string()
                        }
                        (None, [Some(_), Some(_)]) => "a cauchy or no_flux face".to_string(),
                        _ => "one face only".to_string(),
                    }
                ),
            ));
        }
        per_latent.push((name, w));
    }
    let mut out = vec![None; inputs.len()];
    for (i, x) in inputs.iter().enumerate() {
        let Some((first, w)) = per_latent.iter().find_map(|(n, w)| w[i].map(|w| (n, w))) else {
            continue;
        };
        if let Some((other, _)) = per_latent.iter().find(|(_, v)| v[i] != Some(w)) {
            return Err(InferError::field(
                format!("latents.{other}.boundary.{x}"),
                format!(
                    "with the Hilbert-space basis the faces of `{x}` are the basis's walls, shared by every latent: `{first}` declares {} at {} and {} at {}, so `{other}` must declare the same (or use the exact solver)",
                    w.conditions[0].name(),
                    w.lo,
                    w.conditions[1].name(),
                    w.hi
                ),
            ));
        }
        out[i] = Some(w);
    }
    Ok(out)
}

/// The construction of scalar conditions (Dirichlet, Neumann, Cauchy) in one input.
fn scalar_input(
    x: &str,
    i: usize,
    f: Faces,
    period: Option<f64>,
    c: &mut Construction,
) -> Result<(), String> {
    if let Some(p) = period {
        c.maps.push((i, InputMap::Period { period: p }));
        c.described
            .push(format!("{x}: period {p} (periodic kernel in {x})"));
        return Ok(());
    }
    let power = |cond: Condition| match cond {
        Condition::Dirichlet => Some(1),
        Condition::Cauchy => Some(2),
        _ => None,
    };
    let neumann: Vec<usize> = (0..2)
        .filter(|&k| f[k].is_some_and(|(_, c)| c == Condition::Neumann))
        .collect();
    match neumann.len() {
        2 => {
            let (lo, hi) = (f[0].unwrap().0, f[1].unwrap().0);
            c.maps.push((i, InputMap::Cosine { lo, hi }));
            c.described.push(format!(
                "{x}: Neumann at {lo} and {hi} (kernel in cos(π({x} − {lo})/{}))",
                hi - lo
            ));
        }
        1 => {
            let r = f[neumann[0]].unwrap().0;
            c.maps.push((i, InputMap::Reflect { at: r }));
            let mut text = format!("{x}: Neumann at {r} (kernel reflected about {r})");
            let other = 1 - neumann[0];
            if let Some((v, cond)) = f[other] {
                let k = power(cond).expect("not Neumann");
                let l2 = (v - r) * (v - r);
                let factor = format!("({} - ({x} - {})^2)^{k}", num(l2), num(r));
                text += &format!(", {} at {v} (factor {factor})", cond.as_str());
                c.factors.push(factor);
            }
            c.described.push(text);
        }
        _ => {
            let mut parts = Vec::new();
            for (k, face) in f.iter().enumerate() {
                let Some((v, cond)) = *face else { continue };
                let p = power(cond).expect("no Neumann here");
                let factor = if k == 0 {
                    format!("({x} - {})^{p}", num(v))
                } else {
                    format!("({} - {x})^{p}", num(v))
                };
                parts.push(format!("{} at {v} (factor {factor})", cond.as_str()));
                c.factors.push(factor);
            }
            c.described.push(format!("{x}: {}", parts.join(", ")));
        }
    }
    Ok(())
}

/// What latent `name`'s declared conditions build: for a scalar latent one construction; for a
/// field, one per potential (by the potential's name), in the order of `potentials`.
pub(crate) fn construct(
    name: &str,
    l: &Latent,
    inputs: &[String],
    field_inputs: &[String],
    potentials: &[String],
) -> Result<Vec<Construction>, InferError> {
    let declared = faces(name, l, inputs)?;
    let mut out = vec![Construction::default(); potentials.len().max(1)];
    for (i, f, period) in declared {
        let x = &inputs[i];
        let field = format!("latents.{name}.boundary.{x}");
        let bad = |m: String| InferError::field(field.clone(), m);
        let conds: Vec<Condition> = f.iter().flatten().map(|f| f.1).collect();
        match l.field {
            None => {
                if conds.contains(&Condition::NoFlux) {
                    return Err(bad(format!(
                        "`no_flux` is for a field latent; `{name}` is a scalar (use dirichlet or neumann)"
                    )));
                }
                scalar_input(x, i, f, period, &mut out[0]).map_err(bad)?;
            }
            Some(FieldKind::Hamiltonian | FieldKind::DissipativeHamiltonian) => {
                return Err(bad(
                    "boundary conditions on a hamiltonian field are not built; declare them on a scalar latent or a curl_free or divergence_free field"
                        .into(),
                ))
            }
            Some(kind) => {
                if period.is_none() && conds.iter().any(|c| *c != Condition::NoFlux) {
                    return Err(bad(format!(
                        "a field's faces take `no_flux` (or null); `{name}` is a {} field",
                        if kind == FieldKind::CurlFree {
                            "curl_free"
                        } else {
                            "divergence_free"
                        }
                    )));
                }
                if period.is_none() && !field_inputs.contains(x) {
                    return Err(bad(format!(
                        "`{x}` is not an input of the field `{name}` (it is over {})",
                        field_inputs.join(", ")
                    )));
                }
                let as_scalar = |cond: Condition| -> Faces {
                    f.map(|face| face.map(|(v, _)| (v, cond)))
                };
                match kind {
                    FieldKind::CurlFree => {
                        // v = ∇φ: v·n = ∂φ/∂x = 0 on a face of x.
                        scalar_input(x, i, as_scalar(Condition::Neumann), period, &mut out[0])
                            .map_err(bad)?;
                        if let Some(d) = out[0].described.last_mut() {
                            *d = format!("no flux through {x}: {d}");
                        }
                    }
                    _ => {
                        // The potentials whose index pair holds x vanish on its faces.
                        for (k, pot) in potentials.iter().enumerate() {
                            let touches = potentials.len() == 1 || {
                                let suffix = pot.strip_prefix(&format!("{name}_")).unwrap_or("");
                                suffix.split('_').any(|s| s == x)
                            };
                            if period.is_some() {
                                scalar_input(x, i, f, period, &mut out[k]).map_err(bad)?;
                            } else if touches {
                                scalar_input(
                                    x,
                                    i,
                                    as_scalar(Condition::Dirichlet),
                                    None,
                                    &mut out[k],
                                )
                                .map_err(bad)?;
                                if let Some(d) = out[k].described.last_mut() {
                                    *d = format!("no flux through {x}: {d}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    // The same input twice (a period and a face) is caught by the map's keys; two Neumann maps of
    // one input cannot arise.
    Ok(out)
}
