//! From a problem description to a model: reading files, checking every field, loading data.

use crate::data::Table;
use crate::problem::{Data, Init, Kernel, Lengthscales, Problem};
use crate::InferError;
use noether_kernels::KernelSpec;
use noether_likelihood::hilbert::Source;
use noether_likelihood::{LikelihoodError, Model};
use std::path::{Path, PathBuf};

/// A channel's observations and where each came from.
#[derive(Clone, Debug)]
pub(crate) struct ChannelData {
    pub(crate) x: Vec<f64>,
    pub(crate) y: Vec<f64>,
    /// `FILE` or `inline data`, for messages.
    pub(crate) source: String,
    /// The row label of each observation (the CSV line, or the 1-based index inline).
    pub(crate) rows: Vec<usize>,
}

/// Check a prior given with an initial value: its own numbers, and its support against the
/// parameter (`positive`) and the initial value.
fn check_prior(field: &str, init: &Init, positive: bool) -> Result<(), InferError> {
    let Some(p) = init.prior() else {
        return Ok(());
    };
    p.validate(positive)
        .map_err(|m| InferError::field(format!("{field}.prior"), m))?;
    if !p.log_density(init.value()).0.is_finite() {
        return Err(InferError::field(
            format!("{field}.prior"),
            format!(
                "the initial value {} lies outside the support of its {p} prior",
                init.value()
            ),
        ));
    }
    Ok(())
}

fn positive(field: &str, init: &Init) -> Result<(), InferError> {
    check_prior(field, init, true)?;
    let v = init.value();
    if !(v.is_finite() && v > 0.0) {
        return Err(InferError::field(
            field,
            format!("must be a positive finite number, got {v}"),
        ));
    }
    Ok(())
}

/// The structure of a kernel: lengthscales one per input, each base kernel's own parameters
/// present exactly where it has them, sums and products with terms. `path` is the object
/// holding `kernel`.
fn check_kernel(k: &Kernel, path: &str, inputs: &[String]) -> Result<(), InferError> {
    match k {
        Kernel::Base(b) => {
            let kernel = b.name.as_str();
            match (&b.lengthscales, b.name.has_lengthscales()) {
                (None, true) => {
                    return Err(InferError::field(
                        format!("{path}.lengthscales"),
                        format!("the {kernel} kernel needs initial lengthscales"),
                    ))
                }
                (Some(_), false) => {
                    return Err(InferError::field(
                        format!("{path}.lengthscales"),
                        format!("the {kernel} kernel has no lengthscales"),
                    ))
                }
                (Some(Lengthscales::PerInput(v)), _) if v.len() != inputs.len() => {
                    return Err(InferError::field(
                        format!("{path}.lengthscales"),
                        format!("{} values given, but there are {} inputs ({}): give one per input, or one number", v.len(), inputs.len(), inputs.join(", ")),
                    ));
                }
                _ => {}
            }
            for &noether_kernels::family::Hyper { name, required, .. } in b.name.own_parameters() {
                if required && b.own(name).is_none() {
                    return Err(InferError::field(
                        format!("{path}.{name}"),
                        format!("the {kernel} kernel needs an initial {name}"),
                    ));
                }
            }
            if let Some(key) = b
                .own
                .keys()
                .find(|k| !b.name.own_parameters().iter().any(|p| p.name == k.as_str()))
            {
                return Err(InferError::field(
                    format!("{path}.{key}"),
                    format!("the {kernel} kernel has no {key}"),
                ));
            }
            Ok(())
        }
        Kernel::Sum(parts) | Kernel::Product(parts) => {
            let form = if matches!(k, Kernel::Sum(_)) {
                "sum"
            } else {
                "product"
            };
            if parts.is_empty() {
                return Err(InferError::field(
                    format!("{path}.kernel.{form}"),
                    format!("a {form} with no terms"),
                ));
            }
            for (i, p) in parts.iter().enumerate() {
                check_kernel(p, &format!("{path}.kernel.{form}[{i}]"), inputs)?;
            }
            Ok(())
        }
        Kernel::SameAs(_) => Ok(()),
    }
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Where a model's Hilbert-basis sums come from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BasisPass<'a> {
    /// One pass over all the data.
    All,
    /// Rows `lo..hi` of every channel's data (a shard).
    Rows(usize, usize),
    /// Sums merged from shards.
    Sums(&'a [noether_likelihood::hilbert::RawSums]),
}

impl Problem {
    /// Read a problem file. Relative data paths are taken from the file's folder.
    ///
    /// # Errors
    /// [`InferError::Io`] for a file that cannot be read; [`InferError::Json`] with the line and
    /// column of JSON that does not parse or does not fit the format.
    pub fn from_file(path: &Path) -> Result<Problem, InferError> {
        let mut p: Problem = crate::json::read_json(path, crate::json::PROBLEM_OBJECTS)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        p.base = if dir.is_absolute() {
            dir
        } else {
            std::env::current_dir().map(|c| c.join(&dir)).unwrap_or(dir)
        };
        Ok(p)
    }

    fn resolve(&self, p: &Path) -> PathBuf {
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        };
        std::path::absolute(&joined).unwrap_or(joined)
    }

    /// The data files the channels read, absolute, each once, in channel order.
    pub fn data_files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for c in &self.channels {
            if let Data::Csv(p)
            | Data::Column { csv: p, .. }
            | Data::Trajectory { trajectory: p, .. } = &c.data
            {
                let p = self.resolve(p);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The problem with every data path made absolute.
    pub fn with_absolute_paths(&self) -> Problem {
        let mut p = self.clone();
        for c in &mut p.channels {
            match &mut c.data {
                Data::Csv(path)
                | Data::Column { csv: path, .. }
                | Data::Trajectory {
                    trajectory: path, ..
                } => *path = self.resolve(path),
                Data::Inline { .. } => {}
            }
        }
        p
    }

    /// Check every field that can be checked without reading data.
    ///
    /// # Errors
    /// [`InferError::Field`] naming the field.
    pub fn validate(&self) -> Result<(), InferError> {
        if self.inputs.is_empty() {
            return Err(InferError::field(
                "inputs",
                "at least one input name is needed",
            ));
        }
        let mut names: Vec<(String, &str)> = Vec::new();
        let mut declare = |name: &str,
                           what: &'static str,
                           field: String|
         -> Result<(), InferError> {
            if !is_name(name) {
                return Err(InferError::field(
                    field,
                    format!("`{name}` is not a valid name (a letter, then letters, digits or _)"),
                ));
            }
            if let Some((_, w)) = names.iter().find(|(n, _)| *n == name) {
                return Err(InferError::field(
                    field,
                    format!("`{name}` is already used as {w}"),
                ));
            }
            names.push((name.to_string(), what));
            Ok(())
        };
        for (i, n) in self.inputs.iter().enumerate() {
            declare(n, "an input", format!("inputs[{i}]"))?;
        }
        if let Some(e) = noether_kernels::operator::ambiguous_inputs(&self.inputs) {
            return Err(InferError::field("inputs", e.to_string()));
        }
        if self.latents.is_empty() {
            return Err(InferError::field(
                "latents",
                "at least one latent function is needed",
            ));
        }
        for (name, l) in &self.latents {
            let f = format!("latents.{name}");
            declare(name, "a latent", f.clone())?;
            check_kernel(&l.kernel, &f, &self.inputs)?;
            let mut bad = None;
            l.kernel
                .clone()
                .visit_mut(name, &f, &self.inputs, &mut |_, init, field| {
                    if bad.is_none() {
                        bad = positive(&field, init).err();
                    }
                });
            if let Some(e) = bad {
                return Err(e);
            }
        }
        self.check_fields()?;
        self.expansion()?;
        for (name, init) in &self.parameters {
            let f = format!("parameters.{name}");
            declare(name, "a parameter", f.clone())?;
            if !init.value().is_finite() {
                return Err(InferError::field(f, "must be a finite number"));
            }
            if init.positive() {
                positive(&f, init)?;
            } else {
                check_prior(&f, init, false)?;
            }
        }
        if self.channels.is_empty() {
            return Err(InferError::field(
                "channels",
                "at least one channel of observations is needed",
            ));
        }
        // A latent or parameter that reads as a derivative of a latent (`u_x` beside `u`) makes
        // every operator that mentions it ambiguous.
        for (name, what) in self
            .latents
            .keys()
            .map(|n| (n, "latents"))
            .chain(self.parameters.keys().map(|n| (n, "parameters")))
        {
            if let Some(l) = self.derivative_of(name) {
                return Err(InferError::field(
                    format!("{what}.{name}"),
                    format!(
                        "`{name}` reads as a derivative of the latent `{l}`; rename it (say `{}`)",
                        name.replace('_', "")
                    ),
                ));
            }
        }
        for (i, c) in self.channels.iter().enumerate() {
            let f = format!("channels[{i}]");
            if !is_name(&c.name) {
                return Err(InferError::field(
                    format!("{f}.name"),
                    format!(
                        "`{}` is not a valid channel name (a letter, then letters, digits or _)",
                        c.name
                    ),
                ));
            }
            self.check_channel_name(i)?;
            if self.channels[..i].iter().any(|d| d.name == c.name) {
                return Err(InferError::field(
                    format!("{f}.name"),
                    format!("the channel name `{}` is used twice", c.name),
                ));
            }
            positive(&format!("{f}.noise"), &c.noise)?;
        }
        self.fit
            .validate()
            .map_err(|e| InferError::field("fit", e.to_string()))
    }

    /// The latent that `name` reads as a derivative of (`u` for `u_tx`), if any.
    pub(crate) fn derivative_of(&self, name: &str) -> Option<&str> {
        self.latents.keys().find_map(|l| {
            let suffix = name.strip_prefix(l.as_str())?.strip_prefix('_')?;
            noether_kernels::operator::split_inputs(suffix, &self.inputs)
                .is_some()
                .then_some(l.as_str())
        })
    }

    /// A channel's name may be used in place of its operator (`--channel u_x`): a name that also
    /// reads as an operator must be that operator.
    fn check_channel_name(&self, i: usize) -> Result<(), InferError> {
        let c = &self.channels[i];
        let field = format!("channels[{i}].name");
        let rename = |why: String| {
            Err(InferError::field(
                field.clone(),
                format!("{why}; rename the channel (say `{}_obs`)", c.name),
            ))
        };
        if self.inputs.contains(&c.name) {
            return rename(format!("`{}` is also an input", c.name));
        }
        if self.parameters.contains_key(&c.name) {
            return rename(format!("`{}` is also a parameter", c.name));
        }
        if !self.latents.contains_key(&c.name) && self.derivative_of(&c.name).is_none() {
            return Ok(());
        }
        match (
            self.canonical_operator(&c.name),
            self.canonical_operator(&c.operator),
        ) {
            (Ok(a), Ok(b)) if a != b => rename(format!(
                "`{}` reads as the operator {a}, but the channel observes {b}",
                c.name
            )),
            _ => Ok(()),
        }
    }

    /// An operator's canonical text (terms in one order, coefficients collected), so that two
    /// spellings of one operator compare equal: `u_t - a*u_xx` and `-a*u_xx + u_t`.
    ///
    /// # Errors
    /// The operator's parse error.
    pub fn canonical_operator(&self, text: &str) -> Result<String, noether_kernels::KernelError> {
        let mut g = noether_kernels::expr::Graph::new(&self.inputs);
        let names = noether_kernels::operator::Names {
            latents: self.expansion().map_or_else(
                |_| self.latents.keys().cloned().collect(),
                |e| e.latents.into_iter().map(|l| l.0).collect(),
            ),
            parameters: self.parameters.keys().cloned().collect(),
        };
        let expanded = self.expand(text).unwrap_or_else(|_| text.to_string());
        noether_kernels::operator::Operator::parse(&expanded, &mut g, &names)
            .map(|o| o.to_canonical_text(&g, &names.latents))
    }

    /// The channels that observe the operator `target` (a channel name or an operator), by
    /// index: those whose operators have the same canonical text.
    pub fn channels_observing(&self, target: &str) -> Vec<usize> {
        let op = self
            .channels
            .iter()
            .find(|c| c.name == target)
            .map_or(target, |c| c.operator.as_str());
        let Ok(want) = self.canonical_operator(op) else {
            return vec![];
        };
        (0..self.channels.len())
            .filter(|&i| {
                self.canonical_operator(&self.channels[i].operator)
                    .is_ok_and(|c| c == want)
            })
            .collect()
    }

    /// A channel's data: its points (row-major, one number per input) and observations.
    ///
    /// # Errors
    /// As for fitting: a file, row or field that cannot be read.
    pub fn channel_data(&self, i: usize) -> Result<(Vec<f64>, Vec<f64>), InferError> {
        let d = self.load_channel(i)?;
        Ok((d.x, d.y))
    }

    /// A warning for each declared face that no observation lies beside (within 5 % of the
    /// input's extent): the condition there is assumed, and no data check it. Empty where every
    /// face has data near it, or the data cannot be read (the fit will say why).
    pub fn condition_warnings(&self) -> Vec<String> {
        let d = self.inputs.len();
        let data: Vec<ChannelData> = match (0..self.channels.len())
            .map(|i| self.load_channel(i))
            .collect::<Result<_, _>>()
        {
            Ok(v) => v,
            Err(_) => return vec![],
        };
        let mut out = Vec::new();
        for (name, l) in &self.latents {
            let Ok(faces) = crate::boundary::declared_faces(name, l, &self.inputs) else {
                continue;
            };
            for (i, lo, hi) in faces {
                let values = data
                    .iter()
                    .flat_map(|cd| cd.x.chunks(d.max(1)).map(move |p| p[i]));
                let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
                for v in values.clone() {
                    (a, b) = (a.min(v), b.max(v));
                }
                let (a, b) = (lo.unwrap_or(a).min(a), hi.unwrap_or(b).max(b));
                let reach = 0.05 * (b - a);
                for f in [lo, hi].into_iter().flatten() {
                    let nearest = values
                        .clone()
                        .map(|v| (v - f).abs())
                        .fold(f64::INFINITY, f64::min);
                    if nearest > reach * (1.0 + 1e-9) {
                        out.push(format!(
                            "latents.{name}.boundary.{x}: no observation lies beside the face {x} = {f} (the nearest is {} away, more than 5 % of the extent of {x}): the condition there is assumed, and no data check it",
                            crate::format::tick(nearest),
                            x = self.inputs[i],
                        ));
                    }
                }
            }
        }
        out
    }

    /// The basis functions per input and the box's factors of a Hilbert-space approximation,
    /// from what `a` gives and, for the rest, the documented defaults: M split over the inputs
    /// by the data's extents (the widest spacing gets the next function), and per input
    /// c = max(1.2, 3.2 ℓ/S) with ℓ the longest initial lengthscale of that input and S the
    /// data's half-range (Riutort-Mayol et al. 2023), at most 20.
    fn basis_shape(
        &self,
        a: &crate::Approximation,
        points: &[f64],
    ) -> Result<(Vec<usize>, Vec<f64>), InferError> {
        let d = self.inputs.len();
        let mut lo = vec![f64::INFINITY; d];
        let mut hi = vec![f64::NEG_INFINITY; d];
        for p in points.chunks(d.max(1)) {
            for k in 0..d {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let per = match (&a.per_input, a.basis) {
            (Some(p), b) => {
                if p.len() != d || p.contains(&0) {
                    return Err(InferError::field(
                        "approximation.per_input",
                        format!(
                            "one positive count per input ({}), got {p:?}",
                            self.inputs.join(", ")
                        ),
                    ));
                }
                let Some(total) = p.iter().try_fold(1usize, |a, &b| a.checked_mul(b)) else {
                    return Err(InferError::field(
                        "approximation.per_input",
                        format!("{p:?} makes more functions than can be counted: use fewer"),
                    ));
                };
                if b.is_some_and(|b| b != total) {
                    return Err(InferError::field(
                        "approximation.basis",
                        format!(
                            "{} functions, but per_input {p:?} makes {total}",
                            b.unwrap_or(0)
                        ),
                    ));
                }
                p.clone()
            }
            (None, Some(0)) | (None, None) => {
                return Err(InferError::field(
                    "approximation.basis",
                    "at least 1 function per input: a basis of 0 functions has no prior",
                ))
            }
            (None, Some(b)) => crate::problem::basis_counts(&lo, &hi, b),
        };
        let c = match &a.boundary_factor {
            Some(crate::PerInput::One(c)) => vec![*c; d],
            Some(crate::PerInput::Each(c)) => c.clone(),
            None => (0..d)
                .map(|k| {
                    let half = 0.5 * (hi[k] - lo[k]);
                    let l = self
                        .latents
                        .values()
                        .filter_map(|l| l.kernel.initial_lengthscale(k))
                        .fold(0.0, f64::max);
                    if half > 0.0 && l > 0.0 {
                        (3.2 * l / half).clamp(1.2, 20.0)
                    } else {
                        1.5
                    }
                })
                .collect(),
        };
        Ok((per, c))
    }

    pub(crate) fn load_channel(&self, i: usize) -> Result<ChannelData, InferError> {
        let c = &self.channels[i];
        let d = self.inputs.len();
        let field = format!("channels[{i}] ({})", c.name);
        let out = match &c.data {
            Data::Csv(path) | Data::Column { csv: path, .. } => {
                let ycol = match &c.data {
                    Data::Column { y, .. } => y.as_str(),
                    _ => "y",
                };
                if self.inputs.iter().any(|n| n == ycol) {
                    return Err(InferError::field(
                        format!("{field}.data"),
                        match &c.data {
                            Data::Column { .. } => format!("the observations would come from `{ycol}`, which is an input column; name the column that holds the observations"),
                            _ => "the input `y` is also the default observation column `y`: give the observation column as {\"csv\": path, \"y\": column}, or rename the input".to_string(),
                        },
                    ));
                }
                let t = Table::read(&self.resolve(path))?;
                let x = t.points(&self.inputs)?;
                let k = t.column(ycol, &format!("the observations of channel `{}`", c.name))?;
                ChannelData {
                    x,
                    y: t.rows.iter().map(|r| r[k]).collect(),
                    source: t.path.clone(),
                    rows: t.lines.clone(),
                }
            }
            Data::Trajectory {
                trajectory,
                time,
                rate_of,
            } => {
                let f = format!("{field}.data");
                let Some(s) = self.inputs.iter().position(|n| n == rate_of) else {
                    return Err(InferError::field(
                        format!("{f}.rate_of"),
                        format!(
                            "`{rate_of}` is not an input (the inputs, the state's columns, are {})",
                            self.inputs.join(", ")
                        ),
                    ));
                };
                if self.inputs.iter().any(|n| n == time) {
                    return Err(InferError::field(
                        format!("{f}.time"),
                        format!("`{time}` is an input; the time column is not part of the state"),
                    ));
                }
                let t = Table::read(&self.resolve(trajectory))?;
                let states = t.points(&self.inputs)?;
                let k = t.column(
                    time,
                    &format!("the time of channel `{}`'s trajectory", c.name),
                )?;
                let times: Vec<f64> = t.rows.iter().map(|r| r[k]).collect();
                if times.len() < 2 {
                    return Err(InferError::field(
                        f,
                        format!(
                            "{} holds {} state(s): a rate needs two",
                            t.path,
                            times.len()
                        ),
                    ));
                }
                let mut x = Vec::with_capacity((times.len() - 1) * d);
                let mut y = Vec::with_capacity(times.len() - 1);
                let mut rows = Vec::with_capacity(times.len() - 1);
                for r in 0..times.len() - 1 {
                    let dt = times[r + 1] - times[r];
                    if !(dt > 0.0 && dt.is_finite()) {
                        return Err(InferError::Csv {
                            path: t.path.clone(),
                            row: t.lines[r + 1],
                            column: time.clone(),
                            message: format!(
                                "{} after {} on the row before: a trajectory's times must increase (one recording per channel)",
                                times[r + 1],
                                times[r]
                            ),
                        });
                    }
                    let (a, b) = (
                        &states[r * d..(r + 1) * d],
                        &states[(r + 1) * d..(r + 2) * d],
                    );
                    x.extend(a.iter().zip(b).map(|(u, v)| 0.5 * (u + v)));
                    y.push((b[s] - a[s]) / dt);
                    rows.push(t.lines[r]);
                }
                ChannelData {
                    x,
                    y,
                    source: t.path.clone(),
                    rows,
                }
            }
            Data::Inline { x, y } => {
                if x.len() != y.len() {
                    return Err(InferError::field(
                        format!("{field}.data"),
                        format!("{} points but {} observations", x.len(), y.len()),
                    ));
                }
                for (r, p) in x.iter().enumerate() {
                    if p.len() != d {
                        return Err(InferError::field(
                            format!("{field}.data.x[{r}]"),
                            format!(
                                "{} numbers, but there are {d} inputs ({})",
                                p.len(),
                                self.inputs.join(", ")
                            ),
                        ));
                    }
                    if p.iter()
                        .chain(std::iter::once(&y[r]))
                        .any(|v| !v.is_finite())
                    {
                        return Err(InferError::field(
                            format!("{field}.data[{r}]"),
                            "values must be finite numbers",
                        ));
                    }
                }
                ChannelData {
                    x: x.concat(),
                    y: y.clone(),
                    source: "inline data".into(),
                    rows: (1..=y.len()).collect(),
                }
            }
        };
        if out.y.is_empty() {
            return Err(InferError::field(
                field,
                format!("no observations in {}", out.source),
            ));
        }
        Ok(out)
    }

    /// Build the model: check the fields, load every channel's data, set the initial values.
    ///
    /// # Errors
    /// Any field, file or data error, named; an operator that does not parse, with its term.
    pub fn model(&self) -> Result<Model, InferError> {
        self.model_with(BasisPass::All)
    }

    /// [`Problem::model`] with the Hilbert basis's sums over `pass`: all the data, a shard of
    /// every channel's rows, or sums merged from shards.
    pub(crate) fn model_with(&self, pass: BasisPass) -> Result<Model, InferError> {
        self.validate()?;
        let expansion = self.expansion()?;
        let latents: Vec<(&str, KernelSpec)> = expansion
            .latents
            .iter()
            .map(|(n, k)| (n.as_str(), k.clone()))
            .collect();
        let coefs: Vec<(&str, f64)> = self
            .parameters
            .iter()
            .map(|(n, i)| (n.as_str(), i.value()))
            .collect();
        let mut m =
            Model::new(&self.inputs, &latents, &coefs).map_err(InferError::model("model"))?;
        for (n, l) in &self.latents {
            let mut done = Ok(());
            l.kernel.clone().visit_mut(
                n,
                &format!("latents.{n}"),
                &self.inputs,
                &mut |name, init, field| {
                    if done.is_ok() {
                        done = m
                            .set(&name, init.value())
                            .and_then(|_| m.fix(&name, init.fixed()))
                            .and_then(|_| match init.prior() {
                                Some(p) => m.set_prior(&name, p),
                                None => Ok(()),
                            })
                            .map_err(InferError::model(field));
                    }
                },
            );
            done?;
        }
        for (n, i) in &self.parameters {
            m.fix(n, i.fixed())
                .map_err(InferError::model(format!("parameters.{n}")))?;
            if i.positive() {
                m.make_positive(n)
                    .map_err(InferError::model(format!("parameters.{n}")))?;
            }
            if let Some(p) = i.prior() {
                m.set_prior(n, p)
                    .map_err(InferError::model(format!("parameters.{n}.prior")))?;
            }
        }
        let mut data = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            let cd = self.load_channel(i)?;
            let shown = noether_kernels::operator::abbreviate(&c.operator);
            let ctx = format!("channels[{i}] ({}), operator `{shown}`", c.name);
            let operator =
                crate::field::expand_with(&expansion, &c.operator).map_err(|e| match e {
                    InferError::Field { message, .. } => InferError::Field {
                        field: format!("channels[{i}] ({}).operator", c.name),
                        message,
                    },
                    e => e,
                })?;
            m.add_channel(
                &c.name,
                &operator,
                cd.x.clone(),
                cd.y.clone(),
                c.noise.value(),
            )
            .map_err(InferError::model(ctx))?;
            m.fix(&format!("noise.{}", c.name), c.noise.fixed())
                .map_err(InferError::model("noise"))?;
            if let Some(p) = c.noise.prior() {
                m.set_prior(&format!("noise.{}", c.name), p)
                    .map_err(InferError::model(format!("channels[{i}].noise.prior")))?;
            }
            m.set_source(&c.name, &cd.source, cd.rows.clone())
                .map_err(InferError::model("data"))?;
            data.push(cd);
        }
        // A declared face bounds the domain: a point beyond it contradicts the declaration (the
        // factors change sign there, the reflections fold it back).
        for (name, l) in &self.latents {
            for (i, lo, hi) in crate::boundary::declared_faces(name, l, &self.inputs)? {
                let d = self.inputs.len();
                for (ci, cd) in data.iter().enumerate() {
                    let tol = |f: f64| 1e-12 * f.abs().max(1.0);
                    let beyond = (0..cd.y.len()).find(|&r| {
                        let v = cd.x[r * d + i];
                        lo.is_some_and(|f| v < f - tol(f)) || hi.is_some_and(|f| v > f + tol(f))
                    });
                    if let Some(r) = beyond {
                        let face = |f: Option<f64>| f.map_or("free".to_string(), |f| f.to_string());
                        return Err(InferError::field(
                            format!("latents.{name}.boundary.{}", self.inputs[i]),
                            format!(
                                "row {} of {} (channel `{}`) has {} = {}, beyond the declared faces [{}, {}]: move the faces to enclose the data, or leave that row out",
                                cd.rows[r],
                                cd.source,
                                self.channels[ci].name,
                                self.inputs[i],
                                cd.x[r * d + i],
                                face(lo),
                                face(hi),
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(a) = self
            .approximation
            .as_ref()
            .filter(|a| a.basis.is_some() || a.per_input.is_some())
        {
            if a.inducing > 0 {
                return Err(InferError::field(
                    "approximation",
                    "give inducing points or a basis, not both",
                ));
            }
            let points: Vec<f64> = data.iter().flat_map(|d| d.x.iter().copied()).collect();
            let (per, c) = self.basis_shape(a, &points)?;
            let d = self.inputs.len();
            let shard: Vec<(Vec<f64>, Vec<f64>)>;
            let source = match pass {
                BasisPass::All => Source::Model,
                BasisPass::Rows(lo, hi) => {
                    shard = data
                        .iter()
                        .map(|cd| {
                            let hi = hi.min(cd.y.len());
                            let lo = lo.min(hi);
                            (cd.x[d * lo..d * hi].to_vec(), cd.y[lo..hi].to_vec())
                        })
                        .collect();
                    Source::Raw(&shard)
                }
                BasisPass::Sums(s) => Source::Sums(s),
            };
            m.use_basis_walled(&per, &c, &expansion.walls, source)
                .map_err(InferError::model("approximation"))?;
        } else if !matches!(pass, BasisPass::All) {
            return Err(InferError::field(
                "approximation",
                "sharded statistics are sums over the Hilbert-space basis: give \"approximation\": {\"basis\": M}",
            ));
        } else if let Some(a) = &self.approximation {
            let n: usize = data.iter().map(|d| d.y.len()).sum();
            if a.inducing == 0 || a.inducing > n {
                return Err(InferError::field(
                    "approximation.inducing",
                    format!(
                        "{} inducing points for {n} observations: use from 1 to {n} (fewer than the observations, or the exact likelihood)",
                        a.inducing
                    ),
                ));
            }
            let points: Vec<f64> = data.iter().flat_map(|d| d.x.iter().copied()).collect();
            let z = a.place(&points, self.inputs.len());
            m.approximate(z)
                .map_err(InferError::model("approximation"))?;
        }
        // A coefficient in no operator would be reported as "not identifiable" after a fit that
        // cannot learn it: say so now.
        for name in self.parameters.keys() {
            let g = m.graph();
            let used = g.find_param(name).is_some_and(|id| {
                m.channels().iter().any(|c| {
                    let v = noether_kernels::expr::Var::Param(id);
                    c.operator.offset.is_some_and(|o| g.depends_on(o, v))
                        || c.operator.terms.iter().any(|t| {
                            g.depends_on(t.coeff, v)
                                || t.fractional.is_some_and(|(_, o)| g.depends_on(o, v))
                        })
                })
            });
            if !used {
                return Err(InferError::field(
                    format!("parameters.{name}"),
                    format!(
                        "`{name}` appears in no channel's operator: use it in one, or remove it"
                    ),
                ));
            }
            // A fractional order must stay positive (the spectral integrals diverge at orders
            // of −½ and below): a parameter that is one is learned on the log scale.
            let g = m.graph();
            let order = g.find_param(name).is_some_and(|id| {
                m.channels().iter().any(|c| {
                    c.operator.terms.iter().any(|t| {
                        t.fractional.is_some_and(|(_, o)| {
                            g.depends_on(o, noether_kernels::expr::Var::Param(id))
                        })
                    })
                })
            });
            if order {
                let v = self.parameters[name].value();
                if v.is_nan() || v <= 0.0 {
                    return Err(InferError::field(
                        format!("parameters.{name}"),
                        format!("`{name}` is the order of a fractional derivative, so it must start positive, got {v}"),
                    ));
                }
                m.make_positive(name)
                    .map_err(InferError::model(format!("parameters.{name}")))?;
            }
        }
        // A damping rate is ≥ 0 (checked with the fields): learned on the log scale unless fixed.
        for g in self.damping_parameters() {
            let i = &self.parameters[&g];
            if !i.fixed() && !i.positive() {
                m.make_positive(&g)
                    .map_err(InferError::model(format!("parameters.{g}")))?;
            }
        }
        // Repeated points with different values and a noise the user fixed contradict each other
        // (the nugget keeps the covariance factorable, but the fit would be meaningless).
        if let Some(msg) = duplicates(self, &data, true) {
            return Err(msg);
        }
        // A covariance that needs jitter, or cannot be factored at all, at the initial values is
        // most often duplicate points with a noise too small to separate them: say which. Only
        // the exact solver factors the data's covariance; inducing points and the basis are
        // evaluated first by the fit, which reports a failure at the initial values (an
        // evaluation here would cost as much as one of the fit's: seconds at 45,000 points).
        if !m.solver().jitters_the_data() {
            return Ok(m);
        }
        match m.nlml(&m.values(), false) {
            Ok(e) if e.jitter > 0.0 => {
                if let Some(msg) = duplicates(self, &data, false) {
                    return Err(msg);
                }
            }
            Ok(_) => {}
            Err(e) => {
                if let (LikelihoodError::NotPositiveDefinite { .. }, Some(msg)) =
                    (&e, duplicates(self, &data, false))
                {
                    return Err(msg);
                }
                return Err(InferError::Model {
                    context: "the covariance at the initial values".into(),
                    source: e,
                });
            }
        }
        Ok(m)
    }
}

/// Two rows of one channel at the same inputs; with `contradictions`, only in channels whose noise
/// is fixed, and only where the observations differ.
fn duplicates(p: &Problem, data: &[ChannelData], contradictions: bool) -> Option<InferError> {
    let d = p.inputs.len();
    for (ci, cd) in data.iter().enumerate() {
        if contradictions && !p.channels[ci].noise.fixed() {
            continue;
        }
        let n = cd.y.len();
        let mut idx: Vec<usize> = (0..n).collect();
        idx.sort_by(|&a, &b| {
            cd.x[a * d..(a + 1) * d]
                .partial_cmp(&cd.x[b * d..(b + 1) * d])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        for w in idx.windows(2) {
            let same = cd.x[w[0] * d..(w[0] + 1) * d] == cd.x[w[1] * d..(w[1] + 1) * d];
            if same && !(contradictions && cd.y[w[0]] == cd.y[w[1]]) {
                let (a, b) = (w[0].min(w[1]), w[0].max(w[1]));
                let why = if contradictions {
                    format!(
                        "observe {} and {} there, which a fixed noise variance of {:e} cannot reconcile",
                        cd.y[a], cd.y[b], p.channels[ci].noise.value()
                    )
                } else {
                    format!(
                        "with a noise variance of {:e} the covariance is singular",
                        p.channels[ci].noise.value()
                    )
                };
                return Some(InferError::field(
                    format!("channels[{ci}] ({})", p.channels[ci].name),
                    format!(
                        "rows {} and {} of {} have the same inputs {:?} and {why}: remove one, or give the channel a larger (or learned) noise",
                        cd.rows[a], cd.rows[b], cd.source, &cd.x[a * d..(a + 1) * d]
                    ),
                ));
            }
        }
    }
    None
}
