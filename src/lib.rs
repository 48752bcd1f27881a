//! noether: Gaussian processes that learn the coefficients of linear differential operators from
//! noisy data, and enforce conservation laws and symmetries exactly, through the kernel.
//!
//! - [`kernels`]: operators applied to kernels symbolically, compiled for speed;
//! - [`likelihood`]: the marginal likelihood, its exact gradient, fitting, posterior and the
//!   uncertainty of the learned coefficients;
//! - [`infer`]: problem files and the user's layer.
//!
//! ```
//! use noether::likelihood::{fit::{fit, FitOptions}, laplace::laplace, problems::heat_e4};
//! // Problem E4 of Raissi & Karniadakis (2017): u_t − α u_xx = f, learn α from 20 + 20 points.
//! let mut model = heat_e4(20, 20, 0, 0.5)?;
//! let report = fit(&mut model, &FitOptions { restarts: 0, ..FitOptions::default() }, &mut |_| {})?;
//! let a = model.index_of("a")?;
//! let se = laplace(&model, &report.best.values, &Default::default())?.std_errors[a].unwrap();
//! assert!((report.best.values[a] - 1.0).abs() < 1e-2 && se < 0.05);
//! # Ok::<(), noether::likelihood::LikelihoodError>(())
//! ```

#![warn(missing_docs)]
#![doc = ""]
#![doc = "# The README"]
#![doc = include_str!("../README.md")]

pub use noether_infer as infer;
pub use noether_kernels as kernels;
pub use noether_likelihood as likelihood;

pub mod demos;
pub mod progress;

#[doc = include_str!("../docs/operators.md")]
pub mod operators_tutorial {}

#[doc = include_str!("../docs/tutorial.md")]
pub mod tutorial {}

#[doc = include_str!("../docs/fields.md")]
pub mod fields_tutorial {}

#[doc = include_str!("../docs/conditions.md")]
pub mod conditions_tutorial {}

#[doc = include_str!("../docs/uncertainty.md")]
pub mod uncertainty {}

#[doc = include_str!("../docs/discovery.md")]
pub mod discovery {}

#[doc = include_str!("../docs/sharding.md")]
pub mod sharding {}

#[doc = include_str!("../docs/problem_file.md")]
pub mod problem_file {}

#[doc = include_str!("../docs/troubleshooting.md")]
pub mod troubleshooting {}
