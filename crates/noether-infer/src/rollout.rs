//! Rolling a fitted model's posterior-mean dynamics forward: ẋ = E[f(x) | data] from an initial
//! state, with a symplectic method for a Hamiltonian field and the learned energy at every step.

use crate::problem::{FieldKind, Problem};
use crate::result::{targets, Fitted};
use crate::InferError;
pub use noether_likelihood::rollout::Method;
use noether_likelihood::Model;

/// The most steps a rollout may take.
pub const MAX_STEPS: usize = 10_000_000;

/// What to roll out.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollout {
    /// The initial state: a value for every input.
    pub from: Vec<(String, f64)>,
    /// The step size (> 0).
    pub dt: f64,
    /// The number of steps.
    pub steps: usize,
    /// The method; by default implicit midpoint for a Hamiltonian field, RK4 otherwise.
    pub method: Option<Method>,
    /// The velocity of each input as a channel or operator (`q` → `fq`); empty for the
    /// problem's Hamiltonian field.
    pub velocities: Vec<(String, String)>,
    /// Report the state at these times instead of after every step (increasing, finite; the
    /// first is the initial state's): each interval is integrated in equal steps of at most
    /// `dt`, so uneven times (the dropped frames of a recording) cost nothing in accuracy.
    /// `steps` is then ignored. Empty: every step.
    pub times: Vec<f64>,
}

/// A rolled-out trajectory.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// The state coordinates (the problem's inputs), in order.
    pub inputs: Vec<String>,
    /// The step size.
    pub dt: f64,
    /// The method used.
    pub method: Method,
    /// The states, row-major, one per time, the first the initial state.
    pub states: Vec<f64>,
    /// The time of each state, from 0 (or the first of [`Rollout::times`]).
    pub times: Vec<f64>,
    /// For a Hamiltonian field: its name and the posterior mean of H at every state (up to H's
    /// constant, which the data cannot identify).
    pub energy: Option<(String, Vec<f64>)>,
}

fn bad(field: &str, message: String) -> InferError {
    InferError::Field {
        field: field.into(),
        message,
    }
}

impl Problem {
    /// Roll out the posterior-mean dynamics at the problem's values (a fitted problem's fitted
    /// values); see [`Fitted::rollout`].
    ///
    /// # Errors
    /// As [`Fitted::rollout`].
    pub fn rollout(&self, r: &Rollout) -> Result<Trajectory, InferError> {
        let model = self.model()?;
        rollout_with(self, &model, r)
    }
}

impl Fitted {
    /// Roll out the posterior-mean dynamics from `r.from`: for the problem's Hamiltonian field
    /// (when `r.velocities` is empty) the flow (`H[q]`, `H[p]`) with the learned energy at every
    /// step, by default with the implicit midpoint rule; otherwise the named velocity of every
    /// input, by default with RK4.
    ///
    /// # Errors
    /// A state missing an input, a step that is not positive, too many steps, no velocity for
    /// an input, leapfrog without canonical pairs, a step where the integration fails (naming
    /// it; nothing is returned).
    ///
    /// # Examples
    /// ```
    /// use noether_infer::{Data, Latent, Problem, Rollout};
    /// // q̇ = 2p, ṗ = −2q (H = q² + p²) at points on the unit circle.
    /// let pts: Vec<f64> = (0..16).flat_map(|k| {
    ///     let a = k as f64 * 0.4;
    ///     [a.cos(), a.sin()]
    /// }).collect();
    /// let dq: Vec<f64> = pts.chunks(2).map(|s| 2.0 * s[1]).collect();
    /// let dp: Vec<f64> = pts.chunks(2).map(|s| -2.0 * s[0]).collect();
    /// let fitted = Problem::new(&["q", "p"])
    ///     .latent("H", Latent::se(1.0, &[1.0, 1.0]).hamiltonian(&[("q", "p")]))
    ///     .channel("dq", "H[q]", Data::from_rows(&pts, 2, &dq), 1e-4)
    ///     .channel("dp", "H[p]", Data::from_rows(&pts, 2, &dp), 1e-4)
    ///     .restarts(1)
    ///     .fit()?;
    /// let t = fitted.rollout(&Rollout {
    ///     from: vec![("q".into(), 1.0), ("p".into(), 0.0)],
    ///     dt: 0.01,
    ///     steps: 300,
    ///     method: None,
    ///     velocities: vec![],
    ///     times: vec![],
    /// })?;
    /// let (_, h) = t.energy.as_ref().unwrap();
    /// // The implicit midpoint rule keeps the learned energy: its drift is tiny.
    /// assert!((h[300] - h[0]).abs() < 1e-6 * h[0].abs().max(1.0));
    /// // And the state follows the true circle q = cos 2t for t = 3.
    /// assert!((t.states[600] - (6.0f64).cos()).abs() < 0.05);
    /// # Ok::<(), noether_infer::InferError>(())
    /// ```
    pub fn rollout(&self, r: &Rollout) -> Result<Trajectory, InferError> {
        rollout_with(&self.problem, &self.model, r)
    }
}

fn rollout_with(p: &Problem, model: &Model, r: &Rollout) -> Result<Trajectory, InferError> {
    if !(r.dt.is_finite() && r.dt > 0.0) {
        return Err(bad(
            "--dt",
            format!("must be a positive finite number, got {}", r.dt),
        ));
    }
    if let Some(k) = r.times.iter().position(|t| !t.is_finite()) {
        return Err(bad(
            "--times",
            format!(
                "time {} is {}: times must be finite numbers",
                k + 1,
                r.times[k]
            ),
        ));
    }
    if let Some(k) = (1..r.times.len()).find(|&k| r.times[k] <= r.times[k - 1]) {
        return Err(bad(
            "--times",
            format!(
                "time {} ({}) is not after time {} ({}): times must increase",
                k + 1,
                r.times[k],
                k,
                r.times[k - 1]
            ),
        ));
    }
    let substeps: Vec<usize> = r
        .times
        .windows(2)
        .map(|w| {
            ((w[1] - w[0]) / r.dt)
                .ceil()
                .max(1.0)
                .min(MAX_STEPS as f64 + 1.0) as usize
        })
        .collect();
    if r.times.len() == 1 {
        return Err(bad(
            "--times",
            "one time is the initial state alone: give at least two".into(),
        ));
    }
    if substeps.iter().sum::<usize>() > MAX_STEPS {
        return Err(bad(
            "--times",
            format!(
                "the times span more than {MAX_STEPS} steps of {}: use a larger --dt",
                r.dt
            ),
        ));
    }
    if r.times.is_empty() && (r.steps == 0 || r.steps > MAX_STEPS) {
        return Err(bad(
            "--steps",
            format!("must be from 1 to {MAX_STEPS}, got {}", r.steps),
        ));
    }
    let d = p.inputs.len();
    let mut x0 = vec![f64::NAN; d];
    for (name, v) in &r.from {
        let Some(i) = p.inputs.iter().position(|n| n == name) else {
            return Err(bad(
                "--from",
                format!(
                    "`{name}` is not an input (the inputs are {})",
                    p.inputs.join(", ")
                ),
            ));
        };
        if !x0[i].is_nan() {
            return Err(bad("--from", format!("`{name}` is given twice")));
        }
        if !v.is_finite() {
            return Err(bad(
                "--from",
                format!("`{name}` = {v} is not a finite number"),
            ));
        }
        x0[i] = *v;
    }
    if let Some(i) = x0.iter().position(|v| v.is_nan()) {
        return Err(bad(
            "--from",
            format!(
                "no value for `{}`: the state needs every input ({})",
                p.inputs[i],
                p.inputs.join(", ")
            ),
        ));
    }
    // The velocity of each input, the canonical pairs, the energy.
    let mut ops = vec![String::new(); d];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut energy = None;
    if r.velocities.is_empty() {
        let ham: Vec<(&String, &crate::Latent)> = p
            .latents
            .iter()
            .filter(|(_, l)| l.field.is_some_and(FieldKind::is_hamiltonian))
            .collect();
        let (name, l) = match ham[..] {
            [one] => one,
            [] => {
                return Err(bad(
                    "--velocity",
                    "the problem has no hamiltonian field: name the velocity of every input (--velocity q=EXPR)".into(),
                ))
            }
            _ => {
                return Err(bad(
                    "--velocity",
                    "the problem has several hamiltonian fields: name the velocity of every input (--velocity q=EXPR)".into(),
                ))
            }
        };
        let comps = p.expansion()?;
        let comps = comps.field(name).unwrap_or_default();
        for (input, op) in comps {
            let i = p
                .inputs
                .iter()
                .position(|n| n == input)
                .expect("pairs are inputs");
            ops[i] = op.clone();
        }
        for (q, pp) in l.pairs.iter().flatten() {
            let qi = p
                .inputs
                .iter()
                .position(|n| n == q)
                .expect("pairs are inputs");
            let pi = p
                .inputs
                .iter()
                .position(|n| n == pp)
                .expect("pairs are inputs");
            pairs.push((qi, pi));
        }
        energy = Some(name.clone());
    } else {
        for (input, target) in &r.velocities {
            let Some(i) = p.inputs.iter().position(|n| n == input) else {
                return Err(bad(
                    "--velocity",
                    format!(
                        "`{input}` is not an input (the inputs are {})",
                        p.inputs.join(", ")
                    ),
                ));
            };
            if !ops[i].is_empty() {
                return Err(bad("--velocity", format!("`{input}` is given twice")));
            }
            let t = targets(p, target)?;
            if t.len() != 1 {
                return Err(bad(
                    "--velocity",
                    format!("`{target}` is a vector field: name one of its components"),
                ));
            }
            ops[i] = t[0].1.clone();
        }
    }
    if let Some(i) = ops.iter().position(String::is_empty) {
        return Err(bad(
            "--velocity",
            format!(
                "no velocity for `{}`: a rollout needs one for every input",
                p.inputs[i]
            ),
        ));
    }
    let method = r.method.unwrap_or(if energy.is_some() {
        Method::ImplicitMidpoint
    } else {
        Method::Rk4
    });
    let damped = p.latents.values().any(|l| !l.damping.is_empty()) && r.velocities.is_empty();
    if method == Method::Leapfrog && damped {
        return Err(bad(
            "--method",
            "leapfrog is for a conservative field (its kicks take ṗ from q alone); a dissipative field's ṗ depends on p: use implicit-midpoint or rk4".into(),
        ));
    }
    if method == Method::Leapfrog && pairs.is_empty() {
        return Err(bad(
            "--method",
            "leapfrog needs canonical pairs: use it with a hamiltonian field (implicit-midpoint or rk4 otherwise)".into(),
        ));
    }
    let mut post = model
        .posterior(&model.values())
        .map_err(InferError::model("posterior"))?;
    let refs: Vec<&str> = ops.iter().map(String::as_str).collect();
    let mut f = post
        .mean_function(&refs)
        .map_err(InferError::model("rollout velocities"))?;
    let failed = |e: noether_likelihood::rollout::RolloutError| {
        bad("rollout", format!("{method}, {e}; nothing written"))
    };
    let (states, times) = if r.times.is_empty() {
        let states = noether_likelihood::rollout::integrate(
            &mut |x, v| f.eval(x, v),
            &x0,
            r.dt,
            r.steps,
            method,
            &pairs,
        )
        .map_err(failed)?;
        (states, (0..=r.steps).map(|k| k as f64 * r.dt).collect())
    } else {
        // Each interval in equal steps of at most dt, from the state at its start.
        let mut states = x0.clone();
        let mut x = x0.clone();
        for (k, w) in r.times.windows(2).enumerate() {
            let n = substeps[k];
            let run = noether_likelihood::rollout::integrate(
                &mut |x, v| f.eval(x, v),
                &x,
                (w[1] - w[0]) / n as f64,
                n,
                method,
                &pairs,
            )
            .map_err(|e| {
                bad(
                    "rollout",
                    format!(
                        "{method}, between times {} and {}: {e}; nothing written",
                        w[0], w[1]
                    ),
                )
            })?;
            x.copy_from_slice(&run[n * d..]);
            states.extend_from_slice(&x);
        }
        (states, r.times.clone())
    };
    let energy = match energy {
        Some(name) => {
            let mut h = post
                .mean_function(&[name.as_str()])
                .map_err(InferError::model("rollout energy"))?;
            let mut out = [0.0];
            let values = states
                .chunks(d)
                .map(|x| {
                    h.eval(x, &mut out);
                    out[0]
                })
                .collect();
            Some((name, values))
        }
        None => None,
    };
    Ok(Trajectory {
        inputs: p.inputs.clone(),
        dt: r.dt,
        method,
        states,
        times,
        energy,
    })
}
