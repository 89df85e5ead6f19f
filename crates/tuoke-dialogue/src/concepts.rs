//! Concepts: what a question is about, in the words customers use and the words product facts are
//! written in (`concepts.yaml`). The retriever adds a `#<concept>` token to a question and to a
//! passage for every concept word found in it, so "滤芯多久换" meets "滤芯寿命：约 12 个月" and "is it
//! loud at night" meets "噪音：静音模式 45dB" through `#noise`, words they do not share.
//!
//! Written by hand: no crate carries a sales-talk synonym table for Chinese and English, and the
//! table is data (a YAML file compiled in), so it is reviewed like the playbook.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

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

/// The table compiled for matching: one automaton over every substring word (a turn asks several
/// questions and each is matched a few times, so a scan per word would cost tens of µs).
struct Matcher {
    concepts: Vec<Concept>,
    substrings: Option<AhoCorasick>,
    /// Concept index of each substring pattern.
    pattern_concept: Vec<usize>,
    words: HashMap<String, Vec<usize>>,
    prefixes: Vec<(String, usize)>,
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let concepts = parse(SOURCE).unwrap_or_else(|e| {
        tracing::error!(error = %e, "concepts.yaml does not parse; retrieval runs without concepts");
        Vec::new()
    });
    let mut patterns = Vec::new();
    let mut pattern_concept = Vec::new();
    let mut words: HashMap<String, Vec<usize>> = HashMap::new();
    let mut prefixes = Vec::new();
    for (i, c) in concepts.iter().enumerate() {
        for s in &c.substrings {
            patterns.push(s.clone());
            pattern_concept.push(i);
        }
        for w in &c.words {
            words.entry(w.clone()).or_default().push(i);
        }
        for p in &c.prefixes {
            prefixes.push((p.clone(), i));
        }
    }
    let substrings = AhoCorasick::new(&patterns)
        .inspect_err(|e| tracing::error!(error = %e, "concept automaton"))
        .ok();
    Matcher {
        concepts,
        substrings,
        pattern_concept,
        words,
        prefixes,
    }
});

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

/// The `#concept` tokens of a text, each once, in table order.
pub fn tokens(text: &str) -> Vec<String> {
    let m = &*MATCHER;
    let lower = text.to_lowercase();
    let mut hit: BTreeSet<usize> = BTreeSet::new();
    if let Some(ac) = &m.substrings
        && let Ok(it) = ac.try_find_overlapping_iter(lower.as_str())
    {
        let bytes = lower.as_bytes();
        for f in it {
            // An English phrase starts a word: "a store" is not in "data stored" (its end may
            // run on: "price drop" in "the price drops").
            let pattern_ascii = bytes.get(f.start()..f.end()).is_some_and(|b| b.is_ascii());
            let glued = |i: Option<usize>| {
                i.and_then(|i| bytes.get(i))
                    .is_some_and(|b| b.is_ascii_alphanumeric())
            };
            if pattern_ascii && glued(f.start().checked_sub(1)) {
                continue;
            }
            if let Some(&i) = m.pattern_concept.get(f.pattern().as_usize()) {
                hit.insert(i);
            }
        }
    }
    for w in lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
    {
        if let Some(is) = m.words.get(w) {
            hit.extend(is.iter().copied());
        }
        for (p, i) in &m.prefixes {
            if w.starts_with(p.as_str()) {
                hit.insert(*i);
            }
        }
    }
    let mut out: Vec<String> = hit
        .into_iter()
        .filter_map(|i| m.concepts.get(i).map(|c| c.token.clone()))
        .collect();
    // "每层大概100平", "卧室十五平": a number of 平 is a floor area (a word list cannot say "a
    // number before it"; 平 alone is also "cheap").
    if !out.iter().any(|t| t == "#area") && counts_area(&lower) {
        out.push("#area".into());
        out.sort();
    }
    // "我家门大概 6 公分厚": how thick the door is, words apart.
    if !out.iter().any(|t| t == "#door_fit")
        && (lower.contains('门') || lower.contains('門') || lower.contains("door"))
        && (lower.contains('厚') || lower.contains("thick"))
    {
        out.push("#door_fit".into());
        out.sort();
    }
    // "门槛有成2公分高": the height of a threshold, not the size of the machine.
    if out.iter().any(|t| t == "#threshold") {
        out.retain(|t| t != "#size");
    }
    out
}

/// A number followed by 平 that is an area ("100平", "十五平"), not "平啲" (cheaper) or "平价".
fn counts_area(lower: &str) -> bool {
    if !lower.contains('平') {
        return false;
    }
    let mut it = lower.chars().peekable();
    let mut before: Option<char> = None;
    while let Some(c) = it.next() {
        if c == '平'
            && before
                .is_some_and(|b| b.is_ascii_digit() || "一二三四五六七八九十百两兩".contains(b))
            && !it
                .peek()
                .is_some_and(|n| "啲价價板安台衡时時常均民面底方米".contains(*n))
        {
            return true;
        }
        before = Some(c);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_of_ping_is_an_area_and_cheaper_is_not() {
        assert!(tokens("每层大概100平，放一部够唔够？").contains(&"#area".to_string()));
        assert!(tokens("卧室十五平").contains(&"#area".to_string()));
        assert!(!tokens("可以平啲吗").contains(&"#area".to_string()));
        assert!(!tokens("两平价").contains(&"#area".to_string()));
    }

    #[test]
    fn an_english_phrase_is_whole_words() {
        assert!(tokens("is there a store in hangzhou").contains(&"#stores".to_string()));
        assert!(!tokens("where is my account data stored").contains(&"#stores".to_string()));
    }

    #[test]
    fn the_table_parses_and_every_concept_has_words() {
        let cs = parse(SOURCE).expect("concepts.yaml parses");
        assert!(cs.len() >= 30, "{} concepts", cs.len());
        // A concept written twice is one concept in the map (the later list wins, the earlier
        // words are lost without a word): every top-level key once.
        let keys: Vec<&str> = SOURCE
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for k in &keys {
            assert!(
                seen.insert(*k),
                "concept {k} written twice in concepts.yaml"
            );
        }
        assert_eq!(keys.len(), cs.len());
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
        assert!(tokens("Do you deliver to Taiwan").contains(&"#overseas".to_string()));
    }

    #[test]
    fn english_words_match_whole_tokens_only() {
        // "cloud" is no "loud", "display" no "pay".
        assert!(!tokens("cloud display").contains(&"#noise".to_string()));
        assert!(!tokens("cloud display").contains(&"#payment".to_string()));
        assert!(tokens("").is_empty());
    }
}
