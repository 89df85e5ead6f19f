//! Clause splitting: one customer turn often holds several questions or statements
//! ("A7 多少钱？滤芯多久换？", "能开发票吗，另外多久能到", "how much is it and also does it work
//! with HomeKit"). Splits on sentence punctuation, on connectives ("还有", "另外", "顺便问一下",
//! "仲有", "and also", "also,", "btw"), and on a comma between two parts that each ask something.
//! Spans are char offsets into the original text; a clause keeps its own punctuation.

/// Sentence-ending marks that always end a clause.
const ENDS: &[char] = &['。', '！', '？', '!', '?', '；', ';', '\n', '…'];
/// Commas: they end a clause only between two questions, or before a connective.
const COMMAS: &[char] = &['，', ',', '、'];

/// Connectives that start a new clause (lower-case; matched at a clause boundary or after a comma).
const CONNECTIVES: &[&str] = &[
    "还有",
    "還有",
    "另外",
    "顺便问",
    "順便問",
    "顺便",
    "順便",
    "再问",
    "再問",
    "仲有",
    "同埋",
    "另外想问",
    "and also",
    "also,",
    "also ",
    "btw",
    "by the way",
    "plus,",
    "besides",
    "what about",
    "and what",
    "and how",
    "and is",
    "and does",
    "and can",
    "and do",
];

/// Question words and particles (both scripts; Mandarin, Cantonese, English).
const QUESTION_CUES: &[&str] = &[
    "咋",
    "啥",
    "多深",
    "多高",
    "多远",
    "多遠",
    "多厚",
    "多快",
    "多久",
    "多长",
    "多長",
    "多大",
    "多重",
    "多宽",
    "幾耐",
    "几耐",
    "幾大",
    "吗",
    "嗎",
    "么",
    "麼",
    "呢",
    "多少",
    "几",
    "幾",
    "什么",
    "什麼",
    "怎么",
    "怎麼",
    "怎样",
    "怎樣",
    "哪",
    "谁",
    "誰",
    "为什么",
    "為什麼",
    "是否",
    "能否",
    "可否",
    "有没有",
    "有沒有",
    "能不能",
    "可不可以",
    "是不是",
    "会不会",
    "會不會",
    "要不要",
    "咩",
    "乜",
    "點解",
    "点解",
    "點樣",
    "点样",
    "邊",
    "边个",
    "边度",
    "边款",
    "边部",
    "有冇",
    "係咪",
    "系咪",
    "得唔得",
    "可唔可以",
    "會唔會",
    "会唔会",
    "使唔使",
    "嘛",
    "吵不吵",
    "贵不贵",
    "貴不貴",
    "好不好",
    "行不行",
    "how",
    "what",
    "which",
    "when",
    "where",
    "why",
    "who",
    "does",
    "do you",
    "can i",
    "can you",
    "can it",
    "is it",
    "is there",
    "are there",
    "will it",
    "would it",
    "could",
    "should",
];

/// Does this text ask something?
pub fn is_question(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains('?') || lower.contains('？') {
        return true;
    }
    // "X不X" ("吵不吵", "能不能", "贵唔贵"): a verb or adjective, 不/唔, the same again.
    let chars: Vec<char> = lower.chars().collect();
    if chars.windows(3).any(|w| {
        (w[1] == '不' || w[1] == '唔' || w[1] == '没' || w[1] == '沒')
            && w[0] == w[2]
            && !w[0].is_ascii()
    }) {
        return true;
    }
    // 呢 before a measure word is the Cantonese "this" (呢个周末, 呢部), not the question particle.
    let lower = if lower.contains('呢') {
        let cs: Vec<char> = lower.chars().collect();
        cs.iter()
            .enumerate()
            .filter(|&(i, c)| {
                !(*c == '呢'
                    && cs.get(i + 1).is_some_and(|n| {
                        "个個度啲排间間位款部只隻种種次条條件张張样樣".contains(*n)
                    }))
            })
            .map(|(_, c)| *c)
            .collect::<String>()
    } else {
        lower
    };
    // English yes/no questions typed without a mark: an auxiliary verb first ("is the 12 month
    // plan interest free", "do you ship to Macau").
    const AUX_FIRST: &[&str] = &[
        "is", "are", "do", "does", "did", "can", "could", "will", "would", "should", "has", "have",
        "was", "were", "any",
    ];
    if lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())
        .is_some_and(|w| AUX_FIRST.contains(&w))
        && lower
            .trim_start()
            .starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return true;
    }
    QUESTION_CUES.iter().any(|q| {
        if q.is_ascii() {
            // English cue words only at a word start.
            lower
                .match_indices(q)
                .any(|(i, _)| i == 0 || !lower[..i].ends_with(|c: char| c.is_ascii_alphanumeric()))
        } else {
            lower.contains(q)
        }
    })
}

/// Clause spans `(start, end)` in chars, covering the text in order (whitespace-only parts are
/// dropped). A text with no boundary is one clause.
pub fn split(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    // `to_lowercase` can change the char count for a few letters; then only punctuation splits.
    let same_len = lower.len() == chars.len();
    let mut cuts: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if ENDS.contains(&c) {
            // Keep runs of marks ("？？", "!?") with the clause they end.
            let mut j = i + 1;
            while j < chars.len() && (ENDS.contains(&chars[j]) || chars[j] == ' ') {
                j += 1;
            }
            cuts.push(j);
            i = j;
            continue;
        }
        if c == '.' && english_sentence_end(&lower, i) {
            let mut j = i + 1;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            cuts.push(j);
            i = j;
            continue;
        }
        if same_len && i > 0 && connective_at(&lower, i) {
            // Cut before the connective, and read past it ("and also" is one connective).
            cuts.push(i);
            let rest: String = lower[i..lower.len().min(i + 16)].iter().collect();
            let len = CONNECTIVES
                .iter()
                .filter(|c| rest.starts_with(*c))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(1);
            i += len.max(1);
            continue;
        }
        i += 1;
    }
    cuts.push(chars.len());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for &cut in &cuts {
        if cut > start {
            spans.push((start, cut));
            start = cut;
        }
    }
    // Commas between two question parts.
    let mut out = Vec::new();
    for (s, e) in spans {
        out.extend(split_commas(&chars, s, e));
    }
    // Voice-typed text with no punctuation at all: cut where one question ends and the next
    // begins ("a7多少钱滤芯多久换一次能不能便宜点").
    if same_len
        && !chars
            .iter()
            .any(|c| ENDS.contains(c) || COMMAS.contains(c) || *c == '.')
    {
        out = out
            .into_iter()
            .flat_map(|(s, e)| run_on_cuts(&lower, s, e))
            .collect();
    }
    out.retain(|&(s, e)| chars[s..e].iter().any(|c| c.is_alphanumeric()));
    if out.is_empty() && !chars.is_empty() {
        out.push((0, chars.len()));
    }
    merge_fragments(&chars, out)
}

/// A price question that ends a question in run-on text ("幾多錢呀", "多少钱").
const PRICE_ENDS: &[&str] = &["多少钱", "多少錢", "几多钱", "幾多錢", "几钱", "幾錢"];
/// Sentence-final particles that may follow it.
const PARTICLES: &[char] = &['呀', '啊', '啦', '呢', '吖', '嘛', '喎', '先'];
/// Words that open a yes/no question ("能不能便宜点", "有冇得平啲").
const QUESTION_STARTS: &[&str] = &[
    "能不能",
    "可不可以",
    "有没有",
    "有沒有",
    "有冇",
    "可唔可以",
    "得唔得",
    "会不会",
    "會不會",
    "是不是",
    "要不要",
    "使唔使",
    "能否",
    "支不支持",
    "包不包",
];

/// Cuts inside one unpunctuated clause `s..e`: after a Chinese price question that more text
/// follows (or an English "how much" followed by "and"), and before a yes/no question opener
/// when the part before it already asks something.
fn run_on_cuts(lower: &[char], s: usize, e: usize) -> Vec<(usize, usize)> {
    let text: String = lower[s..e].iter().collect();
    let at = |byte: usize| text[..byte].chars().count() + s;
    let mut cuts: Vec<usize> = Vec::new();
    for w in PRICE_ENDS {
        for (b, _) in text.match_indices(w) {
            let mut end = at(b) + w.chars().count();
            while end < e && PARTICLES.contains(&lower[end]) {
                end += 1;
            }
            if end + 2 <= e && lower[end..e].iter().any(|c| !c.is_ascii()) {
                cuts.push(end);
            }
        }
    }
    // "the x20 ultra how much and the mop can wash by itself or not".
    for (b, _) in text.match_indices("how much and ") {
        cuts.push(at(b) + "how much ".len());
    }
    for w in QUESTION_STARTS {
        for (b, _) in text.match_indices(w) {
            let start = at(b);
            let from = cuts
                .iter()
                .copied()
                .filter(|&c| c <= start)
                .max()
                .unwrap_or(s);
            let before: String = lower[from..start].iter().collect();
            if start > from + 2 && is_question(&before) {
                cuts.push(start);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut from = s;
    for c in cuts.into_iter().filter(|&c| c > s && c < e) {
        out.push((from, c));
        from = c;
    }
    out.push((from, e));
    out
}

/// Greetings that open a message.
const GREETINGS: &[&str] = &[
    "你好",
    "您好",
    "你们好",
    "您们好",
    "哈喽",
    "哈啰",
    "哈囉",
    "喂",
    "嗨",
    "早上好",
    "早晨",
    "晚上好",
    "下午好",
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
];

/// What follows an opening greeting ("你好，X20多少钱？" → "X20多少钱？"), when something does.
pub fn after_greeting(text: &str) -> Option<String> {
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    let chars: Vec<char> = text.chars().collect();
    if lower.len() != chars.len() {
        return None;
    }
    let t: String = lower.iter().collect();
    let trimmed = t.trim_start();
    let lead = lower.len() - trimmed.chars().count();
    let g = GREETINGS.iter().find(|g| trimmed.starts_with(*g))?;
    let after = lead + g.chars().count();
    let mut j = after;
    while j < lower.len() && (COMMAS.contains(&lower[j]) || "!！ ~～".contains(lower[j])) {
        j += 1;
    }
    let rest: String = chars[j..].iter().collect();
    (j > after && rest.chars().any(char::is_alphanumeric)).then_some(rest)
}

/// Words whose trailing period ends no sentence ("Mr. Li", "e.g. the A7", "approx. 60").
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "nos", "inc", "ltd",
    "co", "jr", "sr", "rd", "ave", "sq", "ft", "min", "max", "a.m", "p.m",
];

/// An ASCII period at `i` ends an English sentence: a word before it (not a number: "2.5",
/// "¥2,499." stays whole only between digits), a space after it, and the word is no
/// abbreviation.
fn english_sentence_end(lower: &[char], i: usize) -> bool {
    if i == 0 || lower.get(i + 1) != Some(&' ') {
        return false;
    }
    let next = lower[i + 1..].iter().find(|c| **c != ' ');
    if next.is_none_or(|c| c.is_ascii_digit()) {
        return false;
    }
    let mut s = i;
    while s > 0 && (lower[s - 1].is_ascii_alphanumeric() || lower[s - 1] == '.') {
        s -= 1;
    }
    let word: String = lower[s..i].iter().collect();
    !word.is_empty()
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && !ABBREVIATIONS.contains(&word.as_str())
        && word.chars().count() > 1
}

fn connective_at(lower: &[char], i: usize) -> bool {
    let prev = lower[i - 1];
    let at_boundary = COMMAS.contains(&prev) || prev == ' ' || ENDS.contains(&prev);
    if !at_boundary {
        return false;
    }
    let rest: String = lower[i..lower.len().min(i + 16)].iter().collect();
    CONNECTIVES.iter().any(|c| rest.starts_with(c))
}

/// Split `s..e` at commas when the parts on both sides ask something.
/// A space between two Chinese characters, which phone typists put where a comma goes ("几钱
/// 保养几耐", "佢哋住广州 道门好厚 装唔装到").
fn cjk_space(chars: &[char], i: usize) -> bool {
    let cjk = |c: Option<&char>| c.is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(c));
    chars[i] == ' ' && i > 0 && cjk(chars.get(i - 1)) && cjk(chars.get(i + 1))
}

fn split_commas(chars: &[char], s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = s;
    for (i, c) in chars.iter().enumerate().take(e).skip(s) {
        if COMMAS.contains(c) || cjk_space(chars, i) {
            parts.push((start, i + 1));
            start = i + 1;
        }
    }
    parts.push((start, e));
    if parts.len() == 1 {
        return parts;
    }
    let text = |(a, b): (usize, usize)| chars[a..b].iter().collect::<String>();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for p in parts {
        match out.last_mut() {
            Some(last) if !(is_question(&text(*last)) && is_question(&text(p))) => last.1 = p.1,
            _ => out.push(p),
        }
    }
    out
}

/// A clause of one or two letters ("嗯，", "ok.") joins the next one (or the previous one at the end).
/// Two-character questions that ask something whole ("幾錢？寄香港要幾耐？": the price, then the
/// delivery), so they are not merged into the next clause like "嗯，" or "好的！".
const WHOLE_QUESTIONS: &[&str] = &[
    "几钱", "幾錢", "几多", "幾多", "多少", "价钱", "價錢", "咩价", "咩價",
];

fn is_whole_question(span: &[char]) -> bool {
    let t: String = span.iter().filter(|c| c.is_alphanumeric()).collect();
    WHOLE_QUESTIONS.contains(&t.as_str())
}

fn merge_fragments(chars: &[char], spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let weight =
        |(a, b): (usize, usize)| chars[a..b].iter().filter(|c| c.is_alphanumeric()).count();
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<usize> = None;
    for sp in spans {
        let sp = match pending.take() {
            Some(s) => (s, sp.1),
            None => sp,
        };
        if weight(sp) <= 2 && !is_whole_question(&chars[sp.0..sp.1]) {
            pending = Some(sp.0);
            continue;
        }
        out.push(sp);
    }
    if let Some(s) = pending {
        match out.last_mut() {
            Some(last) => last.1 = chars.len().max(last.1),
            None => out.push((s, chars.len())),
        }
    }
    out
}

#[cfg(test)]
mod tests;
