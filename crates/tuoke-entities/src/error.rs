//! The crate's error type, [`EntitiesError`].

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    /// A built-in pattern failed to compile (a bug in this crate, reported instead of panicking).
    #[error("built-in entity pattern failed to compile: {0}")]
    Pattern(String),
    /// The gazetteer could not be compiled into an automaton (e.g. far too large).
    #[error("gazetteer could not be compiled: {0}")]
    Gazetteer(String),
    /// A line of an evaluation table ([`eval::evaluate`](crate::eval::evaluate)) could not be read.
    #[error("line {line}: {message}")]
    EvalLine { line: usize, message: String },
}
