//! A candidate entity found by a rule, its [`Tier`], and the overlap resolution that keeps a
//! non-overlapping subset of the candidates.

use tuoke_core::EntityType;

/// How specific a candidate is; more specific candidates win overlaps regardless of length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    Specific,
    General,
}

/// An entity found by a rule or the gazetteer, before overlaps are resolved: its kind, char span
/// in the normalized text, value and tier.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) kind: EntityType,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: serde_json::Value,
    tier: Tier,
}

impl Candidate {
    pub(crate) fn new(
        kind: EntityType,
        start: usize,
        end: usize,
        value: serde_json::Value,
        tier: Tier,
    ) -> Candidate {
        Candidate {
            kind,
            start,
            end,
            value,
            tier,
        }
    }
}

/// Keep a non-overlapping subset: specific kinds (phone, e-mail, WeChat) first, then longer spans,
/// then earlier ones; the result is sorted by start.
pub(crate) fn resolve_overlaps(c: &mut Vec<Candidate>) {
    c.sort_by(|a, b| {
        a.tier
            .cmp(&b.tier)
            .then((b.end.saturating_sub(b.start)).cmp(&a.end.saturating_sub(a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(c.len());
    for x in c.drain(..) {
        if kept.iter().all(|k| x.end <= k.start || k.end <= x.start) {
            kept.push(x);
        }
    }
    kept.sort_by_key(|k| k.start);
    *c = kept;
}
