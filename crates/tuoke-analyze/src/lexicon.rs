//! The Cantonese → Mandarin lexicon (`data/lexicon/yue_cmn.tsv`), embedded at compile time and handed to
//! the normalizer's lexicon hook ([`tuoke_nlu::Normalizer::with_lexicon`]).
//!
//! File format: one `cantonese<TAB>mandarin[<TAB>anything]` pair a line; `#` starts a comment line; a
//! first line whose first field is `yue`, `cantonese`, `from` or `source` is a header. An empty Mandarin
//! side deletes the Cantonese word (sentence-final particles).

use crate::AnalyzeError;

pub(crate) const YUE_CMN_TSV: &str = include_str!("../../../data/lexicon/yue_cmn.tsv");

/// Parse lexicon TSV text into `(cantonese, mandarin)` pairs, in file order.
pub fn parse_tsv(text: &str) -> Result<Vec<(String, String)>, AnalyzeError> {
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let from = cols.next().unwrap_or("").trim();
        let to = cols.next();
        if i == 0
            && matches!(
                from.to_ascii_lowercase().as_str(),
                "yue" | "cantonese" | "from" | "source"
            )
        {
            continue;
        }
        let Some(to) = to else {
            return Err(AnalyzeError::Lexicon(format!(
                "line {}: expected `cantonese<TAB>mandarin`",
                i + 1
            )));
        };
        if from.is_empty() {
            return Err(AnalyzeError::Lexicon(format!(
                "line {}: empty Cantonese side",
                i + 1
            )));
        }
        pairs.push((from.to_string(), to.trim().to_string()));
    }
    Ok(pairs)
}

/// The shipped lexicon's pairs.
pub fn shipped_pairs() -> Result<Vec<(String, String)>, AnalyzeError> {
    parse_tsv(YUE_CMN_TSV)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_comments_and_header() {
        let p = parse_tsv("yue\tcmn\n# note\n唔\t不\n幾多錢\t多少钱\tphrase\n\n啦\t\n").unwrap();
        assert_eq!(
            p,
            vec![
                ("唔".to_string(), "不".to_string()),
                ("幾多錢".to_string(), "多少钱".to_string()),
                ("啦".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn missing_tab_is_an_error_with_line_number() {
        let e = parse_tsv("唔\t不\n係是\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn shipped_lexicon_is_large_enough() {
        let p = shipped_pairs().unwrap();
        assert!(p.len() >= 300, "only {} entries", p.len());
    }
}
