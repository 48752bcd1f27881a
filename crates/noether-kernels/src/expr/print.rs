//! Printing as plain text and as LaTeX.

use super::{val, ExprId, Func, Graph, Node, Var};

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Text,
    Latex,
}

fn num(v: f64) -> String {
    format!("{v}")
}

fn func_name(f: Func, style: Style) -> &'static str {
    match (f, style) {
        (Func::Exp, Style::Text) => "exp",
        (Func::Log, Style::Text) => "log",
        (Func::Sin, Style::Text) => "sin",
        (Func::Cos, Style::Text) => "cos",
        (Func::Erf, Style::Text) => "erf",
        (Func::Exp, Style::Latex) => "\\exp",
        (Func::Log, Style::Latex) => "\\ln",
        (Func::Sin, Style::Latex) => "\\sin",
        (Func::Cos, Style::Latex) => "\\cos",
        (Func::Erf, Style::Latex) => "\\operatorname{erf}",
    }
}

/// Binding strength of a node's printed form: 1 sum, 2 product, 3 power, 4 atom.
fn prec(g: &Graph, e: ExprId) -> u8 {
    match g.node(e) {
        Node::Sum { constant, terms } => {
            if *constant == 0 && terms.len() == 1 {
                2
            } else {
                1
            }
        }
        Node::Const(b) if val(*b) < 0.0 => 1,
        Node::Product(_) => 2,
        Node::Pow(..) => 3,
        _ => 4,
    }
}

impl Graph {
    /// The expression as plain text (`2*x + exp(-0.5*x^2)`).
    pub fn to_text(&self, e: ExprId) -> String {
        self.show(e, Style::Text)
    }

    /// The expression as LaTeX (`\sigma^2 \exp\left(...\right)`).
    pub fn to_latex(&self, e: ExprId) -> String {
        self.show(e, Style::Latex)
    }

    fn var_name(&self, v: Var, style: Style) -> String {
        let input = |i: u16| {
            let n = &self.inputs()[i as usize];
            if style == Style::Latex && n.chars().count() > 1 {
                format!("\\mathrm{{{n}}}")
            } else {
                n.clone()
            }
        };
        match v {
            Var::X(i) => input(i),
            Var::Y(i) => format!("{}'", input(i)),
            Var::Param(p) => match style {
                Style::Text => self.params[p.index()].name.clone(),
                Style::Latex => self.params[p.index()].latex.clone(),
            },
        }
    }

    fn wrap(&self, e: ExprId, min: u8, style: Style) -> String {
        let s = self.show(e, style);
        if prec(self, e) < min {
            match style {
                Style::Text => format!("({s})"),
                Style::Latex => format!("\\left({s}\\right)"),
            }
        } else {
            s
        }
    }

    fn show(&self, e: ExprId, style: Style) -> String {
        match self.node(e) {
            Node::Const(b) => num(val(*b)),
            Node::Var(v) => self.var_name(*v, style),
            Node::Sum { constant, terms } => {
                let mut out = String::new();
                for (i, &(t, c)) in terms.iter().enumerate() {
                    let c = val(c);
                    let body = self.wrap(t, 2, style);
                    let mag = c.abs();
                    let piece = if mag == 1.0 {
                        body
                    } else {
                        match style {
                            Style::Text => format!("{}*{}", num(mag), body),
                            Style::Latex => format!("{} {}", num(mag), body),
                        }
                    };
                    match (i, c < 0.0) {
                        (0, true) => out.push_str(&format!("-{piece}")),
                        (0, false) => out.push_str(&piece),
                        (_, true) => out.push_str(&format!(" - {piece}")),
                        (_, false) => out.push_str(&format!(" + {piece}")),
                    }
                }
                let c0 = val(*constant);
                if c0 > 0.0 {
                    out.push_str(&format!(" + {}", num(c0)));
                } else if c0 < 0.0 {
                    out.push_str(&format!(" - {}", num(-c0)));
                }
                out
            }
            Node::Product(fs) => match style {
                Style::Text => fs
                    .iter()
                    .map(|&(b, p)| {
                        let p = val(p);
                        if p == 1.0 {
                            self.wrap(b, 3, style)
                        } else if p == 0.5 {
                            format!("sqrt({})", self.show(b, style))
                        } else {
                            format!("{}^{}", self.wrap(b, 4, style), num(p))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("*"),
                Style::Latex => {
                    let part = |neg: bool| -> Vec<String> {
                        fs.iter()
                            .filter(|f| (val(f.1) < 0.0) == neg)
                            .map(|&(b, p)| {
                                let p = val(p).abs();
                                if p == 1.0 {
                                    self.wrap(b, 3, style)
                                } else if p == 0.5 {
                                    format!("\\sqrt{{{}}}", self.show(b, style))
                                } else {
                                    format!("{}^{{{}}}", self.wrap(b, 4, style), num(p))
                                }
                            })
                            .collect()
                    };
                    let (top, bottom) = (part(false), part(true));
                    let top = if top.is_empty() {
                        "1".to_string()
                    } else {
                        top.join(" ")
                    };
                    if bottom.is_empty() {
                        top
                    } else {
                        format!("\\frac{{{}}}{{{}}}", top, bottom.join(" "))
                    }
                }
            },
            Node::Pow(a, b) => match style {
                Style::Text => format!("{}^({})", self.wrap(*a, 4, style), self.show(*b, style)),
                Style::Latex => format!("{}^{{{}}}", self.wrap(*a, 4, style), self.show(*b, style)),
            },
            Node::Func(f, a) => match style {
                Style::Text => format!("{}({})", func_name(*f, style), self.show(*a, style)),
                Style::Latex => format!(
                    "{}\\left({}\\right)",
                    func_name(*f, style),
                    self.show(*a, style)
                ),
            },
            Node::Spectral(m, a, b, c) => format!(
                "J{m}({}, {}, {})",
                self.show(*a, style),
                self.show(*b, style),
                self.show(*c, style)
            ),
            Node::Radial(fam, k, s) => match style {
                Style::Text => format!("{}_d{}({})", fam.name(), k, self.show(*s, style)),
                Style::Latex => format!(
                    "f_{{\\mathrm{{{}}}}}^{{({})}}\\left({}\\right)",
                    fam.name(),
                    k,
                    self.show(*s, style)
                ),
            },
        }
    }
}
