//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong when loading, running or training an encoder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file is malformed or truncated (what and where).
    #[error("{path}: bad model file: {what}")]
    Format { path: PathBuf, what: String },
    /// A `config.json` / teacher meta that does not parse or does not fit the weights.
    #[error("{path}: {what}")]
    Config { path: PathBuf, what: String },
    /// The tokenizer could not be built or failed on a text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A tensor operation failed (shapes, dtypes).
    #[error("tensor: {0}")]
    Candle(#[from] candle_core::Error),
    /// Bad training input or arguments.
    #[error("{0}")]
    Invalid(String),
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
