//! Formulas of the inputs, such as the exact solution a synthetic problem was made from
//! (`noether plot --truth "exp(-t)*sin(2*pi*x)"`).
//!
//! Grammar: numbers (`2`, `1.5e-3`), the inputs by name, `pi` and `e`, `+ - * / ^` (`^` binds
//! tightest and to the right; `-x^2` is `-(x^2)`), parentheses, and the functions `sin cos tan
//! asin acos atan sinh cosh tanh exp log sqrt abs`.

use crate::InferError;

/// A function of one number.
type Unary = fn(f64) -> f64;

const FUNCTIONS: [(&str, Unary); 13] = [
    ("sin", f64::sin),
    ("cos", f64::cos),
    ("tan", f64::tan),
    ("asin", f64::asin),
    ("acos", f64::acos),
    ("atan", f64::atan),
    ("sinh", f64::sinh),
    ("cosh", f64::cosh),
    ("tanh", f64::tanh),
    ("exp", f64::exp),
    ("log", f64::ln),
    ("sqrt", f64::sqrt),
    ("abs", f64::abs),
];

/// Longer formulas are refused (a chain of terms is a tree as deep as it is long).
const MAX_LEN: usize = 10_000;

/// Nesting deeper than this is refused (so that hostile input cannot exhaust the stack).
const MAX_DEPTH: usize = 200;

#[derive(Clone, Debug)]
enum Node {
    Num(f64),
    Input(usize),
    Neg(Box<Node>),
    Bin(char, Box<Node>, Box<Node>),
    Call(Unary, Box<Node>),
}

/// A parsed formula of the inputs.
///
/// # Examples
/// ```
/// use noether_infer::formula::Formula;
/// let f = Formula::parse("exp(-t)*sin(2*pi*x)", &["t".into(), "x".into()], "--truth")?;
/// assert!((f.eval(&[0.0, 0.25]) - 1.0).abs() < 1e-15);
/// # Ok::<(), noether_infer::InferError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Formula {
    root: Node,
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    inputs: &'a [String],
    option: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, message: String) -> InferError {
        InferError::Field {
            field: self.option.into(),
            message: format!(
                "{message} (in `{}`, at character {})",
                self.text,
                self.at + 1
            ),
        }
    }

    fn skip(&mut self) {
        while self.text[self.at..].starts_with(char::is_whitespace) {
            self.at += self.text[self.at..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip();
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn deeper(&mut self) -> Result<(), InferError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn sum(&mut self) -> Result<Node, InferError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Some(c @ ('+' | '-')) => c,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.product()?;
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Node, InferError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(c @ ('*' | '/')) => c,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Node, InferError> {
        self.deeper()?;
        let out = if self.eat('-') {
            Node::Neg(Box::new(self.unary()?))
        } else if self.eat('+') {
            self.unary()?
        } else {
            self.power()?
        };
        self.depth -= 1;
        Ok(out)
    }

    fn power(&mut self) -> Result<Node, InferError> {
        let base = self.atom()?;
        if self.eat('^') {
            let exp = self.unary()?;
            return Ok(Node::Bin('^', Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node, InferError> {
        let Some(c) = self.peek() else {
            return Err(
                self.err("the formula ends where a number, name or `(` was expected".into())
            );
        };
        if self.eat('(') {
            self.deeper()?;
            let inner = self.sum()?;
            self.depth -= 1;
            if !self.eat(')') {
                return Err(self.err("`(` without its `)`".into()));
            }
            return Ok(inner);
        }
        let rest = &self.text[self.at..];
        if c.is_ascii_digit() || c == '.' {
            // The longest prefix that reads as a number (digits, a point, an exponent).
            let bytes = rest.as_bytes();
            let mut end = 0;
            while end < bytes.len()
                && (bytes[end].is_ascii_digit()
                    || bytes[end] == b'.'
                    || ((bytes[end] == b'e' || bytes[end] == b'E')
                        && end + 1 < bytes.len()
                        && (bytes[end + 1].is_ascii_digit()
                            || ((bytes[end + 1] == b'-' || bytes[end + 1] == b'+')
                                && end + 2 < bytes.len()
                                && bytes[end + 2].is_ascii_digit())))
                    || ((bytes[end] == b'-' || bytes[end] == b'+')
                        && end > 0
                        && (bytes[end - 1] == b'e' || bytes[end - 1] == b'E')))
            {
                end += 1;
            }
            let v: f64 = rest[..end]
                .parse()
                .map_err(|_| self.err(format!("`{}` is not a number", &rest[..end])))?;
            if !v.is_finite() {
                return Err(self.err(format!("`{}` is not a finite number", &rest[..end])));
            }
            self.at += end;
            return Ok(Node::Num(v));
        }
        if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..end];
            self.at += end;
            if let Some(i) = self.inputs.iter().position(|n| n == name) {
                return Ok(Node::Input(i));
            }
            if let Some((_, f)) = FUNCTIONS.iter().find(|(n, _)| *n == name) {
                if !self.eat('(') {
                    return Err(self.err(format!("the function `{name}` needs `(`")));
                }
                self.deeper()?;
                let arg = self.sum()?;
                self.depth -= 1;
                if !self.eat(')') {
                    return Err(self.err(format!("`{name}(` without its `)`")));
                }
                return Ok(Node::Call(*f, Box::new(arg)));
            }
            return match name {
                "pi" => Ok(Node::Num(std::f64::consts::PI)),
                "e" => Ok(Node::Num(std::f64::consts::E)),
                _ => Err(self.err(format!(
                    "unknown name `{name}` (inputs: {}; constants: pi, e; functions: {})",
                    self.inputs.join(", "),
                    FUNCTIONS.map(|f| f.0).join(", ")
                ))),
            };
        }
        Err(self.err(format!("unexpected `{c}`")))
    }
}

impl Formula {
    /// Parse a formula of `inputs`; `option` names where it came from in messages.
    ///
    /// # Errors
    /// [`InferError::Field`] naming the option, the character and what is wrong.
    pub fn parse(text: &str, inputs: &[String], option: &str) -> Result<Formula, InferError> {
        if text.len() > MAX_LEN {
            return Err(InferError::Field {
                field: option.into(),
                message: format!("{} characters; a formula has at most {MAX_LEN}", text.len()),
            });
        }
        let mut p = Parser {
            text,
            at: 0,
            inputs,
            option,
            depth: 0,
        };
        let root = p.sum()?;
        if let Some(c) = p.peek() {
            return Err(p.err(format!("unexpected `{c}` after a complete formula")));
        }
        Ok(Formula { root })
    }

    /// The value at a point (one number per input).
    pub fn eval(&self, x: &[f64]) -> f64 {
        fn go(n: &Node, x: &[f64]) -> f64 {
            match n {
                Node::Num(v) => *v,
                Node::Input(i) => x[*i],
                Node::Neg(a) => -go(a, x),
                Node::Call(f, a) => f(go(a, x)),
                Node::Bin(op, a, b) => {
                    let (a, b) = (go(a, x), go(b, x));
                    match op {
                        '+' => a + b,
                        '-' => a - b,
                        '*' => a * b,
                        '/' => a / b,
                        _ => a.powf(b),
                    }
                }
            }
        }
        go(&self.root, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Result<Formula, InferError> {
        Formula::parse(s, &["t".into(), "x".into(), "e2".into()], "--truth")
    }

    #[test]
    fn precedence_and_functions() {
        let v = |s: &str| f(s).unwrap().eval(&[2.0, 3.0, 5.0]);
        assert_eq!(v("1 + 2*3"), 7.0);
        assert_eq!(v("-x^2"), -9.0);
        assert_eq!(v("2^3^2"), 512.0);
        assert_eq!(v("t/x*3"), 2.0);
        assert_eq!(v("1.5e1 + 2E-1"), 15.2);
        assert_eq!(v("e2 - e"), 5.0 - std::f64::consts::E);
        assert_eq!(v("sqrt(abs(-16))"), 4.0);
        assert!((v("exp(-t)*sin(2*pi*x)")).abs() < 1e-15);
        assert_eq!(v("((t))"), 2.0);
        assert_eq!(v("- -t"), 2.0);
    }

    #[test]
    fn hostile_formulas_are_refused() {
        for (s, want) in [
            ("", "ends where"),
            ("sin x", "needs `(`"),
            ("y + 1", "unknown name `y`"),
            ("(t", "without its `)`"),
            ("t)", "after a complete formula"),
            ("t $ x", "unexpected `$`"),
            ("1e999", "not a finite number"),
            ("t +", "ends where"),
            ("1..2", "not a number"),
        ] {
            let e = f(s).unwrap_err().to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
        let deep = "(".repeat(4_000) + "t" + &")".repeat(4_000);
        assert!(f(&deep).unwrap_err().to_string().contains("nested"));
        let long = "t+".repeat(6_000) + "t";
        assert!(f(&long).unwrap_err().to_string().contains("at most"));
        let chain = "t+".repeat(4_000) + "t";
        assert_eq!(f(&chain).unwrap().eval(&[1.0, 0.0, 0.0]), 4001.0);
        let minus = "-".repeat(5_000) + "t";
        assert!(f(&minus).unwrap_err().to_string().contains("nested"));
    }
}
