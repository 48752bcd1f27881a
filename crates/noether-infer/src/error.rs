//! The errors of the user's layer: each names the file, row, field or term at fault.

use noether_likelihood::LikelihoodError;
use thiserror::Error;

/// What can go wrong between a problem description and a result.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum InferError {
    /// A file that cannot be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
    /// JSON that does not parse or does not fit the problem format.
    #[error("{path}:{line}:{column}: {message}")]
    Json {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A CSV row that does not parse.
    #[error("{path}, row {row}, column `{column}`: {message}")]
    Csv {
        /// The file.
        path: String,
        /// 1-based line number in the file (the header is row 1).
        row: usize,
        /// The column's name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A CSV without a column the problem needs.
    #[error("{path}: no column `{column}` ({why}); the header has: {available}")]
    MissingColumn {
        /// The file.
        path: String,
        /// The missing column.
        column: String,
        /// Why it is needed.
        why: String,
        /// The columns present.
        available: String,
    },
    /// A field of the problem with a value that cannot be used.
    #[error("{field}: {message}")]
    Field {
        /// The field's path in the problem (`latents.u.lengthscales`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A numerical or model error, with the context it arose in.
    #[error("{context}: {source}")]
    Model {
        /// Where it arose (`channel f`, `fit`).
        context: String,
        /// The underlying error.
        source: LikelihoodError,
    },
}

impl InferError {
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        InferError::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error with the problem file it concerns named first, where it does not name a file
    /// of its own (a field, an operator, the numerics of the problem).
    pub fn in_file(self, path: &std::path::Path) -> Self {
        let shown = path.display().to_string();
        match self {
            InferError::Field { field, message } if !field.starts_with(&shown) => {
                InferError::Field {
                    field: format!("{shown}: {field}"),
                    message,
                }
            }
            InferError::Model { context, source } => InferError::Model {
                context: format!("{shown}: {context}"),
                source,
            },
            e => e,
        }
    }

    pub(crate) fn model(context: impl Into<String>) -> impl FnOnce(LikelihoodError) -> Self {
        let context = context.into();
        move |source| InferError::Model { context, source }
    }
}
