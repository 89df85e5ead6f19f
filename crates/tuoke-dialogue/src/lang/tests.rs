//! Unit tests of the reply-variety decision.

use super::*;

fn an(text: &str, dialect: Dialect) -> Analysis {
    let mut a = Analysis::with_intent(text, "ask_price", 0.9);
    a.dialect = dialect;
    a.language = if cjk_chars(text) == 0 {
        Language::En
    } else {
        Language::Zh
    };
    a
}

#[test]
fn a_language_someone_else_speaks_is_no_request() {
    assert_eq!(
        signal(&an(
            "My parents only speak Cantonese. Do you have a voice assistant that understands them?",
            Dialect::Cmn
        )),
        Signal::Clear(Variety::En)
    );
    assert_eq!(
        signal(&an("我爸妈只会讲广东话，音箱听得懂吗？", Dialect::Cmn)),
        Signal::Clear(Variety::Cmn)
    );
    // Asked for, it still switches.
    assert_eq!(
        signal(&an("Can you speak Cantonese?", Dialect::Cmn)),
        Signal::Explicit(Variety::Yue)
    );
    assert_eq!(
        signal(&an("可唔可以用普通话？我阿妈睇唔明广东话", Dialect::Yue)),
        Signal::Explicit(Variety::Cmn)
    );
}

fn run(turns: &[(&str, Dialect)]) -> Vec<Variety> {
    let mut v = Variety::Cmn;
    let mut mem = LangState::default();
    turns
        .iter()
        .map(|(t, d)| {
            v = decide(v, &mut mem, &an(t, *d));
            v
        })
        .collect()
}

#[test]
fn one_ambiguous_turn_never_flips_mandarin_to_cantonese() {
    use Dialect::*;
    let v = run(&[
        ("这个净化器多少钱", Cmn),
        ("我想买一台扫地机器人", Yue),
        ("A7", Yue),
    ]);
    assert_eq!(v, vec![Variety::Cmn; 3]);
}

#[test]
fn mandarin_za_and_a_lone_marker_keep_mandarin() {
    use Dialect::*;
    let v = run(&[
        ("X20 多少钱", Cmn),
        ("那我买了下个月你们搞活动降价咋办", Cmn),
        ("行吧，我想想", Cmn),
    ]);
    assert_eq!(v, vec![Variety::Cmn; 3]);
    // A Cantonese sentence-final 咋 still counts.
    assert_eq!(
        signal(&an("得一年保养咋？", Yue)),
        Signal::Clear(Variety::Yue)
    );
    // One Cantonese word waits for a second turn; two switch, even when the dialect model
    // hesitates.
    let v = run(&[("X20 多少钱", Cmn), ("快啲送", Cmn), ("快啲送得唔得", Cmn)]);
    assert_eq!(v, vec![Variety::Cmn, Variety::Cmn, Variety::Yue]);
}

#[test]
fn cantonese_words_switch_and_short_turns_keep_it() {
    use Dialect::*;
    let v = run(&[
        ("呢部幾多錢呀", Yue),
        ("A7", Cmn),
        ("好", Cmn),
        ("送貨要幾耐", Yue),
    ]);
    assert_eq!(v, vec![Variety::Yue; 4]);
    // Two clear Mandarin turns are needed to go back.
    let v = run(&[
        ("有冇得平啲", Yue),
        ("这个是什么颜色的", Cmn),
        ("那个怎么卖的", Cmn),
    ]);
    assert_eq!(v, vec![Variety::Yue, Variety::Yue, Variety::Cmn]);
}

#[test]
fn explicit_requests_are_honoured_and_kept() {
    use Dialect::*;
    let v = run(&[
        ("这个多少钱", Cmn),
        ("English please", Cmn),
        ("A7呢", Cmn),
        ("这个是什么", Cmn),
        ("可唔可以講廣東話", Yue),
    ]);
    assert_eq!(
        v,
        vec![
            Variety::Cmn,
            Variety::En,
            Variety::En,
            Variety::En,
            Variety::Yue
        ]
    );
}

#[test]
fn english_sentences_switch_but_model_names_do_not() {
    use Dialect::*;
    let v = run(&[
        ("x20多少钱", Cmn),
        ("X20 Ultra", Cmn),
        ("how long is the warranty", Cmn),
    ]);
    assert_eq!(v, vec![Variety::Cmn, Variety::Cmn, Variety::En]);
    let v = run(&[("How much is the A7?", Cmn), ("ok", Cmn), ("好的", Cmn)]);
    assert_eq!(v, vec![Variety::En, Variety::En, Variety::Cmn]);
}
