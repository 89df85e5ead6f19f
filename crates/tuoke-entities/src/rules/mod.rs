//! Money, quantity, phone, e-mail and WeChat rules on the normalized text: [`Rules`] holds the
//! compiled regexes and cue automata (built once per process) and runs every rule.
//!
//! Each rule is in its own file: `money.rs`, `quantity.rs` (both split their match by hand with
//! `amounts.rs`) and `contact.rs` (phones, e-mail addresses, WeChat ids).

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::candidate::Candidate;
use crate::error::EntitiesError;
use crate::normalize::Normalized;
use amounts::NUM;

mod amounts;
mod contact;
mod money;
mod quantity;

/// The compiled regexes and cue automata of every rule (built once per process).
pub(crate) struct Rules {
    money: Regex,
    quantity: Regex,
    email: Regex,
    wechat_cue: Regex,
    /// Price words before a bare number ("预算3000").
    price_cues: AhoCorasick,
    /// Phone words before a bare Hong Kong number.
    phone_cues: AhoCorasick,
    /// Order / invoice / id words: digits after them are not phones.
    order_cues: AhoCorasick,
}

/// One automaton per cue list: a handful of `str::contains` calls per candidate cost more than
/// all the regexes together.
fn cues(words: &[&str]) -> Result<AhoCorasick, EntitiesError> {
    AhoCorasick::new(words).map_err(|e| EntitiesError::Pattern(e.to_string()))
}

fn re(p: &str) -> Result<Regex, EntitiesError> {
    Regex::new(p).map_err(|e| EntitiesError::Pattern(e.to_string()))
}

impl Rules {
    pub fn new() -> Result<Rules, EntitiesError> {
        let cur_pre = r"hk\$|us\$|\$|¥|rmb|cny|usd|hkd|人民币|港币|美金";
        let cur_suf =
            r"块钱|块|蚊|元|圆|美元|美金|港币|港元|港纸|人民币|rmb|usd|hkd|cny|dollars?|bucks|刀";
        let money = format!(
            r"(?:(?P<pre>{cur_pre})[ \t\n]*)?(?P<a>{NUM})(?P<ak>[kw])?(?:[ \t\n]*(?:-|~|到|至|to)[ \t\n]*(?:{cur_pre})?[ \t\n]*(?P<b>{NUM})(?P<bk>[kw])?)?(?:[ \t\n]*(?P<suf>{cur_suf}))?"
        );
        let en_num = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred";
        let quantity = format!(
            r"(?P<a>{NUM}|{en_num})(?:[ \t\n]*(?:-|~|到|至|to)[ \t\n]*(?P<b>{NUM}|{en_num}))?[ \t\n]*(?P<u>个子账号|个账号|个用户|个人|个席位|个坐席|个授权|个终端|个门店|子账号|账号|用户|席位|坐席|授权|终端|门店|口人|(?:个[ \t\n]*)?(?:seats?|licen[cs]es?|users?|units?|accounts?|people|persons?|employees?|staff|members?|agents?|sets?|pcs)|台|套|个|件|张|部|把|人|位|名|家)"
        );
        Ok(Rules {
            money: re(&money)?,
            quantity: re(&quantity)?,
            email: re(
                r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}",
            )?,
            price_cues: cues(&[
                "预算",
                "价",
                "budget",
                "price",
                "多少钱",
                "报价",
                "费",
                "花",
                "付",
                "cost",
                "pay",
                "便宜",
                "贵",
                "出到",
                "我出",
                "接受",
                "钱",
            ])?,
            phone_cues: cues(&[
                "电话",
                "手机",
                "联络",
                "联系",
                "号码",
                "call",
                "phone",
                "tel",
                "whatsapp",
                "mobile",
                "cell",
                "打俾",
                "打给",
                "致电",
                "搵我",
                "contact",
                "短讯",
                "sms",
                "短信",
                "my number",
                "reach me",
                "text me",
                "ring me",
            ])?,
            order_cues: cues(&[
                "订单",
                "单号",
                "order",
                "编号",
                "运单",
                "快递",
                "tracking",
                "发票",
                "no.",
                "#",
                "账号",
                "卡号",
                "身份证",
            ])?,
            wechat_cue: re(r"微信号|微信|威信|薇信|v信|vx号|vx|wx号|wx|weixin|wechat|加v")?,
        })
    }

    pub fn run(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        self.phones(n, out);
        self.emails(n, out);
        self.wechat(n, out);
        self.money(n, out);
        self.quantity(n, out);
    }
}
