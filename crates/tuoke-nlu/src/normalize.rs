//! Text normalization: one pure function from raw customer text to the text the features are built from.
//!
//! Steps, in order:
//! 1. Control characters are dropped (`\t`, `\n`, `\r` count as whitespace); zero-width spaces, BOM and
//!    soft hyphens are dropped; the zero-width joiner and variation selectors are kept so emoji sequences
//!    survive.
//! 2. NFKC per character (full-width → half-width ASCII, ideographic space → space, compatibility forms).
//! 3. Cased letters are lower-cased (Latin, Greek, Cyrillic, full-width Latin after step 2).
//! 4. Whitespace runs collapse to one ASCII space; leading/trailing whitespace is removed.
//! 5. Traditional → Simplified Chinese with `fast2s` (MIT; one char out per char in, with context rules
//!    for ambiguous characters). This step never changes the char count.
//! 6. Optional data-driven lexicon (e.g. Cantonese → Mandarin words): greedy leftmost-longest replacement.
//!    Lexicon keys are normalized with steps 1–5 when the lexicon is built, so they may be written in
//!    either script or width.
//!
//! Emoji are not touched by any step and end up as tokens of their own in the features.
//! [`Normalizer::normalize_with_offsets`] also returns, for each output char, the char index in the
//! original text it came from, so spans found in normalized text can be mapped back.

use aho_corasick::{AhoCorasick, MatchKind};
use unicode_normalization::UnicodeNormalization;

use crate::error::NluError;

/// Normalized text plus, for each char of `text`, the char index of the original char it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// `offsets[i]` = index (in chars) into the original text of the char that produced char `i`.
    pub offsets: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Lexicon {
    matcher: AhoCorasick,
    replacements: Vec<String>,
}

/// The text normalizer. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    lexicon: Option<Lexicon>,
    /// The raw lexicon pairs as given, kept so a model file can store them.
    pairs: Vec<(String, String)>,
}

fn is_dropped_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{200E}' | '\u{200F}'
    ) || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

impl Normalizer {
    /// A normalizer without a lexicon.
    pub fn new() -> Self {
        Normalizer::default()
    }

    /// A normalizer that, after the built-in steps, replaces lexicon phrases (greedy leftmost-longest).
    /// Empty keys are ignored; when a key is given twice the first pair wins.
    pub fn with_lexicon(pairs: Vec<(String, String)>) -> Result<Self, NluError> {
        let base = Normalizer::new();
        let mut keys: Vec<String> = Vec::new();
        let mut replacements = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (from, to) in &pairs {
            let key = base.normalize(from);
            if key.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            keys.push(key);
            replacements.push(base.normalize(to));
        }
        let lexicon = if keys.is_empty() {
            None
        } else {
            let matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&keys)
                .map_err(|e| NluError::Lexicon(e.to_string()))?;
            Some(Lexicon {
                matcher,
                replacements,
            })
        };
        Ok(Normalizer { lexicon, pairs })
    }

    /// The lexicon pairs this normalizer was built with (as given).
    pub fn lexicon_pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Normalize `text` (see the module docs for the steps).
    pub fn normalize(&self, text: &str) -> String {
        self.normalize_with_offsets(text).text
    }

    /// Normalize `text` and keep the char offset mapping back into `text`.
    pub fn normalize_with_offsets(&self, text: &str) -> Normalized {
        let mut out = String::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len());
        let mut pending_space: Option<usize> = None;
        let push = |out: &mut String,
                    offsets: &mut Vec<usize>,
                    d: char,
                    i: usize,
                    pending: &mut Option<usize>| {
            if d.is_whitespace() {
                if pending.is_none() {
                    *pending = Some(i);
                }
                return;
            }
            if let Some(si) = pending.take()
                && !out.is_empty()
            {
                out.push(' ');
                offsets.push(si);
            }
            if d.is_uppercase() {
                for l in d.to_lowercase() {
                    out.push(l);
                    offsets.push(i);
                }
            } else {
                out.push(d);
                offsets.push(i);
            }
        };
        for (i, c) in text.chars().enumerate() {
            if c.is_control() {
                if c.is_whitespace() {
                    push(&mut out, &mut offsets, ' ', i, &mut pending_space);
                }
                continue;
            }
            if is_dropped_format_char(c) {
                continue;
            }
            if c.is_ascii() {
                push(&mut out, &mut offsets, c, i, &mut pending_space);
            } else {
                for d in std::iter::once(c).nfkc() {
                    push(&mut out, &mut offsets, d, i, &mut pending_space);
                }
            }
        }
        // Traditional → Simplified: fast2s maps each char to exactly one char.
        let simplified = fast2s::convert(&out);
        let out = if simplified.chars().count() == offsets.len() {
            simplified
        } else {
            // Never expected; keep the offsets valid rather than trust a changed count.
            tracing::warn!("fast2s changed the char count; keeping unconverted text");
            out
        };
        match &self.lexicon {
            None => Normalized { text: out, offsets },
            Some(lex) => apply_lexicon(lex, &out, &offsets),
        }
    }
}

fn apply_lexicon(lex: &Lexicon, text: &str, offsets: &[usize]) -> Normalized {
    let mut out = String::with_capacity(text.len());
    let mut new_offsets = Vec::with_capacity(offsets.len());
    let mut last_byte = 0usize;
    let mut char_idx = 0usize; // char index in `text` of byte `last_byte`
    for m in lex.matcher.find_iter(text) {
        let between = &text[last_byte..m.start()];
        for c in between.chars() {
            out.push(c);
            new_offsets.push(offsets.get(char_idx).copied().unwrap_or(0));
            char_idx += 1;
        }
        let origin = offsets.get(char_idx).copied().unwrap_or(0);
        let replacement = lex
            .replacements
            .get(m.pattern().as_usize())
            .map(String::as_str)
            .unwrap_or("");
        for c in replacement.chars() {
            out.push(c);
            new_offsets.push(origin);
        }
        char_idx += text[m.start()..m.end()].chars().count();
        last_byte = m.end();
    }
    for c in text[last_byte..].chars() {
        out.push(c);
        new_offsets.push(offsets.get(char_idx).copied().unwrap_or(0));
        char_idx += 1;
    }
    Normalized {
        text: out,
        offsets: new_offsets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case() {
        let n = Normalizer::new();
        assert_eq!(n.normalize("ＡＢＣ１２３，ｉＰｈｏｎｅ"), "abc123,iphone");
        assert_eq!(n.normalize("Hello WORLD"), "hello world");
    }

    #[test]
    fn whitespace_and_controls() {
        let n = Normalizer::new();
        assert_eq!(n.normalize("  a\t\tb \n c\u{0007}d\u{200B}e  "), "a b cde");
        assert_eq!(n.normalize("你好\u{3000}世界"), "你好 世界");
        assert_eq!(n.normalize(""), "");
        assert_eq!(n.normalize(" \t\n"), "");
    }

    #[test]
    fn traditional_to_simplified() {
        let n = Normalizer::new();
        assert_eq!(n.normalize("這個價錢多少"), "这个价钱多少");
        assert_eq!(n.normalize("請問幾時發貨"), "请问几时发货");
    }

    #[test]
    fn emoji_kept() {
        let n = Normalizer::new();
        assert_eq!(n.normalize("好👍"), "好👍");
        // ZWJ sequence survives
        assert_eq!(n.normalize("👨\u{200D}👩"), "👨\u{200D}👩");
    }

    #[test]
    fn offsets_map_back() {
        let n = Normalizer::new();
        let r = n.normalize_with_offsets("  Ａ  價");
        assert_eq!(r.text, "a 价");
        assert_eq!(r.offsets, vec![2, 3, 5]);
    }

    #[test]
    fn lexicon_longest_match() {
        let n = Normalizer::with_lexicon(vec![
            ("唔".into(), "不".into()),
            ("唔該".into(), "谢谢".into()),
            ("幾多錢".into(), "多少钱".into()),
            ("".into(), "x".into()),
        ])
        .unwrap();
        // keys are normalized (唔該 → 唔该), longest wins
        assert_eq!(n.normalize("唔該，幾多錢？"), "谢谢,多少钱?");
        assert_eq!(n.normalize("唔要"), "不要");
        let r = n.normalize_with_offsets("A唔該B");
        assert_eq!(r.text, "a谢谢b");
        assert_eq!(r.offsets, vec![0, 1, 1, 3]);
        assert_eq!(n.lexicon_pairs().len(), 4);
    }
}
