//! Linear operators over latent functions: `Σ_j c_j(x, φ) ∂^{α_j} g_{l_j}`.
//!
//! The grammar (the `noether` crate has the tutorial, `operators_tutorial`):
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary)*
//! unary   := ('-' | '+') unary | power
//! power   := atom ('^' unary)?
//! atom    := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//!
//! A name is an input coordinate, a latent, a parameter, `pi`, or a derivative of a latent written
//! `u_x`, `u_tx`, `psi_y` (the suffix a run of input names) or `d(u, x1, 2)`. Functions:
//! `exp log sin cos sqrt erf` of coefficients, and `d(expr, input[, order], ...)`, which applies the
//! product rule, so `d(x*u, x)` is `u + x*u_x`.

mod parse;

pub use parse::{MAX_DEPTH, MAX_ORDER};

use crate::expr::{ExprId, Graph};
use crate::KernelError;

/// One term of a linear operator: `coeff · ∂^orders g_latent`.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Index of the latent function.
    pub latent: usize,
    /// The order of differentiation in each input coordinate.
    pub orders: Vec<u8>,
    /// Whether the term integrates the latent over each input, ∫₀ˣ (1) or not (0), before
    /// differentiating: a term is a functional of its latent, derivatives and integrals alike.
    pub integrals: Vec<u8>,
    /// A Weyl fractional derivative in one input: (the input, its order, an expression of
    /// parameters), applied with the integer derivatives in `orders` (D^k D^ν = D^{k+ν}).
    pub fractional: Option<(usize, ExprId)>,
    /// The coefficient, an expression in the first argument's coordinates and parameters.
    pub coeff: ExprId,
}

impl Term {
    /// The total order of differentiation.
    pub fn order(&self) -> usize {
        self.orders.iter().map(|&o| o as usize).sum()
    }

    /// What the term does to its latent, as text: `d(int(u, x), t, 1)`, `frac(u, x, a)`.
    pub fn functional_text(&self, g: &Graph, latents: &[String]) -> String {
        let mut d = latents[self.latent].clone();
        for (i, &n) in self.integrals.iter().enumerate() {
            if n > 0 {
                d = format!("int({d}, {})", g.inputs()[i]);
            }
        }
        if let Some((i, o)) = self.fractional {
            d = format!("frac({d}, {}, {})", g.inputs()[i], g.to_text(o));
        }
        for (i, &o) in self.orders.iter().enumerate() {
            if o > 0 {
                d = format!("d({d}, {}, {o})", g.inputs()[i]);
            }
        }
        d
    }

    /// Whether the term integrates over any input.
    pub fn integrates(&self) -> bool {
        self.integrals.iter().any(|&i| i > 0)
    }

    /// Whether the term is the latent itself (no derivative, no integral).
    pub fn is_identity(&self) -> bool {
        self.order() == 0 && !self.integrates() && self.fractional.is_none()
    }

    /// Whether the kernel must be transformed beyond differentiation (an integral or a
    /// fractional derivative).
    pub fn transforms(&self) -> bool {
        self.integrates() || self.fractional.is_some()
    }
}

/// A linear operator acting on a vector of latent functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    /// Its terms, one per (latent, multi-index), with nonzero coefficients.
    pub terms: Vec<Term>,
    /// Its latent-free part, an expression of the inputs and parameters (`-2*x` in
    /// `u_t - a*u_xx - 2*x`, or what a latent's known mean contributes): the known mean of what
    /// the operator observes. None when it is 0.
    pub offset: Option<ExprId>,
    /// The text it was parsed from (or built as).
    pub text: String,
}

/// The names an operator may use.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// The latent functions, in order.
    pub latents: Vec<String>,
    /// The unknown coefficients (created in the graph as parameters when used).
    pub parameters: Vec<String>,
}

impl Operator {
    /// Parse an operator from text.
    ///
    /// # Errors
    /// [`KernelError::Syntax`] for text outside the grammar, [`KernelError::UnknownName`] for an
    /// unknown name (the message lists the known ones), [`KernelError::Nonlinear`] for a term that
    /// is not linear in the latents (`u*u_x`, `sin(u)`, `u + 1`), pointing at the term's column.
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::{expr::Graph, operator::{Names, Operator}};
    /// let mut g = Graph::new(&["t", "x"]);
    /// let names = Names { latents: vec!["u".into()], parameters: vec!["a".into()] };
    /// let heat = Operator::parse("u_t - a*u_xx", &mut g, &names)?;
    /// assert_eq!(heat.terms.len(), 2);
    /// assert_eq!(heat.terms[1].orders, [0, 2]);
    /// assert_eq!(g.to_text(heat.terms[1].coeff), "-a");
    ///
    /// let err = Operator::parse("u*u_x", &mut g, &names).unwrap_err();
    /// assert!(err.to_string().contains("column 1"));
    /// # Ok::<(), noether_kernels::KernelError>(())
    /// ```
    pub fn parse(text: &str, g: &mut Graph, names: &Names) -> Result<Operator, KernelError> {
        parse::parse(text, g, names, false)
    }

    /// [`Operator::parse`], but an operator that simplifies to 0 on every latent (the
    /// divergence of a divergence-free field) is accepted, with no terms: a prediction target
    /// may be zero by construction, an observation channel may not.
    ///
    /// # Errors
    /// As [`Operator::parse`], except for the zero operator.
    pub fn parse_target(text: &str, g: &mut Graph, names: &Names) -> Result<Operator, KernelError> {
        parse::parse(text, g, names, true)
    }

    /// Whether the operator is 0 on every latent (no terms).
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The identity on latent `latent` (observing the latent itself).
    pub fn identity(g: &mut Graph, latent: usize, name: &str) -> Operator {
        let one = g.constant(1.0);
        Operator {
            terms: vec![Term {
                latent,
                orders: vec![0; g.dim()],
                integrals: vec![0; g.dim()],
                fractional: None,
                coeff: one,
            }],
            offset: None,
            text: name.to_string(),
        }
    }

    /// The highest total order over its terms.
    pub fn order(&self) -> usize {
        self.terms.iter().map(Term::order).max().unwrap_or(0)
    }

    /// The operator as text in canonical form (`-a*d(u, x, 2) + d(u, t, 1)`).
    pub fn to_canonical_text(&self, g: &Graph, latents: &[String]) -> String {
        self.terms
            .iter()
            .map(|t| {
                let d = t.functional_text(g, latents);
                match g.as_const(t.coeff) {
                    Some(1.0) => d,
                    _ => format!("({})*{d}", g.to_text(t.coeff)),
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Whether a run of input names can be read in two ways (inputs `x` and `xx`: `u_xx` is `∂x∂x` or
/// `∂xx`), by the Sardinas–Patterson test for unique decodability, with a witness.
///
/// # Errors
/// Returned, not raised: [`KernelError::AmbiguousInputs`] with a suffix that has two readings.
///
/// # Examples
/// ```
/// use noether_kernels::operator::ambiguous_inputs;
/// let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
/// assert!(ambiguous_inputs(&names(&["t", "x"])).is_none());
/// assert!(ambiguous_inputs(&names(&["x1", "x2", "x12"])).is_none());
/// let e = ambiguous_inputs(&names(&["x", "xx"])).unwrap().to_string();
/// assert!(e.contains("`xx` reads as x·x and as xx"), "{e}");
/// ```
pub fn ambiguous_inputs(inputs: &[String]) -> Option<KernelError> {
    // A dangling suffix with the two partial readings that differ by it: `short · dangling =
    // long` as strings. Names repeated exactly are a clash reported elsewhere.
    let names: Vec<&str> = inputs
        .iter()
        .map(String::as_str)
        .filter(|n| !n.is_empty())
        .collect();
    let mut queue: Vec<(String, Vec<&str>, Vec<&str>)> = Vec::new();
    for &a in &names {
        for &b in &names {
            if a != b && b.starts_with(a) {
                queue.push((b[a.len()..].to_string(), vec![a], vec![b]));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some((dangling, short, long)) = queue.pop() {
        if !seen.insert(dangling.clone()) {
            continue;
        }
        for &w in &names {
            let mut s2 = short.clone();
            s2.push(w);
            if w == dangling {
                let suffix = long.concat();
                let mut involved: Vec<&str> = s2.iter().chain(&long).copied().collect();
                involved.sort_unstable();
                involved.dedup();
                return Some(KernelError::AmbiguousInputs {
                    names: involved
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    suffix,
                    first: s2.join("·"),
                    second: long.join("·"),
                });
            } else if let Some(rest) = dangling.strip_prefix(w) {
                queue.push((rest.to_string(), s2, long.clone()));
            } else if let Some(rest) = w.strip_prefix(dangling.as_str()) {
                queue.push((rest.to_string(), long.clone(), s2));
            }
        }
    }
    None
}

/// Split a derivative suffix (`tx`, `x1x2`) into a run of input names: the count of each, or
/// `None` when it is not such a run. Every way of splitting is considered (inputs `a`, `ab`,
/// `bc` split `abc` as a·bc); with inputs that [`ambiguous_inputs`] accepts, there is at most one.
///
/// # Examples
/// ```
/// use noether_kernels::operator::split_inputs;
/// let inputs: Vec<String> = ["a", "ab", "bc"].iter().map(|s| s.to_string()).collect();
/// assert_eq!(split_inputs("abc", &inputs), Some(vec![1, 0, 1]));
/// assert_eq!(split_inputs("abx", &inputs), None);
/// ```
pub fn split_inputs(suffix: &str, inputs: &[String]) -> Option<Vec<u8>> {
    // way[i]: the input that ends a split of suffix[..i] (dynamic programming over positions).
    let mut way: Vec<Option<usize>> = vec![None; suffix.len() + 1];
    let mut reach = vec![false; suffix.len() + 1];
    reach[0] = true;
    for i in 0..suffix.len() {
        if !reach[i] {
            continue;
        }
        for (k, n) in inputs.iter().enumerate() {
            if !n.is_empty()
                && suffix.as_bytes()[i..].starts_with(n.as_bytes())
                && !reach[i + n.len()]
            {
                reach[i + n.len()] = true;
                way[i + n.len()] = Some(k);
            }
        }
    }
    if suffix.is_empty() || !reach[suffix.len()] {
        return None;
    }
    let mut ords = vec![0u8; inputs.len()];
    let mut at = suffix.len();
    while at > 0 {
        let k = way[at]?;
        ords[k] = ords[k].saturating_add(1);
        at -= inputs[k].len();
    }
    Some(ords)
}

/// Text cut to 60 characters with an ellipsis, for messages about long input.
pub fn abbreviate(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text.to_string()
    }
}
