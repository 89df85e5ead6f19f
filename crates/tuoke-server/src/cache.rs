//! The conversations this process changed last, with their parsed state.
//!
//! A customer turn needs the conversation row (version, auth owner) and its state. Reading the
//! row and parsing its ~15 KB state JSON on every turn cost a database round trip and most of
//! the turn's allocations, so the turn path remembers what it committed. This is safe with
//! several server processes on one database: every change commits with the version it was
//! planned from, so a stale entry only makes that commit fail with a conflict, after which the
//! handler re-reads the row from the database and plans again (see `service::mutate`).
//!
//! Only the customer-turn path reads from the cache; everything else (GETs, agent actions)
//! reads the database. The cache is bounded: when full, half of it is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tuoke_dialogue::ConversationState;
use tuoke_store::Conversation;

/// A conversation row (its `state` JSON left `Null`) and its parsed state.
#[derive(Clone)]
pub struct Loaded {
    pub conv: Conversation,
    pub state: Arc<ConversationState>,
}

pub struct ConvCache {
    map: Mutex<HashMap<String, Loaded>>,
    cap: usize,
}

impl ConvCache {
    pub fn new(cap: usize) -> ConvCache {
        ConvCache {
            map: Mutex::new(HashMap::new()),
            cap: cap.max(1),
        }
    }

    pub fn get(&self, id: &str) -> Option<Loaded> {
        self.map.lock().ok()?.get(id).cloned()
    }

    pub fn put(&self, mut loaded: Loaded) {
        loaded.conv.state = serde_json::Value::Null;
        let Ok(mut m) = self.map.lock() else { return };
        if m.len() >= self.cap && !m.contains_key(&loaded.conv.id) {
            // Which half goes does not matter for correctness; an evicted conversation is read
            // from the database on its next turn.
            let drop: Vec<String> = m.keys().take(self.cap / 2 + 1).cloned().collect();
            for k in drop {
                m.remove(&k);
            }
        }
        m.insert(loaded.conv.id.clone(), loaded);
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(id);
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tuoke_store::Status;

    fn loaded(id: &str, version: i64) -> Loaded {
        let company = Arc::new(tuoke_dialogue::Company::demo());
        let engine = tuoke_dialogue::Engine::new(company);
        let out = engine.start(
            chrono::Utc::now(),
            tuoke_core::Language::Zh,
            tuoke_core::Dialect::Cmn,
        );
        Loaded {
            conv: Conversation {
                id: id.into(),
                customer_id: "c".into(),
                channel: "web".into(),
                status: Status::Bot,
                stage: out.state.stage.clone(),
                state: serde_json::json!({"big": "state"}),
                version,
                last_seq: 1,
                created_by_key: None,
                created_at: 0,
                updated_at: 0,
            },
            state: Arc::new(out.state),
        }
    }

    #[test]
    fn keeps_the_latest_entry_without_the_state_json() {
        let c = ConvCache::new(10);
        c.put(loaded("a", 1));
        c.put(loaded("a", 2));
        let got = c.get("a").expect("cached");
        assert_eq!(got.conv.version, 2);
        assert!(got.conv.state.is_null(), "the JSON copy is not kept");
        assert_eq!(c.len(), 1);
        c.remove("a");
        assert!(c.get("a").is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn stays_within_its_bound() {
        let c = ConvCache::new(8);
        for i in 0..100 {
            c.put(loaded(&format!("k{i}"), 1));
            assert!(c.len() <= 8, "len {} at {i}", c.len());
        }
        assert!(c.get("k99").is_some(), "the newest entry is kept");
    }
}
