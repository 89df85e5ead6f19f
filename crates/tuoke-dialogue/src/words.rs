//! "Does this text hold any of these words?" — the question every cue list of the engine asks,
//! dozens of times per turn. One substring search per word (`words.iter().any(|w|
//! text.contains(w))`) set up a searcher per word and was the largest cost of a turn (a quarter
//! of it in a profile of `text_turn/delivery_yue`). Here each list is compiled once into one
//! Aho-Corasick automaton and the text is scanned once.
//!
//! The automata are cached by the list's address: only `'static` lists (the engine's `const`
//! cue lists) are accepted, so an address always names the same words for the life of the
//! program.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// One list, compiled: the automaton over its words (`None` when it cannot be built; the callers
/// then search word by word), and whether the list holds the empty word, which every text holds.
struct Compiled {
    ac: Option<AhoCorasick>,
    has_empty: bool,
}

type Cache = RwLock<HashMap<(usize, usize), Arc<Compiled>>>;

static CACHE: LazyLock<Cache> = LazyLock::new(|| RwLock::new(HashMap::new()));

/// The compiled list (built on first use).
fn compiled(words: &'static [&'static str]) -> Arc<Compiled> {
    let key = (words.as_ptr() as usize, words.len());
    if let Ok(cache) = CACHE.read()
        && let Some(c) = cache.get(&key)
    {
        return c.clone();
    }
    let built = Arc::new(Compiled {
        ac: AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(words.iter().filter(|w| !w.is_empty()))
            .inspect_err(|e| tracing::error!(error = %e, "word list automaton"))
            .ok(),
        has_empty: words.iter().any(|w| w.is_empty()),
    });
    if let Ok(mut cache) = CACHE.write() {
        cache.insert(key, built.clone());
    }
    built
}

/// The text holds one of the words as a substring (`"晚上开着吵不吵"` holds `"吵"`).
pub fn any(hay: &str, words: &'static [&'static str]) -> bool {
    let c = compiled(words);
    if c.has_empty {
        return true;
    }
    match &c.ac {
        Some(ac) => ac.is_match(hay),
        None => words.iter().any(|w| hay.contains(w)),
    }
}

/// Like [`any`], but a Latin word must stand alone: no ASCII letter or digit right before it,
/// nor right after it (a plural `s` aside): "fan" is in "a fan" and "fans", not in "fancy".
/// Chinese words need no boundary.
pub fn any_word(hay: &str, words: &'static [&'static str]) -> bool {
    let c = compiled(words);
    if c.has_empty {
        return true;
    }
    let Some(ac) = &c.ac else {
        return words.iter().any(|w| crate::text::contains_word(hay, w));
    };
    ac.find_overlapping_iter(hay).any(|m| {
        let needle = &hay[m.start()..m.end()];
        !needle.is_ascii() || crate::text::word_bounded(hay, m.start(), m.end())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLOURS: &[&str] = &["red", "蓝", "light blue"];

    #[test]
    fn finds_any_substring() {
        assert!(any("我要蓝色的", COLOURS));
        assert!(any("bored", COLOURS));
        assert!(!any("green", COLOURS));
        assert!(!any("", COLOURS));
    }

    #[test]
    fn latin_words_stand_alone() {
        assert!(any_word("a red one", COLOURS));
        assert!(any_word("reds", COLOURS));
        assert!(!any_word("bored", COLOURS));
        assert!(!any_word("redo", COLOURS));
        assert!(any_word("要蓝色", COLOURS));
        // An overlapping later match still counts: "light blue" after a rejected "red".
        assert!(any_word("bored of light blue", COLOURS));
    }

    #[test]
    fn same_answers_as_one_search_per_word() {
        const W: &[&str] = &["吵", "noise", "db", "分贝", "loud"];
        for t in [
            "晚上吵不吵",
            "how loud is it",
            "45db?",
            "dbx",
            "cloudy",
            "噪音",
            "",
        ] {
            assert_eq!(any(t, W), W.iter().any(|w| t.contains(w)), "{t}");
            assert_eq!(
                any_word(t, W),
                W.iter().any(|w| crate::text::contains_word(t, w)),
                "{t}"
            );
        }
    }
}
