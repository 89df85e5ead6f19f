//! Tokenizers: the XLM-R SentencePiece (Unigram) tokenizer rebuilt from the vocabulary in an
//! `e5-small-q4.bin`, and any Hugging Face `tokenizer.json`.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizedString, Normalizer, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerImpl, TruncationParams,
};

use crate::e5file::E5Vocab;
use crate::error::{Error, Result};

/// XLM-R's normalizer as `e5.c` applies it: a per-code-point replacement map (the
/// SentencePiece charsmap, flattened) followed by collapsing runs of spaces into one.
pub struct CharMapNormalizer {
    map: HashMap<char, String>,
}

impl Normalizer for CharMapNormalizer {
    fn normalize(&self, normalized: &mut NormalizedString) -> tokenizers::Result<()> {
        // Each output char carries its alignment change (see `NormalizedString::transform`).
        let mut out: Vec<(char, isize)> = Vec::with_capacity(normalized.get().len());
        let mut initial = 0usize;
        let src: Vec<char> = normalized.get().chars().collect();
        for ch in src {
            let mut emitted = false;
            let mut emit = |c: char, out: &mut Vec<(char, isize)>| {
                if c == ' ' && out.last().is_some_and(|&(p, _)| p == ' ') {
                    return;
                }
                out.push((c, if emitted { 1 } else { 0 }));
                emitted = true;
            };
            match self.map.get(&ch) {
                Some(rep) => rep.chars().for_each(|c| emit(c, &mut out)),
                None => emit(ch, &mut out),
            }
            if !emitted {
                match out.last_mut() {
                    Some(last) => last.1 -= 1,
                    None => initial += 1,
                }
            }
        }
        normalized.transform(out, initial);
        Ok(())
    }
}

type E5Tokenizer = TokenizerImpl<
    ModelWrapper,
    CharMapNormalizer,
    PreTokenizerWrapper,
    PostProcessorWrapper,
    DecoderWrapper,
>;

/// A text → token ids function with a bounded length (special tokens included).
pub enum TextTokenizer {
    /// The XLM-R Unigram tokenizer of an e5 file.
    E5(Box<E5Tokenizer>),
    /// A `tokenizer.json`, with its own padding and truncation switched off.
    Hf(Box<Tokenizer>),
}

fn tk_err(e: impl std::fmt::Display) -> Error {
    Error::Tokenizer(e.to_string())
}

fn truncation(max_len: usize) -> Option<TruncationParams> {
    Some(TruncationParams {
        max_length: max_len,
        ..Default::default()
    })
}

impl TextTokenizer {
    /// The Unigram tokenizer of an e5 file: ids are the file's piece indices, `<s> … </s>`
    /// around the content, at most `max_len` tokens.
    pub fn from_e5(v: &E5Vocab, max_len: usize) -> Result<Self> {
        let unigram =
            Unigram::from(v.pieces.clone(), Some(v.unk as usize), false).map_err(tk_err)?;
        let mut t = E5Tokenizer::new(ModelWrapper::Unigram(unigram));
        t.with_normalizer(Some(CharMapNormalizer {
            map: v.norm.clone(),
        }))
        .map_err(tk_err)?;
        t.with_pre_tokenizer(Some(PreTokenizerWrapper::Metaspace(Metaspace::new(
            '▁',
            PrependScheme::Always,
            true,
        ))));
        let piece = |id: u32| -> Result<String> {
            v.pieces
                .get(id as usize)
                .map(|(p, _)| p.clone())
                .ok_or_else(|| Error::Tokenizer(format!("special id {id} not in the vocabulary")))
        };
        let (bos, eos) = (piece(v.bos)?, piece(v.eos)?);
        let specials = [v.bos, v.eos, v.pad, v.unk]
            .iter()
            .map(|&id| piece(id).map(|p| AddedToken::from(p, true)))
            .collect::<Result<Vec<_>>>()?;
        t.add_special_tokens(specials).map_err(tk_err)?;
        let post = TemplateProcessing::builder()
            .try_single(format!("{bos} $A {eos}"))
            .map_err(tk_err)?
            .special_tokens(vec![(bos, v.bos), (eos, v.eos)])
            .build()
            .map_err(tk_err)?;
        t.with_post_processor(Some(PostProcessorWrapper::Template(post)));
        t.with_truncation(truncation(max_len)).map_err(tk_err)?;
        Ok(TextTokenizer::E5(Box::new(t)))
    }

    /// A Hugging Face `tokenizer.json` (padding off, truncated to `max_len`).
    pub fn from_file(path: &Path, max_len: usize) -> Result<Self> {
        let mut t = Tokenizer::from_file(path)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
        t.with_padding(None);
        t.with_truncation(truncation(max_len)).map_err(tk_err)?;
        Ok(TextTokenizer::Hf(Box::new(t)))
    }

    /// Token ids of `text`, special tokens included, at most the configured length.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = match self {
            TextTokenizer::E5(t) => t.encode(text, true),
            TextTokenizer::Hf(t) => t.encode(text, true),
        }
        .map_err(tk_err)?;
        Ok(enc.get_ids().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> E5Vocab {
        let pieces = [
            "<s>", "<pad>", "</s>", "<unk>", "▁", "▁hello", "▁wor", "ld", "你好", "▁你",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), if i < 4 { 0.0 } else { -(i as f64) }))
        .collect();
        E5Vocab {
            pieces,
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
            norm: [('Ｈ', "h".to_string()), ('\u{200b}', String::new())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn unigram_with_metaspace_and_specials() {
        let t = TextTokenizer::from_e5(&vocab(), 16).unwrap();
        // "Ｈ" → "h" by the map, the zero-width space is deleted, two spaces collapse.
        assert_eq!(t.ids("\u{200b}Ｈello  world").unwrap(), vec![0, 5, 6, 7, 2]);
        // "你好" is one piece after the lone "▁".
        assert_eq!(t.ids("你好").unwrap(), vec![0, 4, 8, 2]);
        // An unknown char is <unk>; truncation keeps </s>.
        let long = "hello ".repeat(40);
        let ids = t.ids(&long).unwrap();
        assert_eq!((ids.len(), ids[0], ids[15]), (16, 0, 2));
        assert!(t.ids("hello ☃").unwrap().contains(&3));
    }
}
