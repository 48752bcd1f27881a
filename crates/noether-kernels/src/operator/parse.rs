//! The operator parser: recursive descent straight into linear forms, so that nonlinearity is
//! caught at the operation that causes it and reported at that term's column.

use super::{Names, Operator, Term};
use crate::expr::{ExprId, Func, Graph, Var};
use crate::KernelError;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(char),
    End,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, KernelError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s = &text[start..i];
            let v = s
                .parse::<f64>()
                .map_err(|_| syntax(text, start, format!("bad number `{s}`")))?;
            if !v.is_finite() {
                return Err(syntax(
                    text,
                    start,
                    format!("the number `{s}` is too large for a 64-bit float"),
                ));
            }
            out.push((Tok::Num(v), start));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), start));
        } else if "+-*/^(),".contains(c) {
            out.push((Tok::Op(c), i));
            i += 1;
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(syntax(text, i, format!("unexpected character `{ch}`")));
        }
    }
    out.push((Tok::End, text.len()));
    Ok(out)
}

fn column(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count() + 1
}

fn syntax(text: &str, at: usize, message: String) -> KernelError {
    KernelError::Syntax {
        text: text.to_string(),
        column: column(text, at),
        message,
    }
}

/// What a term does to its latent: (latent, derivative orders, integrals per input, fractional
/// derivative (input, order)).
type Key = (usize, Vec<u8>, Vec<u8>, Option<(usize, ExprId)>);

/// A linear form in the latents: `scalar + Σ coeff · ∂^orders g_latent`, with the span of text it
/// came from.
#[derive(Clone, Debug)]
struct Lin {
    scalar: ExprId,
    /// ((latent, derivative orders, integrals ∫₀ per input (0 or 1)), coefficient).
    terms: Vec<(Key, ExprId)>,
    start: usize,
    end: usize,
    /// Where a latent-free part came from, for the error when one is left over.
    scalar_span: Option<(usize, usize)>,
}

impl Lin {
    fn is_scalar(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The functions an operator may call.
const KNOWN: &str = "exp, log, sin, cos, sqrt, erf, d, int, frac";

/// The deepest nesting of parentheses, function calls, signs and powers an operator may have.
pub const MAX_DEPTH: usize = 100;

/// The highest total order of differentiation of one term.
pub const MAX_ORDER: usize = 16;

fn too_large(text: &str, at: usize, message: String) -> KernelError {
    KernelError::TooLarge {
        text: super::abbreviate(text),
        column: column(text, at),
        message,
    }
}

fn check_order(text: &str, at: usize, orders: &[u8]) -> Result<(), KernelError> {
    let total: usize = orders.iter().map(|&o| o as usize).sum();
    if total > MAX_ORDER {
        return Err(too_large(
            text,
            at,
            format!("a term differentiates to order {total}; at most {MAX_ORDER} is supported"),
        ));
    }
    Ok(())
}

struct Parser<'a> {
    depth: usize,
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    g: &'a mut Graph,
    names: &'a Names,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn at(&self) -> usize {
        self.toks[self.pos].1
    }

    fn prev_end(&self) -> usize {
        // End of the previous token: the start of the current one is a safe bound for spans.
        if self.pos == 0 {
            0
        } else {
            let (t, s) = &self.toks[self.pos - 1];
            match t {
                Tok::Ident(n) => s + n.len(),
                Tok::Op(_) => s + 1,
                Tok::Num(_) => self.text[*s..]
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '.' || c == '+' || c == '-')
                    })
                    .map_or(self.text.len(), |k| s + k),
                Tok::End => *s,
            }
        }
    }

    fn expect(&mut self, c: char) -> Result<(), KernelError> {
        if *self.peek() == Tok::Op(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(
                self.text,
                self.at(),
                format!("expected `{c}`, found {}", self.describe()),
            ))
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            Tok::Num(v) => format!("number {v}"),
            Tok::Ident(n) => format!("`{n}`"),
            Tok::Op(c) => format!("`{c}`"),
            Tok::End => "the end of the operator".into(),
        }
    }

    fn nonlinear(&self, start: usize, end: usize, reason: &str) -> KernelError {
        KernelError::Nonlinear {
            text: self.text.to_string(),
            term: self.text[start..end.max(start)].trim().to_string(),
            column: column(self.text, start),
            reason: reason.to_string(),
        }
    }

    fn scalar(&mut self, e: ExprId, start: usize, end: usize) -> Lin {
        Lin {
            scalar: e,
            terms: vec![],
            start,
            end,
            scalar_span: Some((start, end)),
        }
    }

    fn combine(&mut self, a: Lin, b: Lin, sign: f64) -> Lin {
        let scalar = self.g.linear(0.0, &[(1.0, a.scalar), (sign, b.scalar)]);
        let mut terms = a.terms;
        for (k, c) in b.terms {
            match terms.iter_mut().find(|t| t.0 == k) {
                Some(t) => t.1 = self.g.linear(0.0, &[(1.0, t.1), (sign, c)]),
                None => {
                    let c = self.g.scale(sign, c);
                    terms.push((k, c));
                }
            }
        }
        terms.retain(|t| self.g.as_const(t.1) != Some(0.0));
        Lin {
            scalar,
            terms,
            start: a.start,
            end: b.end,
            scalar_span: a.scalar_span.or(b.scalar_span),
        }
    }

    fn times(&mut self, a: Lin, b: Lin) -> Result<Lin, KernelError> {
        if !a.is_scalar() && !b.is_scalar() {
            return Err(self.nonlinear(a.start, b.end, "multiplies two latent functions"));
        }
        let (lin, s) = if a.is_scalar() {
            (b.clone(), a.scalar)
        } else {
            (a.clone(), b.scalar)
        };
        let scalar = self.g.mul(lin.scalar, s);
        let mut terms = Vec::with_capacity(lin.terms.len());
        for (k, c) in lin.terms {
            let c = self.g.mul(c, s);
            if self.g.as_const(c) != Some(0.0) {
                terms.push((k, c));
            }
        }
        let span = if a.is_scalar() && b.is_scalar() {
            Some((a.start, b.end))
        } else {
            lin.scalar_span
        };
        Ok(Lin {
            scalar,
            terms,
            start: a.start,
            end: b.end,
            scalar_span: span,
        })
    }

    fn expr(&mut self) -> Result<Lin, KernelError> {
        let mut acc = self.term()?;
        loop {
            let sign = match self.peek() {
                Tok::Op('+') => 1.0,
                Tok::Op('-') => -1.0,
                _ => return Ok(acc),
            };
            self.pos += 1;
            let rhs = self.term()?;
            acc = self.combine(acc, rhs, sign);
        }
    }

    fn term(&mut self) -> Result<Lin, KernelError> {
        let mut acc = self.unary()?;
        loop {
            match self.peek() {
                Tok::Op('*') => {
                    self.pos += 1;
                    let rhs = self.unary()?;
                    acc = self.times(acc, rhs)?;
                }
                Tok::Op('/') => {
                    self.pos += 1;
                    let rhs = self.unary()?;
                    if !rhs.is_scalar() {
                        return Err(self.nonlinear(
                            acc.start,
                            rhs.end,
                            "divides by a latent function",
                        ));
                    }
                    let inv = self.g.powf(rhs.scalar, -1.0);
                    let inv = Lin { scalar: inv, ..rhs };
                    acc = self.times(acc, inv)?;
                }
                _ => return Ok(acc),
            }
        }
    }

    fn unary(&mut self) -> Result<Lin, KernelError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_large(
                self.text,
                self.at(),
                format!("nested more than {MAX_DEPTH} levels deep (parentheses, calls, signs or powers)"),
            ));
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<Lin, KernelError> {
        let start = self.at();
        match self.peek() {
            Tok::Op('-') => {
                self.pos += 1;
                let inner = self.unary()?;
                let zero = self.g.constant(0.0);
                let z = Lin {
                    scalar: zero,
                    terms: vec![],
                    start,
                    end: start,
                    scalar_span: None,
                };
                let mut r = self.combine(z, inner, -1.0);
                r.start = start;
                Ok(r)
            }
            Tok::Op('+') => {
                self.pos += 1;
                let mut r = self.unary()?;
                r.start = start;
                Ok(r)
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Lin, KernelError> {
        let base = self.atom()?;
        if *self.peek() != Tok::Op('^') {
            return Ok(base);
        }
        self.pos += 1;
        let ex = self.unary()?;
        if !base.is_scalar() {
            return Err(self.nonlinear(base.start, ex.end, "raises a latent function to a power"));
        }
        if !ex.is_scalar() {
            return Err(self.nonlinear(base.start, ex.end, "has a latent function in an exponent"));
        }
        let v = self.g.pow(base.scalar, ex.scalar);
        Ok(self.scalar(v, base.start, ex.end))
    }

    fn atom(&mut self) -> Result<Lin, KernelError> {
        let start = self.at();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.pos += 1;
                let c = self.g.constant(v);
                let end = self.prev_end();
                Ok(self.scalar(c, start, end))
            }
            Tok::Op('(') => {
                self.pos += 1;
                let mut inner = self.expr()?;
                self.expect(')')?;
                inner.start = start;
                inner.end = self.prev_end();
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if *self.peek() == Tok::Op('(') {
                    self.pos += 1;
                    return self.call(&name, start);
                }
                self.name(&name, start)
            }
            _ => Err(syntax(
                self.text,
                start,
                format!(
                    "expected a number, a name or `(`, found {}",
                    self.describe()
                ),
            )),
        }
    }

    fn call(&mut self, name: &str, start: usize) -> Result<Lin, KernelError> {
        if name == "d" {
            return self.derivative(start);
        }
        if name == "int" {
            return self.integral(start);
        }
        if name == "frac" {
            return self.fractional(start);
        }
        let f = match name {
            "exp" => Some(Func::Exp),
            "log" | "ln" => Some(Func::Log),
            "sin" => Some(Func::Sin),
            "cos" => Some(Func::Cos),
            "erf" => Some(Func::Erf),
            "sqrt" => None,
            _ => {
                return Err(syntax(
                    self.text,
                    start,
                    format!("unknown function `{name}`; known: {KNOWN}"),
                ))
            }
        };
        let arg = self.expr()?;
        self.expect(')')?;
        let end = self.prev_end();
        if !arg.is_scalar() {
            return Err(self.nonlinear(
                start,
                end,
                &format!("applies `{name}` to a latent function"),
            ));
        }
        let v = match f {
            Some(f) => self.g.func(f, arg.scalar),
            None => self.g.sqrt(arg.scalar),
        };
        Ok(self.scalar(v, start, end))
    }

    /// The input named at the current token (an argument of `function`), consumed.
    fn input_arg(&mut self, function: &str) -> Result<usize, KernelError> {
        let at = self.at();
        let input = match self.peek().clone() {
            Tok::Ident(n) => match self.g.input_index(&n) {
                Some(i) => i,
                None => return Err(self.unknown(&n, at)),
            },
            _ => {
                return Err(syntax(
                    self.text,
                    at,
                    format!(
                        "{function}(...) needs an input name, found {}",
                        self.describe()
                    ),
                ))
            }
        };
        self.pos += 1;
        Ok(input)
    }

    /// `d(expr, input[, order], input[, order], ...)`.
    fn derivative(&mut self, start: usize) -> Result<Lin, KernelError> {
        let mut lin = self.expr()?;
        let mut any = false;
        while *self.peek() == Tok::Op(',') {
            self.pos += 1;
            let at = self.at();
            let input = self.input_arg("d")?;
            let mut order = 1;
            if *self.peek() == Tok::Op(',') {
                if let Tok::Num(v) = self.toks[self.pos + 1].0 {
                    if v.fract() != 0.0 || !(0.0..=16.0).contains(&v) {
                        return Err(syntax(self.text, self.toks[self.pos + 1].1, format!("order of a derivative must be a whole number from 0 to 16, found {v}")));
                    }
                    order = v as usize;
                    self.pos += 2;
                }
            }
            for _ in 0..order {
                lin = self.diff_lin(lin, input, at)?;
            }
            any = true;
        }
        if !any {
            return Err(syntax(
                self.text,
                self.at(),
                "d(...) needs an input to differentiate by: d(u, x) or d(u, x, 2)".into(),
            ));
        }
        self.expect(')')?;
        lin.start = start;
        lin.end = self.prev_end();
        if lin.scalar_span.is_some() {
            lin.scalar_span = Some((start, lin.end));
        }
        Ok(lin)
    }

    /// `int(expr, input)`: ∫₀^input of a linear form in the latents, term by term. A term's
    /// coefficient may not depend on the input integrated over, nor may the term already be
    /// differentiated or integrated in it (∫₀ˣ u_x = u − u(0) is not a term of this kind).
    fn integral(&mut self, start: usize) -> Result<Lin, KernelError> {
        let lin = self.expr()?;
        if *self.peek() != Tok::Op(',') {
            return Err(syntax(
                self.text,
                self.at(),
                "int(...) needs the input to integrate over: int(u, x)".into(),
            ));
        }
        self.pos += 1;
        let input = self.input_arg("int")?;
        self.expect(')')?;
        let end = self.prev_end();
        let name = self.g.inputs()[input].clone();
        self.per_term(lin, start, end, input, "integrates", &|(l, ords, ints, frac)| {
            if frac.is_some_and(|f| f.0 == input) {
                return Err(format!(
                    "int(...) of a fractional derivative in `{name}` is not supported"
                ));
            }
            if ords[input] > 0 || ints[input] > 0 {
                return Err(format!(
                    "int(...) of a term already differentiated or integrated in `{name}` is not supported"
                ));
            }
            let mut ints = ints;
            ints[input] = 1;
            Ok((l, ords, ints, frac))
        })
    }

    /// `frac(expr, input, order)`: the Weyl fractional derivative (from −∞) of the given order, a
    /// positive number or an expression of parameters, term by term.
    fn fractional(&mut self, start: usize) -> Result<Lin, KernelError> {
        let lin = self.expr()?;
        let usage =
            "frac(u, x, order): a latent, an input and an order (a positive number or a parameter)";
        if *self.peek() != Tok::Op(',') {
            return Err(syntax(self.text, self.at(), usage.to_string()));
        }
        self.pos += 1;
        let input = self.input_arg("frac")?;
        if *self.peek() != Tok::Op(',') {
            return Err(syntax(self.text, self.at(), usage.to_string()));
        }
        self.pos += 1;
        let order_at = self.at();
        let order = self.expr()?;
        self.expect(')')?;
        let end = self.prev_end();
        let depends_on_inputs =
            (0..self.g.dim()).any(|i| self.g.depends_on(order.scalar, Var::X(i as u16)));
        if !order.is_scalar() || depends_on_inputs {
            return Err(syntax(
                self.text,
                order_at,
                "the order of frac(...) must be a number or an expression of parameters".into(),
            ));
        }
        if let Some(v) = self.g.as_const(order.scalar) {
            if !(v > 0.0 && v.is_finite()) {
                return Err(syntax(
                    self.text,
                    order_at,
                    format!("the order of frac(...) must be positive, found {v}"),
                ));
            }
        }
        let order = order.scalar;
        self.per_term(
            lin,
            start,
            end,
            input,
            "takes the fractional derivative of",
            &|(l, ords, ints, frac)| {
                if frac.is_some() || ints[input] > 0 {
                    return Err("frac(...) of a term already integrated in that input, or already fractional, is not supported".into());
                }
                Ok((l, ords, ints, Some((input, order))))
            },
        )
    }

    /// Apply a transform in `input` to every term of a linear form in the latents: the form may
    /// hold nothing but latent terms, and no coefficient may depend on `input` (the transform
    /// acts on the latent alone). `what` names the transform in messages.
    fn per_term(
        &mut self,
        lin: Lin,
        start: usize,
        end: usize,
        input: usize,
        what: &str,
        apply: &dyn Fn(Key) -> Result<Key, String>,
    ) -> Result<Lin, KernelError> {
        if self.g.as_const(lin.scalar) != Some(0.0) {
            return Err(self.nonlinear(
                start,
                end,
                &format!(
                    "{what} something that is not a latent function (an operator must map 0 to 0)"
                ),
            ));
        }
        let v = Var::X(input as u16);
        let mut terms = Vec::with_capacity(lin.terms.len());
        for (key, c) in lin.terms {
            if self.g.depends_on(c, v) {
                return Err(self.nonlinear(
                    start,
                    end,
                    &format!(
                        "{what} a term whose coefficient depends on `{}`",
                        self.g.inputs()[input]
                    ),
                ));
            }
            let key = apply(key).map_err(|m| syntax(self.text, start, m))?;
            terms.push((key, c));
        }
        let zero = self.g.constant(0.0);
        Ok(Lin {
            scalar: zero,
            terms,
            start,
            end,
            scalar_span: None,
        })
    }

    /// ∂/∂x_i of a linear form, by the product rule.
    fn diff_lin(&mut self, lin: Lin, i: usize, at: usize) -> Result<Lin, KernelError> {
        let v = Var::X(i as u16);
        let scalar = self.g.diff(lin.scalar, v);
        let mut out = Lin {
            scalar,
            terms: vec![],
            ..lin.clone()
        };
        for ((l, ords, ints, frac), c) in lin.terms.clone() {
            let dc = self.g.diff(c, v);
            // d/dx ∫₀ˣ u = u: a derivative in an integrated input removes the integral.
            let (higher, hints) = if ints[i] > 0 {
                let mut h = ints.clone();
                h[i] -= 1;
                (ords.clone(), h)
            } else {
                let mut h = ords.clone();
                h[i] = h[i].saturating_add(1);
                (h, ints.clone())
            };
            check_order(self.text, at, &higher)?;
            let part = Lin {
                scalar: self.g.constant(0.0),
                terms: if self.g.as_const(dc) == Some(0.0) {
                    vec![((l, higher, hints, frac), c)]
                } else {
                    vec![((l, ords, ints, frac), dc), ((l, higher, hints, frac), c)]
                },
                ..lin.clone()
            };
            out = self.combine(out, part, 1.0);
        }
        Ok(out)
    }

    fn unknown(&self, name: &str, at: usize) -> KernelError {
        KernelError::UnknownName {
            text: self.text.to_string(),
            name: name.to_string(),
            column: column(self.text, at),
            inputs: self.g.inputs().join(", "),
            latents: self.names.latents.join(", "),
            parameters: self.names.parameters.join(", "),
        }
    }

    fn name(&mut self, name: &str, start: usize) -> Result<Lin, KernelError> {
        let end = start + name.len();
        let dim = self.g.dim();
        if let Some(l) = self.names.latents.iter().position(|n| n == name) {
            let one = self.g.constant(1.0);
            let zero = self.g.constant(0.0);
            return Ok(Lin {
                scalar: zero,
                terms: vec![((l, vec![0; dim], vec![0; dim], None), one)],
                start,
                end,
                scalar_span: None,
            });
        }
        if let Some(i) = self.g.input_index(name) {
            let x = self.g.x(i);
            return Ok(self.scalar(x, start, end));
        }
        if self.names.parameters.iter().any(|p| p == name) {
            let p = self.g.param(name);
            let e = self.g.p(p);
            return Ok(self.scalar(e, start, end));
        }
        if name == "pi" {
            let c = self.g.constant(std::f64::consts::PI);
            return Ok(self.scalar(c, start, end));
        }
        // `u_tx`: a latent, an underscore, then a run of input names.
        if let Some(cut) = name.rfind('_') {
            let (base, suffix) = (&name[..cut], &name[cut + 1..]);
            if let Some(l) = self.names.latents.iter().position(|n| n == base) {
                if let Some(ords) = super::split_inputs(suffix, self.g.inputs()) {
                    if suffix.len()
                        > MAX_ORDER * self.g.inputs().iter().map(String::len).max().unwrap_or(1)
                    {
                        return Err(too_large(
                            self.text,
                            start,
                            format!(
                                "`{}` differentiates to order over {MAX_ORDER}",
                                super::abbreviate(name)
                            ),
                        ));
                    }
                    check_order(self.text, start, &ords)?;
                    let one = self.g.constant(1.0);
                    let zero = self.g.constant(0.0);
                    return Ok(Lin {
                        scalar: zero,
                        terms: vec![((l, ords, vec![0; dim], None), one)],
                        start,
                        end,
                        scalar_span: None,
                    });
                }
            }
        }
        Err(self.unknown(name, start))
    }
}

pub(super) fn parse(
    text: &str,
    g: &mut Graph,
    names: &Names,
    allow_zero: bool,
) -> Result<Operator, KernelError> {
    for p in &names.parameters {
        if g.input_index(p).is_some() {
            return Err(KernelError::NameClash {
                name: p.clone(),
                first: "an input".into(),
                second: "a parameter".into(),
            });
        }
        if names.latents.contains(p) {
            return Err(KernelError::NameClash {
                name: p.clone(),
                first: "a latent".into(),
                second: "a parameter".into(),
            });
        }
    }
    if let Some(e) = super::ambiguous_inputs(g.inputs()) {
        return Err(e);
    }
    let toks = tokenize(text)?;
    let mut p = Parser {
        depth: 0,
        text,
        toks,
        pos: 0,
        g,
        names,
    };
    if *p.peek() == Tok::End {
        return Err(syntax(text, 0, "the operator is empty".into()));
    }
    let lin = p.expr()?;
    if *p.peek() != Tok::End {
        return Err(syntax(
            text,
            p.at(),
            format!("unexpected {} after a complete expression", p.describe()),
        ));
    }
    if lin.terms.is_empty() && p.g.as_const(lin.scalar) != Some(0.0) {
        let (s, e) = lin.scalar_span.unwrap_or((0, text.len()));
        return Err(p.nonlinear(
            s,
            e,
            "has no latent function in it (an operator observes at least one latent)",
        ));
    }
    if lin.terms.is_empty() && !allow_zero {
        return Err(p.nonlinear(
            0,
            text.len(),
            "leaves no latent function after simplification",
        ));
    }
    // A latent-free part is the known mean of what the operator observes.
    let offset = (p.g.as_const(lin.scalar) != Some(0.0)).then_some(lin.scalar);
    let mut terms: Vec<Term> = lin
        .terms
        .into_iter()
        .map(|((latent, orders, integrals, fractional), coeff)| Term {
            latent,
            orders,
            integrals,
            fractional,
            coeff,
        })
        .collect();
    terms.sort_by(|a, b| {
        (a.latent, a.order(), &a.orders, &a.integrals).cmp(&(
            b.latent,
            b.order(),
            &b.orders,
            &b.integrals,
        ))
    });
    Ok(Operator {
        terms,
        offset,
        text: text.to_string(),
    })
}
