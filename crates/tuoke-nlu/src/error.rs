//! The crate's error type, [`NluError`].

/// Everything that can go wrong in the NLU engine.
#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error("no examples")]
    NoExamples,
    #[error("example {index} has no features (empty or whitespace-only text)")]
    EmptyText { index: usize },
    #[error(
        "all training examples have the same label {0:?}; a classifier needs at least two labels"
    )]
    SingleLabel(String),
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid lexicon: {0}")]
    Lexicon(String),
    #[error("not a tuoke NLU model file (bad magic)")]
    NotAModel,
    #[error("unsupported model format version {found} (this build reads version {supported})")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("model file is truncated: expected {expected} bytes, found {actual}")]
    Truncated { expected: u64, actual: u64 },
    #[error("model file is corrupted: checksum {stored:#010x} stored, {computed:#010x} computed")]
    Checksum { stored: u32, computed: u32 },
    #[error("malformed model file: {0}")]
    Format(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
