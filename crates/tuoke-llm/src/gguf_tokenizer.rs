//! A Qwen2 tokenizer built from a GGUF file's own metadata (`tokenizer.ggml.*`), so a user needs
//! no second file: byte-level BPE over the vocab and merges, the Qwen2 pre-tokenizer regex, NFC,
//! and the control tokens (`<|im_start|>` …) as special added tokens.

use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use crate::LlmError;

/// The pre-tokenizer regex of Qwen2 (from its `tokenizer.json`).
const QWEN2_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// GGUF token types (llama.cpp's `llama_token_type`).
const TOKEN_CONTROL: i32 = 3;
const TOKEN_USER_DEFINED: i32 = 4;

fn tok_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Tokenizer(e.to_string())
}

fn string_array<'a>(ct: &'a Content, key: &str, path: &Path) -> Result<Vec<&'a str>, LlmError> {
    let v = ct
        .metadata
        .get(key)
        .ok_or_else(|| LlmError::bad_model(path, format!("no {key} in the metadata")))?;
    let items = v
        .to_vec()
        .map_err(|_| LlmError::bad_model(path, format!("{key} is not an array")))?;
    items
        .iter()
        .map(|x| {
            x.to_string()
                .map(String::as_str)
                .map_err(|_| LlmError::bad_model(path, format!("{key} holds a non-string")))
        })
        .collect()
}

fn int_of(v: &Value) -> Option<i64> {
    v.to_i32()
        .map(i64::from)
        .or_else(|_| v.to_u32().map(i64::from))
        .or_else(|_| v.to_i64())
        .or_else(|_| v.to_u64().map(|x| x as i64))
        .ok()
}

/// Builds the tokenizer from the GGUF's metadata. Only the `gpt2` (byte-level BPE) tokenizer
/// model is supported, which is what every Qwen2 GGUF has.
pub(crate) fn from_gguf(ct: &Content, path: &Path) -> Result<Tokenizer, LlmError> {
    match ct
        .metadata
        .get("tokenizer.ggml.model")
        .map(Value::to_string)
    {
        Some(Ok(m)) if m == "gpt2" => {}
        Some(Ok(m)) => {
            return Err(LlmError::bad_model(
                path,
                format!(
                    "tokenizer model {m:?} is not byte-level BPE (gpt2); pass a tokenizer.json"
                ),
            ));
        }
        _ => {
            return Err(LlmError::bad_model(
                path,
                "no tokenizer.ggml.model in the metadata",
            ));
        }
    }
    let tokens = string_array(ct, "tokenizer.ggml.tokens", path)?;
    let merges = string_array(ct, "tokenizer.ggml.merges", path)?;
    let types: Vec<i64> = match ct
        .metadata
        .get("tokenizer.ggml.token_type")
        .map(Value::to_vec)
    {
        Some(Ok(v)) => v.iter().map(|x| int_of(x).unwrap_or(1)).collect(),
        _ => Vec::new(),
    };

    let mut vocab = Vocab::with_capacity(tokens.len());
    let (mut special, mut user) = (Vec::new(), Vec::new());
    for (id, tok) in tokens.iter().enumerate() {
        let id = u32::try_from(id).map_err(tok_err)?;
        let ty = types.get(id as usize).copied().unwrap_or(1);
        if ty == i64::from(TOKEN_CONTROL) {
            special.push(AddedToken::from(tok.to_string(), true));
        } else if ty == i64::from(TOKEN_USER_DEFINED) {
            user.push(AddedToken::from(tok.to_string(), false));
        }
        vocab.insert(tok.to_string(), id);
    }
    let mut pairs = Vec::with_capacity(merges.len());
    for m in merges {
        let (a, b) = m
            .split_once(' ')
            .ok_or_else(|| LlmError::bad_model(path, format!("merge {m:?} is not two tokens")))?;
        pairs.push((a.to_string(), b.to_string()));
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, pairs)
        .ignore_merges(false)
        .build()
        .map_err(tok_err)?;
    let split = Split::new(
        SplitPattern::Regex(QWEN2_PATTERN.to_string()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(tok_err)?;
    let pre = Sequence::new(vec![
        split.into(),
        ByteLevel::new(false, false, false).into(),
    ]);
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(NFC))
        .map_err(tok_err)?
        .with_pre_tokenizer(Some(pre))
        .with_decoder(Some(ByteLevel::default()));
    tokenizer.add_special_tokens(special).map_err(tok_err)?;
    tokenizer.add_tokens(user).map_err(tok_err)?;
    Ok(tokenizer)
}

/// Reads a `tokenizer.json` the user names.
pub(crate) fn from_file(path: &Path) -> Result<Tokenizer, LlmError> {
    Tokenizer::from_file(path).map_err(|e| LlmError::Tokenizer(format!("{}: {e}", path.display())))
}
