//! Questions about several products at once: comparing them ("有什么区别", "which is better"),
//! how far apart they are ("差几多"), referring to them together ("这两款", "both").

use super::has;

pub(crate) const COMPARE: &[&str] = &[
    "区别",
    "區別",
    "分别",
    "分別",
    "不同",
    "差别",
    "差別",
    "差异",
    "差異",
    "对比",
    "對比",
    "比较",
    "比較",
    "哪个好",
    "哪個好",
    "哪款好",
    "哪个更",
    "哪款更",
    "邊部好",
    "边部好",
    "邊款好",
    "边款好",
    "邊個好",
    "边个好",
    "有咩唔同",
    "difference",
    "differ",
    "compare",
    "comparison",
    "which is better",
    "比差",
    "差些什么",
    "差在哪",
    "差在哪里",
    "差别在哪",
    "为什么不选",
    "为什么不拣",
    "为什么不买",
    "why not the",
    "how does it compare",
    "which one is better",
    "vs",
    "versus",
    // Which of those in play is more so ("咁邊部靜啲？", "which one is quieter?"): side by side.
    "邊部靜",
    "边部静",
    "哪部静",
    "哪个静",
    "哪個靜",
    "哪款静",
    "邊款靜",
    "边款静",
    "邊部細聲",
    "边部细声",
    "哪个声音小",
    "哪款声音小",
    "which is quieter",
    "which one is quieter",
    "which is louder",
    "which one is louder",
    "which is cheaper",
    "which one is cheaper",
    // "A7 比 A3 多了什么", "what would I get with the A7 that the A3 doesn't have?"
    "多了什么",
    "多了啥",
    "多咗咩",
    "多咗啲咩",
    "贵在哪",
    "贵喺边",
    "有什么不一样",
    "有啥不一样",
    "doesn't have",
    "does not have",
    "hasn't got",
    "better than",
    "worth the extra",
];

/// The difference of a price, not of two products ("降价了能退差价吗", "do I get the difference
/// back?").
const PRICE_DIFFERENCE: &[&str] = &[
    "差价",
    "差價",
    "补差",
    "補差",
    "difference back",
    "the difference refunded",
    "refund the difference",
    "pay the difference",
    "price difference",
];

/// The question weighs products against each other ("有什么区别", "which is better").
pub(crate) fn compares(lower: &str) -> bool {
    has(lower, COMPARE) && !has(lower, PRICE_DIFFERENCE)
}

/// "A3同A7差几多": how far apart two products are; a comparison unless it asks the price
/// ("A3和A7差多少钱" wants both prices, which the price path gives).
pub(crate) const DIFFERENCE: &[&str] = &["差几多", "差多少", "相差", "差距"];

/// Words that make a clause about several products at once ("这两款", "它们", "both").
pub(crate) const PLURAL: &[&str] = &[
    "两款",
    "兩款",
    "两个",
    "兩個",
    "两部",
    "兩部",
    "它们",
    "它們",
    "佢哋",
    "both",
    "these two",
    "the two",
    "them",
];

/// "这两款", "它们", "both": the text refers to several products at once.
pub fn refers_to_several(lower: &str) -> bool {
    has(lower, PLURAL)
}
