//! Per-character normalization that keeps a 1:1 mapping to the original text.
//!
//! Every original `char` becomes exactly one normalized `char`, so a span found in the normalized text
//! is the same char span in the original. Crates such as `unicode-normalization` (NFKC) change the
//! number of chars (e.g. `㎏` → `kg`) and would break that mapping, so this small fold is written by
//! hand: full width → half width, ASCII lower case, and a small Traditional → Simplified table that
//! covers the cue words we match (帳號, 個, 塊, 萬, 禮拜, 聽日, 電話 …) and common brand characters.

/// Fold one char: width, case, Traditional → Simplified.
pub(crate) fn fold_char(c: char) -> char {
    let c = match c {
        // Full-width ASCII block, except the full-width comma which in Chinese text separates list
        // items ("2台，300块") and must not turn into a thousands separator.
        '\u{FF0C}' => c,
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        '\u{FFE5}' => '¥',
        '\u{301C}' => '~',
        '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{2010}' | '\u{2011}' => '-',
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    t2s(c)
}

/// Map a Chinese digit character to its ASCII digit (for phone numbers typed as 一三九…, 幺 = 1).
pub(crate) fn cn_digit(c: char) -> Option<char> {
    Some(match c {
        '零' | '〇' | '洞' => '0',
        '一' | '幺' | '壹' => '1',
        '二' | '两' | '贰' => '2',
        '三' | '叁' => '3',
        '四' | '肆' => '4',
        '五' | '伍' => '5',
        '六' | '陆' => '6',
        '七' | '柒' => '7',
        '八' | '捌' => '8',
        '九' | '玖' => '9',
        _ => return None,
    })
}

/// A small Traditional → Simplified table (single chars only, so the mapping stays 1:1).
fn t2s(c: char) -> char {
    match c {
        '個' => '个',
        '選' => '选',
        '擇' => '择',
        '鎖' => '锁',
        '濾' => '滤',
        '氣' => '气',
        '塵' => '尘',
        '風' => '风',
        '廳' => '厅',
        '簾' => '帘',
        '閥' => '阀',
        '壺' => '壶',
        '鍋' => '锅',
        '爐' => '炉',
        '調' => '调',
        '滌' => '涤',
        '乾' => '干',
        '櫃' => '柜',
        '廚' => '厨',
        '過' => '过',
        '換' => '换',
        '現' => '现',
        '質' => '质',
        '說' => '说',
        '請' => '请',
        '謝' => '谢',
        '讓' => '让',
        '給' => '给',
        '錯' => '错',
        '壞' => '坏',
        '裝' => '装',
        '貼' => '贴',
        '臉' => '脸',
        '紋' => '纹',
        '獨' => '独',
        '創' => '创',
        '環' => '环',
        '護' => '护',
        '閒' => '闲',
        '稱' => '称',
        '尋' => '寻',
        '帳' | '帐' => '账',
        '號' => '号',
        '臺' | '檯' => '台',
        '張' => '张',
        '塊' => '块',
        '錢' => '钱',
        '萬' => '万',
        '億' => '亿',
        '兩' => '两',
        '貳' => '贰',
        '參' => '叁',
        '陸' => '陆',
        '點' => '点',
        '鐘' | '鍾' => '钟',
        '後' => '后',
        '週' => '周',
        '禮' => '礼',
        '聽' => '听',
        '時' => '时',
        '晝' => '昼',
        '電' => '电',
        '話' => '话',
        '碼' => '码',
        '郵' => '邮',
        '聯' => '联',
        '繫' => '系',
        '絡' => '络',
        '機' => '机',
        '戶' => '户',
        '員' => '员',
        '幣' => '币',
        '紙' => '纸',
        '圓' => '圆',
        '頭' => '头',
        '價' => '价',
        '單' => '单',
        '訂' => '订',
        '運' => '运',
        '遞' => '递',
        '編' => '编',
        '為' => '为',
        '華' => '华',
        '蘋' => '苹',
        '達' => '达',
        '釘' => '钉',
        '雲' => '云',
        '騰' => '腾',
        '訊' => '讯',
        '國' => '国',
        '業' => '业',
        '開' => '开',
        '發' => '发',
        '務' => '务',
        '東' => '东',
        '買' => '买',
        '賣' => '卖',
        '這' => '这',
        '們' => '们',
        '來' => '来',
        '會' => '会',
        '當' => '当',
        '對' => '对',
        '關' => '关',
        '門' => '门',
        '問' => '问',
        '見' => '见',
        '間' => '间',
        '長' => '长',
        '車' => '车',
        '軟' => '软',
        '體' => '体',
        '網' => '网',
        '線' => '线',
        '視' => '视',
        '頻' => '频',
        '錄' => '录',
        '語' => '语',
        '識' => '识',
        '記' => '记',
        '設' => '设',
        '備' => '备',
        '產' => '产',
        '際' => '际',
        '極' => '极',
        '樂' => '乐',
        '寶' => '宝',
        '貝' => '贝',
        '貓' => '猫',
        '銷' => '销',
        '團' => '团',
        '隊' => '队',
        '區' => '区',
        '衛' => '卫',
        '標' => '标',
        '準' => '准',
        '專' => '专',
        '層' => '层',
        '學' => '学',
        '樣' => '样',
        '麼' => '么',
        '嗎' => '吗',
        '還' => '还',
        '別' => '别',
        '數' => '数',
        '預' => '预',
        '報' => '报',
        '幾' => '几',
        '鐵' => '铁',
        '飛' => '飞',
        '書' => '书',
        '歲' => '岁',
        '優' => '优',
        '義' => '义',
        '盤' => '盘',
        '興' => '兴',
        '聲' => '声',
        '龍' => '龙',
        '鳥' => '鸟',
        '魚' => '鱼',
        '馬' => '马',
        '愛' => '爱',
        '實' => '实',
        '驗' => '验',
        '證' => '证',
        '協' => '协',
        '議' => '议',
        '計' => '计',
        '劃' => '划',
        '費' => '费',
        '贈' => '赠',
        '雙' => '双',
        '導' => '导',
        '師' => '师',
        '級' => '级',
        '統' => '统',
        '財' => '财',
        '節' => '节',
        '慶' => '庆',
        '測' => '测',
        '試' => '试',
        '輕' => '轻',
        '鬆' => '松',
        '獵' => '猎',
        '頁' => '页',
        '紅' => '红',
        '綠' => '绿',
        '藍' => '蓝',
        '黃' => '黄',
        '寫' => '写',
        '讀' => '读',
        '夥' => '伙',
        '衝' => '冲',
        '廣' => '广',
        '飾' => '饰',
        '鑽' => '钻',
        '齊' => '齐',
        '鋒' => '锋',
        '陣' => '阵',
        '營' => '营',
        '傳' => '传',
        '幫' => '帮',
        '辦' => '办',
        '檔' => '档',
        '腦' => '脑',
        '筆' => '笔',
        '顯' => '显',
        '螢' => '萤',
        '條' => '条',
        '組' => '组',
        '嚮' => '向',
        '蘭' => '兰',
        '亞' => '亚',
        '歐' => '欧',
        '倫' => '伦',
        '羅' => '罗',
        '爾' => '尔',
        '納' => '纳',
        '維' => '维',
        '頓' => '顿',
        '賽' => '赛',
        '凱' => '凯',
        '虛' => '虚',
        '擬' => '拟',
        '據' => '据',
        '庫' => '库',
        '鏈' => '链',
        '聰' => '聪',
        '邁' => '迈',
        '銳' => '锐',
        '晉' => '晋',
        '鴻' => '鸿',
        '與' => '与',
        '從' => '从',
        '紀' => '纪',
        '藝' => '艺',
        '術' => '术',
        '醫' => '医',
        '療' => '疗',
        '響' => '响',
        '應' => '应',
        '輸' => '输',
        '處' => '处',
        '鍵' => '键',
        '燈' => '灯',
        '熱' => '热',
        '溫' => '温',
        '濕' => '湿',
        '淨' => '净',
        '潔' => '洁',
        '掃' => '扫',
        '飲' => '饮',
        '購' => '购',
        '貨' => '货',
        '倉' => '仓',
        '儲' => '储',
        '鏡' => '镜',
        '攝' => '摄',
        '錶' => '表',
        '進' => '进',
        _ => c,
    }
}

/// The normalized view of a text plus the maps between its byte offsets and char indices.
pub(crate) struct Normalized {
    /// Byte offset of every original char, plus the total length (len = n + 1).
    pub orig_bytes: Vec<usize>,
    /// Normalized text (width/case/script folded), same number of chars as the original.
    pub text: String,
    /// Byte offset of every normalized char, plus the total length.
    pub bytes: Vec<usize>,
    /// The normalized chars.
    pub chars: Vec<char>,
}

impl Normalized {
    pub fn new(original: &str) -> Normalized {
        let n = original.chars().count();
        let mut orig_bytes = Vec::with_capacity(n + 1);
        let mut text = String::with_capacity(original.len());
        let mut bytes = Vec::with_capacity(n + 1);
        let mut chars = Vec::with_capacity(n);
        for (b, c) in original.char_indices() {
            orig_bytes.push(b);
            let f = fold_char(c);
            bytes.push(text.len());
            text.push(f);
            chars.push(f);
        }
        orig_bytes.push(original.len());
        bytes.push(text.len());
        Normalized {
            orig_bytes,
            text,
            bytes,
            chars,
        }
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Char index of a byte offset in the normalized text (offsets from regex matches are always
    /// on char boundaries; a stray offset maps to the char containing it).
    pub fn char_at(&self, byte: usize) -> usize {
        match self.bytes.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The original substring for a char span (empty if out of range).
    pub fn original<'a>(&self, original: &'a str, start: usize, end: usize) -> &'a str {
        match (self.orig_bytes.get(start), self.orig_bytes.get(end)) {
            (Some(&a), Some(&b)) if a <= b => original.get(a..b).unwrap_or(""),
            _ => "",
        }
    }

    /// The normalized substring for a char span.
    pub fn slice(&self, start: usize, end: usize) -> &str {
        match (self.bytes.get(start), self.bytes.get(end)) {
            (Some(&a), Some(&b)) if a <= b => self.text.get(a..b).unwrap_or(""),
            _ => "",
        }
    }

    /// The normalized char at `i`, if any.
    pub fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The normalized text of the `k` chars before char index `i`.
    pub fn before(&self, i: usize, k: usize) -> &str {
        self.slice(i.saturating_sub(k), i.min(self.len()))
    }

    /// The normalized text of the `k` chars from char index `i`.
    pub fn after(&self, i: usize, k: usize) -> &str {
        let s = i.min(self.len());
        self.slice(s, (s + k).min(self.len()))
    }
}

/// Normalize a whole string the same way (used for gazetteer names).
pub(crate) fn fold_str(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_one_char_per_char() {
        let s = "１３９　１２３４ ＡＢＣ＠ｘ．ｃｏｍ 兩個帳號 ￥３千";
        let n = Normalized::new(s);
        assert_eq!(n.len(), s.chars().count());
        assert_eq!(n.text, "139 1234 abc@x.com 两个账号 ¥3千");
        assert_eq!(n.original(s, 0, 3), "１３９");
    }

    #[test]
    fn chinese_digits_map_to_ascii() {
        let d: String = "幺三九零两".chars().filter_map(cn_digit).collect();
        assert_eq!(d, "13902");
    }
}
