//! Operator-transformed kernels, derived symbolically and evaluated at compiled speed.
//!
//! A Gaussian process `u ~ GP(0, k)` stays Gaussian under any linear operator L, and
//! `Cov(L₁u(x), L₂u(x')) = L₁,ₓ L₂,ₓ' k(x, x')`. This crate builds those covariances for any operator
//! a user types, from base kernels written once as expressions:
//!
//! - [`expr`]: a hash-consed expression graph with canonical, simplifying construction, symbolic
//!   differentiation and printing as text and LaTeX;
//! - [`KernelSpec`]: the base families of [`family`] (squared exponential, Matérn 3/2 and 5/2,
//!   rational quadratic, periodic, constant, linear; one file each), and their sums, products and
//!   scalings;
//! - [`operator`]: linear operators and their parser (`u_t - a*u_xx`, `d(u, x1, 2)`, `rho*u1 + u2`);
//! - [`apply`]: the covariance of two operators and its derivatives by every parameter;
//! - [`compile`]: a program that evaluates many expressions together over many point pairs.
//!
//! # A tour: the heat operator applied to a squared-exponential kernel
//!
//! Build the kernel over inputs (t, x), with one lengthscale per input:
//! ```
//! use noether_kernels::{apply, compile::Program, expr::{Env, Graph, Var}, operator::{Names, Operator}, KernelSpec};
//!
//! let mut g = Graph::new(&["t", "x"]);
//! let k = KernelSpec::se(true).build(&mut g, "u");
//! ```
//! Parse the operator `L = ∂_t − a ∂_xx`, whose coefficient `a` is an unknown parameter:
//! ```
//! # use noether_kernels::{apply, compile::Program, expr::{Env, Graph, Var}, operator::{Names, Operator}, KernelSpec};
//! # let mut g = Graph::new(&["t", "x"]);
//! # let k = KernelSpec::se(true).build(&mut g, "u");
//! let names = Names { latents: vec!["u".into()], parameters: vec!["a".into()] };
//! let heat = Operator::parse("u_t - a*u_xx", &mut g, &names)?;
//! let ident = Operator::parse("u", &mut g, &names)?;
//! # Ok::<(), noether_kernels::KernelError>(())
//! ```
//! Apply it to both arguments: `k_ff = L_x L_x' k`, and `k_uf = L_x' k`. Print k_ff as LaTeX:
//! ```
//! # use noether_kernels::{apply, compile::Program, expr::{Env, Graph, Var}, operator::{Names, Operator}, KernelSpec};
//! # let mut g = Graph::new(&["t", "x"]);
//! # let k = KernelSpec::se(true).build(&mut g, "u");
//! # let names = Names { latents: vec!["u".into()], parameters: vec!["a".into()] };
//! # let heat = Operator::parse("u_t - a*u_xx", &mut g, &names)?;
//! # let ident = Operator::parse("u", &mut g, &names)?;
//! let kff = apply::covariance(&mut g, std::slice::from_ref(&k), &names.latents, &heat, &heat)?;
//! let kuf = apply::covariance(&mut g, &[k], &names.latents, &ident, &heat)?;
//! let latex = g.to_latex(kff);
//! assert!(latex.contains("\\ell_{x}") && latex.contains("\\exp"));
//! println!("k_ff = {latex}");
//! # Ok::<(), noether_kernels::KernelError>(())
//! ```
//! Evaluate it at one pair, and compile the block with its derivatives by all four parameters
//! (σ², ℓ_t, ℓ_x, a) to fill a matrix over many pairs at once:
//! ```
//! # use noether_kernels::{apply, compile::Program, expr::{Env, Graph, Var}, operator::{Names, Operator}, KernelSpec};
//! # let mut g = Graph::new(&["t", "x"]);
//! # let k = KernelSpec::se(true).build(&mut g, "u");
//! # let names = Names { latents: vec!["u".into()], parameters: vec!["a".into()] };
//! # let heat = Operator::parse("u_t - a*u_xx", &mut g, &names)?;
//! # let kff = apply::covariance(&mut g, &[k], &names.latents, &heat, &heat)?;
//! // parameters in the graph's order: u.variance, u.lengthscales.t, u.lengthscales.x, a
//! let params = [1.0, 0.8, 0.3, 1.0];
//! let v = g.eval(kff, &Env { x: &[0.1, 0.2], y: &[0.3, 0.25], params: &params });
//! assert!(v.is_finite());
//!
//! let all: Vec<_> = (0..g.num_params()).map(|p| noether_kernels::expr::ParamId(p as u32)).collect();
//! let outputs = apply::with_gradient(&mut g, kff, &all);
//! let prog = Program::compile(&mut g, &outputs);
//! let points = [0.1, 0.2, 0.3, 0.25, 0.9, 0.5]; // three (t, x) points
//! let blocks = prog.fill(&prog.bind(&params), &points, &points);
//! assert_eq!(blocks.len(), 5);               // value and 4 derivatives
//! assert!((blocks[0][1] - v).abs() < 1e-12 * v.abs()); // entry (0, 1)
//! # Ok::<(), noether_kernels::KernelError>(())
//! ```

#![warn(missing_docs)]

pub mod apply;
pub mod compile;
mod error;
pub mod expr;
pub mod family;
mod kernel;
pub mod operator;
pub mod radial;
pub mod spectral;

pub use error::KernelError;
pub use family::{Base, BaseFamily, Family};
pub use kernel::{InputMap, Involution, Kernel, KernelSpec, Role};
