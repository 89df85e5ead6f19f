//! English chat shorthand spelled out before analysis: "hw much", "diff btw x10 n x20", "which 1
//! is better" are how people type on phones, and every later step (clause split, intent,
//! retrieval) reads whole words. Written by hand: a closed list of whole-word replacements, with
//! the few that need a neighbour ("btw" is "between" after "diff", "1" is "one" after "which").
//! Only ASCII words are touched; Chinese text passes through unchanged.

/// Whole-word replacements (lower-case key).
const WORDS: &[(&str, &str)] = &[
    ("u", "you"),
    ("ur", "your"),
    ("r", "are"),
    ("hw", "how"),
    ("wat", "what"),
    ("wut", "what"),
    ("wht", "what"),
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thanks"),
    ("diff", "difference"),
    ("n", "and"),
    ("w/", "with"),
    ("w/o", "without"),
    ("tmr", "tomorrow"),
    ("tmrw", "tomorrow"),
    ("tmw", "tomorrow"),
    ("abt", "about"),
    ("cuz", "because"),
    ("coz", "because"),
    ("gd", "good"),
    ("dont", "don't"),
    ("cant", "can't"),
    ("wont", "won't"),
    ("doesnt", "doesn't"),
    ("isnt", "isn't"),
    ("im", "I'm"),
    ("ya", "you"),
    ("hrs", "hours"),
    ("mins", "minutes"),
    ("yrs", "years"),
    ("mths", "months"),
    ("qty", "quantity"),
];

/// Replacements that depend on the word before ("diff btw" = difference between; "which 1").
const AFTER: &[(&str, &str, &str)] = &[
    ("difference", "btw", "between"),
    ("diff", "btw", "between"),
    ("which", "1", "one"),
    ("the", "1", "one"),
    ("this", "1", "one"),
    ("that", "1", "one"),
];

/// Number words that voice typing writes for the digits of a model code ("x twenty ultra").
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
];

/// "x twenty ultra" → "x20 ultra", "the l five pro" → "the l5 pro": a lone letter (not the
/// words "a" and "i") followed by a number word is a model code read aloud.
fn spoken_model_codes(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut changed = false;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let letter = w.len() == 1
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && !matches!(w, "a" | "A" | "i" | "I");
        let digits = words.get(i + 1).and_then(|n| {
            let bare = n.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
            NUMBER_WORDS
                .iter()
                .find(|(word, _)| bare.eq_ignore_ascii_case(word))
                .map(|(_, d)| (*d, &n[bare.len()..]))
        });
        match digits {
            Some((d, tail)) if letter => {
                out.push(format!("{w}{d}{tail}"));
                changed = true;
                i += 2;
            }
            _ => {
                out.push(w.to_string());
                i += 1;
            }
        }
    }
    changed.then(|| out.join(" "))
}

/// `text` with English chat shorthand spelled out; `None` when nothing changed (the common case).
pub fn expand(text: &str) -> Option<String> {
    if !text.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let spoken = spoken_model_codes(text);
    let text = spoken.as_deref().unwrap_or(text);
    let expanded = expand_words(text);
    expanded.or(spoken)
}

fn expand_words(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut prev: Option<String> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let word_len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '/' || c == '\''))
            .map_or(rest.len(), |(i, _)| i);
        if word_len == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            if !c.is_whitespace() {
                prev = None;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        let lower = word.to_ascii_lowercase();
        let replacement = replace(prev.as_deref(), &lower, next_char(&rest[word_len..]));
        match replacement {
            Some(r) => {
                out.push_str(r);
                changed = true;
            }
            None => out.push_str(word),
        }
        prev = Some(lower);
        rest = &rest[word_len..];
    }
    changed.then_some(out)
}

fn next_char(s: &str) -> Option<char> {
    s.chars().find(|c| !c.is_whitespace())
}

fn replace(prev: Option<&str>, word: &str, next: Option<char>) -> Option<&'static str> {
    if let Some(p) = prev
        && let Some((_, _, r)) = AFTER.iter().find(|(a, w, _)| *a == p && *w == word)
    {
        return Some(r);
    }
    // "n" is "and" only between two words or models ("x10 n x20").
    if word == "n" && (prev.is_none() || next.is_none_or(|c| !c.is_ascii_alphanumeric())) {
        return None;
    }
    // "r" is "are" only inside a sentence ("r they quiet", "how r u"), never a lone letter.
    if word == "r" && next.is_none_or(|c| !c.is_ascii_alphabetic()) {
        return None;
    }
    WORDS.iter().find(|(w, _)| *w == word).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn spoken_model_codes_become_codes() {
        assert_eq!(
            expand("hi i want to ask about the x twenty ultra how much").as_deref(),
            Some("hi i want to ask about the x20 ultra how much")
        );
        assert_eq!(
            expand("is the d thirteen quiet?").as_deref(),
            Some("is the d13 quiet?")
        );
        // "a" and "i" are words, not model letters.
        assert_eq!(expand("a two year warranty"), None);
        assert_eq!(expand("i two"), None);
    }

    #[test]
    fn spells_out_chat_shorthand() {
        assert_eq!(
            expand("diff btw x10 n x20?? under 2k ideally").as_deref(),
            Some("difference between x10 and x20?? under 2k ideally")
        );
        assert_eq!(expand("hw much is it").as_deref(), Some("how much is it"));
        assert_eq!(
            expand("which 1 is good with pets? pls").as_deref(),
            Some("which one is good with pets? please")
        );
        assert_eq!(
            expand("r u open tmr").as_deref(),
            Some("are you open tomorrow")
        );
    }

    #[test]
    fn leaves_numbers_models_and_chinese_alone() {
        assert_eq!(expand("I need 4 units of the R8"), None);
        assert_eq!(expand("A7 多少钱？"), None);
        assert_eq!(expand("滤芯多久换"), None);
        assert_eq!(expand("btw is it quiet?"), None);
        assert_eq!(expand("model n"), None);
        assert_eq!(expand("plan R"), None);
    }
}
