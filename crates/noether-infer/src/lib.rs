//! The user's layer of noether: problem files, the Rust builder, fit results and plots.
//!
//! This crate is being built (issue 4 of the roadmap); today the model builder lives in
//! `noether_likelihood::Model`, which it will wrap.

#![warn(missing_docs)]
