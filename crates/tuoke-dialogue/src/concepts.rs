//! Concepts: what a question is about, in the words customers use and the words product facts are
//! written in (`concepts.yaml`). The retriever adds a `#<concept>` token to a question and to a
//! passage for every concept word found in it, so "滤芯多久换" meets "滤芯寿命：约 12 个月" and "is it
//! loud at night" meets "噪音：静音模式 45dB" through `#noise`, words they do not share.
//!
//! Written by hand: no crate carries a sales-talk synonym table for Chinese and English, and the
//! table is data (a YAML file compiled in), so it is reviewed like the playbook.

use std::collections::BTreeMap;
use std::sync::LazyLock;

const SOURCE: &str = include_str!("concepts.yaml");

/// One concept's words: Chinese ones match as substrings, English ones as whole tokens (or
/// prefixes, written with a trailing `*`).
#[derive(Debug, Default)]
struct Concept {
    token: String,
    substrings: Vec<String>,
    words: Vec<String>,
    prefixes: Vec<String>,
}

static CONCEPTS: LazyLock<Vec<Concept>> = LazyLock::new(|| parse(SOURCE).unwrap_or_default());

fn parse(src: &str) -> Result<Vec<Concept>, serde_yaml::Error> {
    let raw: BTreeMap<String, Vec<String>> = serde_yaml::from_str(src)?;
    Ok(raw
        .into_iter()
        .map(|(id, words)| {
            let mut c = Concept {
                token: format!("#{id}"),
                ..Concept::default()
            };
            for w in words {
                let w = w.to_lowercase();
                if let Some(p) = w.strip_suffix('*') {
                    c.prefixes.push(p.to_string());
                } else if w.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
                    c.words.push(w);
                } else {
                    c.substrings.push(w);
                }
            }
            c
        })
        .collect())
}

/// The `#concept` tokens of a (lower-cased) text, each once, in table order.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    CONCEPTS
        .iter()
        .filter(|c| {
            c.substrings.iter().any(|s| lower.contains(s.as_str()))
                || words.iter().any(|w| {
                    c.words.iter().any(|x| x == w)
                        || c.prefixes.iter().any(|p| w.starts_with(p.as_str()))
                })
        })
        .map(|c| c.token.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_concept_has_words() {
        let cs = parse(SOURCE).expect("concepts.yaml parses");
        assert!(cs.len() >= 30, "{} concepts", cs.len());
        for c in &cs {
            assert!(
                !(c.substrings.is_empty() && c.words.is_empty() && c.prefixes.is_empty()),
                "{} has no words",
                c.token
            );
        }
    }

    #[test]
    fn questions_and_facts_meet_on_concepts() {
        let q = tokens("滤芯多久换？");
        let fact = tokens("滤芯寿命：PPC 复合滤芯约 12 个月");
        assert!(q.contains(&"#lifetime".to_string()), "{q:?}");
        assert!(fact.contains(&"#lifetime".to_string()), "{fact:?}");
        assert!(tokens("Is it loud at night?").contains(&"#noise".to_string()));
        assert!(tokens("噪音：静音模式 45dB").contains(&"#noise".to_string()));
        assert!(tokens("Do you deliver to Taiwan").contains(&"#delivery".to_string()));
        assert!(tokens("Do you deliver to Taiwan").contains(&"#region".to_string()));
    }

    #[test]
    fn english_words_match_whole_tokens_only() {
        // "cloud" is no "loud", "display" no "pay".
        assert!(!tokens("cloud display").contains(&"#noise".to_string()));
        assert!(!tokens("cloud display").contains(&"#payment".to_string()));
        assert!(tokens("").is_empty());
    }
}
