//! One suite, run against real SQLite (a temp file, WAL) and real PostgreSQL (`TUOKE_PG_URL`; a
//! fresh database per test; skipped with a printed reason when unset unless `TUOKE_REQUIRE_ALL=1`).

#[macro_use]
mod common;

use std::sync::Arc;

use common::{new_conv, turn_commit};
use serde_json::json;
use tuoke_store::*;

async fn conversation_lifecycle(s: Store) {
    let created = s.create_conversation(new_conv(Some("k1"))).await.unwrap();
    let c = created.conversation.clone();
    assert_eq!(c.version, 1);
    assert_eq!(created.messages.len(), 1);
    assert_eq!(created.messages[0].seq, 1);

    let got = s.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!(got.created_by_key.as_deref(), Some("k1"));
    assert_eq!(got.state["stage"], "greet");

    let done = s
        .commit(turn_commit(&got, "多少钱", Some("m1"), 40), |msgs| {
            Some(json!({"seqs": msgs.iter().map(|m| m.seq).collect::<Vec<_>>()}).to_string())
        })
        .await
        .unwrap();
    assert_eq!(done.version, 2);
    assert_eq!(done.last_seq, 3);
    assert_eq!(
        done.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [2, 3]
    );

    // The stored result comes back for the same client_message_id.
    let r = s.turn_result(&c.id, "m1").await.unwrap().unwrap();
    assert_eq!(r["seqs"], json!([2, 3]));
    assert!(s.turn_result(&c.id, "nope").await.unwrap().is_none());

    // A stale version conflicts; a reused client_message_id is a duplicate.
    let stale = s
        .commit(turn_commit(&got, "again", None, 1), |_| None)
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    let fresh = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    let dup = s
        .commit(turn_commit(&fresh, "多少钱", Some("m1"), 40), |_| None)
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate)), "{dup:?}");
    // …and the failed commit changed nothing.
    let after = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    assert_eq!(after.version, 2);

    let msgs = s.list_messages(&c.id, 0, 100).await.unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1].role, MessageRole::Customer);
    assert_eq!(msgs[1].analysis.as_ref().unwrap().intent.label, "ask_price");
    assert_eq!(
        msgs[2].citations.as_deref(),
        Some(&["faq-price".to_string()][..])
    );
    assert_eq!(s.list_messages(&c.id, 2, 100).await.unwrap().len(), 1);

    let unknown = s
        .commit(
            Commit {
                conversation_id: "nope".into(),
                ..turn_commit(&after, "x", None, 1)
            },
            |_| None,
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound(_))));
    assert!(s.get_conversation("nope").await.unwrap().is_none());

    let list = s
        .list_conversations(Some(Status::Bot), 10, 0)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(
        s.list_conversations(Some(Status::Closed), 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
}
both!(lifecycle, conversation_lifecycle);

/// The LLM mark of a bot message (issue 13) is stored and read back on every write path: the
/// greeting, a plain turn (PostgreSQL's one-statement turn) and a turn with a handoff (the
/// transaction of single statements); messages without one read back `None`.
async fn llm_marks(s: Store) {
    let mut new = new_conv(None);
    new.messages[0].llm = Some(LlmMark::TimedOut);
    let c = s.create_conversation(new).await.unwrap().conversation;
    let mut plain = turn_commit(&c, "多少钱", None, 10);
    plain.messages[1].llm = Some(LlmMark::Used);
    s.commit(plain, |_| None).await.unwrap();
    let c = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    let mut with_handoff = turn_commit(&c, "找人工", None, 10);
    with_handoff.messages[1].llm = Some(LlmMark::Rejected("invented_number".into()));
    with_handoff.handoff = Some(HandoffChange::Requested {
        reason: "request_human".into(),
        summary: json!({}),
    });
    s.commit(with_handoff, |_| None).await.unwrap();
    let c = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    let mut failed = turn_commit(&c, "还有吗", None, 10);
    failed.messages[1].llm = Some(LlmMark::Failed);
    s.commit(failed, |_| None).await.unwrap();
    let marks: Vec<Option<LlmMark>> = s
        .list_messages(&c.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.llm)
        .collect();
    assert_eq!(
        marks,
        [
            Some(LlmMark::TimedOut),
            None,
            Some(LlmMark::Used),
            None,
            Some(LlmMark::Rejected("invented_number".into())),
            None,
            Some(LlmMark::Failed),
        ]
    );
    for m in [
        LlmMark::Used,
        LlmMark::Rejected("omitted".into()),
        LlmMark::TimedOut,
        LlmMark::Failed,
    ] {
        assert_eq!(LlmMark::parse(&m.to_db()), Some(m));
    }
    assert_eq!(LlmMark::parse("something_newer"), None);
}
both!(llm_mark, llm_marks);

/// Many tasks race turns on one conversation: every turn is stored exactly once, seqs are
/// contiguous, and the final version counts every commit (no lost update).
async fn racing_turns(s: Store) {
    let c = s
        .create_conversation(new_conv(None))
        .await
        .unwrap()
        .conversation;
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        let id = c.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for i in 0..10 {
                loop {
                    let cur = s.get_conversation_fresh(&id).await.unwrap().unwrap();
                    match s
                        .commit(turn_commit(&cur, &format!("t{t}-{i}"), None, 10), |_| None)
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::Conflict) => conflicts += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.unwrap();
    }
    let end = s.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!(end.version, 1 + 80, "conflicts retried: {conflicts}");
    let msgs = s.list_messages(&c.id, 0, 1000).await.unwrap();
    assert_eq!(msgs.len(), 1 + 160);
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.seq, i as i64 + 1);
    }
    // Each customer message is followed by its own reply.
    for pair in msgs[1..].chunks(2) {
        assert_eq!(pair[1].text, format!("re: {}", pair[0].text));
    }
}
both!(race, racing_turns);

/// Many conversations committed at once (on SQLite the writer groups them into shared
/// transactions): fresh turns, resent client_message_ids and stale versions sent together each
/// get their own answer, and only the fresh turns are stored.
async fn concurrent_mixed_commits(s: Store) {
    let s = Arc::new(s);
    let mut convs = Vec::new();
    for _ in 0..24 {
        convs.push(
            s.create_conversation(new_conv(None))
                .await
                .unwrap()
                .conversation,
        );
    }
    // Round 1: one turn per conversation, all at once, each with an idempotency key.
    let mut tasks = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        let (s, c) = (s.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            s.commit(
                turn_commit(&c, &format!("first {i}"), Some(&format!("m{i}")), 20),
                |_| Some(format!("{{\"n\":{i}}}")),
            )
            .await
        }));
    }
    for t in tasks {
        let done = t.await.unwrap().unwrap();
        assert_eq!(done.version, 2);
        assert_eq!(
            done.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [2, 3]
        );
    }
    // Round 2, all at once: for each conversation a fresh turn from the current version, a
    // resend of round 1's key, and a turn planned from the stale version 1.
    let mut tasks = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        let cur = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
        let fresh = turn_commit(&cur, &format!("second {i}"), Some(&format!("n{i}")), 30);
        let resend = turn_commit(&cur, &format!("first {i}"), Some(&format!("m{i}")), 20);
        let stale = turn_commit(c, &format!("stale {i}"), None, 40);
        for (kind, commit) in [("fresh", fresh), ("resend", resend), ("stale", stale)] {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                (kind, s.commit(commit, |_| None).await.map(|d| d.version))
            }));
        }
    }
    let mut fresh_ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            ("fresh", Ok(3)) => fresh_ok += 1,
            // The resend and the fresh turn race: whichever commits second sees a moved version
            // or the used key; a resend is never stored.
            ("fresh", Err(StoreError::Conflict)) => {}
            ("resend", Err(StoreError::Duplicate | StoreError::Conflict)) => {}
            ("stale", Err(StoreError::Conflict)) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    for (i, c) in convs.iter().enumerate() {
        let msgs = s.list_messages(&c.id, 0, 100).await.unwrap();
        let texts: Vec<&str> = msgs.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts.iter().filter(|t| t.starts_with("first")).count(),
            1,
            "{texts:?}"
        );
        assert!(!texts.iter().any(|t| t.starts_with("stale")), "{texts:?}");
        for (k, m) in msgs.iter().enumerate() {
            assert_eq!(m.seq, k as i64 + 1);
        }
        let r = s
            .turn_result(&c.id, &format!("m{i}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r["n"], i);
    }
    // The resends are told apart from conflicts: with the fresh turns committed, a resend is
    // always a duplicate.
    for (i, c) in convs.iter().enumerate() {
        let cur = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
        let again = s
            .commit(turn_commit(&cur, "x", Some(&format!("m{i}")), 1), |_| None)
            .await;
        assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    }
    assert!(fresh_ok > 0, "some fresh turns commit");
}
both!(mixed_commits, concurrent_mixed_commits);

async fn keys_and_leads(s: Store) {
    let (k, secret) = s.create_api_key(Role::Agent, "alice").await.unwrap();
    assert!(secret.starts_with("tk_") && secret.len() == 67);
    let found = s.find_api_key(&secret).await.unwrap().unwrap();
    assert_eq!(found.id, k.id);
    assert_eq!(found.role, Role::Agent);
    assert!(s.find_api_key("tk_wrong").await.unwrap().is_none());
    assert_eq!(s.count_api_keys(Some(Role::Agent)).await.unwrap(), 1);
    assert!(s.revoke_api_key(&k.id).await.unwrap());
    assert!(s.find_api_key(&secret).await.unwrap().is_none());

    for score in [10, 80, 50] {
        let c = s
            .create_conversation(new_conv(None))
            .await
            .unwrap()
            .conversation;
        s.commit(turn_commit(&c, "价格", None, score), |_| None)
            .await
            .unwrap();
    }
    let all = s
        .list_leads(&LeadFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|l| l.score).collect::<Vec<_>>(),
        [80, 50, 10]
    );
    assert_eq!(all[0].last_message.as_deref(), Some("re: 价格"));
    let a = s
        .list_leads(&LeadFilter {
            grade: Some("A".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    let asc = s
        .list_leads(&LeadFilter {
            sort: LeadSort::ScoreAsc,
            stage: Some("qualify".into()),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(asc.iter().map(|l| l.score).collect::<Vec<_>>(), [10, 50]);

    let st = s.stats().await.unwrap();
    assert_eq!(st.leads_by_grade["A"], 1);
    assert_eq!(st.leads_by_grade["C"], 2);
    assert_eq!(st.leads_by_grade["B"], 0);
    assert_eq!(st.intents["ask_price"], 3);
    assert_eq!(st.sentiment_by_day.len(), 1);
    assert_eq!(st.sentiment_by_day[0].neutral, 3);
    assert_eq!(st.funnel["qualify"], 3);
    assert_eq!(st.conversations_per_day[0].n, 3);

    // A turn that leaves the lead unchanged only touches it: score, grade and evidence stay,
    // activity time and last message move on.
    let top = s.get_lead(&all[0].conversation_id).await.unwrap().unwrap();
    let conv = s
        .get_conversation_fresh(&top.conversation_id)
        .await
        .unwrap()
        .unwrap();
    let mut touch = turn_commit(&conv, "好的", None, 0);
    touch.lead = None;
    touch.now = top.last_activity + 1000;
    s.commit(touch, |_| None).await.unwrap();
    let after = s.get_lead(&top.conversation_id).await.unwrap().unwrap();
    assert_eq!((after.score, after.grade.as_str()), (80, "A"));
    assert_eq!(after.evidence, top.evidence);
    assert_eq!(after.last_activity, top.last_activity + 1000);
    assert_eq!(after.last_message.as_deref(), Some("re: 好的"));
}
both!(keys, keys_and_leads);

async fn outbox_and_privacy(s: Store) {
    let w = s
        .create_webhook(
            "http://127.0.0.1:9/hook",
            &["lead.grade_changed".to_string()],
            "sekrit",
        )
        .await
        .unwrap();
    let c = s
        .create_conversation(new_conv(None))
        .await
        .unwrap()
        .conversation;
    let mut commit = turn_commit(&c, "我要买", None, 90);
    commit.events = vec![
        (
            "lead.grade_changed".into(),
            json!({"conversation_id": c.id, "to": "A"}),
        ),
        ("handoff.requested".into(), json!({"conversation_id": c.id})),
    ];
    commit.handoff = Some(HandoffChange::Requested {
        reason: "customer asked".into(),
        summary: json!({"text": "wants to buy"}),
    });
    commit.status = Status::HandedOff;
    s.commit(commit, |_| None).await.unwrap();
    assert!(s.open_handoff(&c.id).await.unwrap().is_some());

    // Only the subscribed event is queued; claiming leases it so a second claim gets nothing.
    let now = now_ms();
    let d = s.claim_deliveries(now, 30_000, 10).await.unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].event, "lead.grade_changed");
    assert_eq!(d[0].secret, "sekrit");
    assert_eq!(d[0].webhook_id, w.id);
    assert!(
        s.claim_deliveries(now, 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After a failed attempt it becomes due again at the scheduled time.
    s.retry_delivery(&d[0].id, now + 1000, "connection refused")
        .await
        .unwrap();
    assert!(
        s.claim_deliveries(now + 500, 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.claim_deliveries(now + 1500, 30_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    s.mark_delivered(&again[0].id, now + 1600).await.unwrap();
    assert!(
        s.claim_deliveries(now + 90_000, 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let rows = s.list_outbox(10).await.unwrap();
    assert_eq!(rows[0].attempts, 2);
    assert!(rows[0].delivered_at.is_some());

    s.audit(
        Some("key1"),
        "customer.export",
        Some(&c.customer_id),
        &json!({}),
    )
    .await
    .unwrap();
    assert_eq!(s.list_audit(10).await.unwrap()[0].action, "customer.export");

    let ex = s.export_customer(&c.customer_id).await.unwrap().unwrap();
    assert_eq!(ex.customer.phone.as_deref(), Some("+8613912345678"));
    assert_eq!(ex.conversations.len(), 1);
    assert_eq!(ex.conversations[0].messages.len(), 3);
    assert_eq!(ex.conversations[0].handoffs.len(), 1);
    assert!(s.delete_customer(&c.customer_id).await.unwrap());
    assert!(s.get_customer(&c.customer_id).await.unwrap().is_none());
    assert!(s.get_conversation(&c.id).await.unwrap().is_none());
    assert!(s.export_customer(&c.customer_id).await.unwrap().is_none());
    assert_eq!(s.count_messages().await.unwrap(), 0);
    assert!(!s.delete_customer(&c.customer_id).await.unwrap());
}
both!(outbox, outbox_and_privacy);

/// Retention: old stored turn responses are cleared (more than one batch of them), newer ones
/// stay, an old client_message_id is still refused; finished outbox rows go, pending ones stay.
async fn retention(s: Store) {
    let hour = 3_600_000;
    let now = now_ms();
    let mut c = s
        .create_conversation(new_conv(None))
        .await
        .unwrap()
        .conversation;
    let old_turns = 510;
    for i in 0..=old_turns {
        let cmid = format!("m{i}");
        let mut commit = turn_commit(&c, "多少钱", Some(&cmid), 10);
        // The last turn is recent; the others are two hours old.
        commit.now = if i == old_turns { now } else { now - 2 * hour };
        let done = s
            .commit(commit, |_| Some(json!({"turn": i}).to_string()))
            .await
            .unwrap();
        c.version = done.version;
        c.last_seq = done.last_seq;
    }
    assert_eq!(
        s.prune_turn_results(now - hour).await.unwrap(),
        old_turns as u64
    );
    assert!(s.turn_result(&c.id, "m0").await.unwrap().is_none());
    assert!(s.turn_result(&c.id, "m509").await.unwrap().is_none());
    let kept = s.turn_result(&c.id, "m510").await.unwrap().unwrap();
    assert_eq!(kept["turn"], 510);
    // The messages themselves stay, and their ids still guard against double processing.
    assert_eq!(
        s.count_messages().await.unwrap(),
        1 + 2 * (old_turns as i64 + 1)
    );
    let again = s
        .commit(turn_commit(&c, "多少钱", Some("m0"), 10), |_| None)
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    assert_eq!(s.prune_turn_results(now - hour).await.unwrap(), 0);

    s.create_webhook(
        "http://127.0.0.1:9/hook",
        &["lead.grade_changed".to_string()],
        "k",
    )
    .await
    .unwrap();
    for _ in 0..3 {
        s.enqueue_event("lead.grade_changed", &json!({"conversation_id": c.id}))
            .await
            .unwrap();
    }
    let d = s.claim_deliveries(now_ms(), 30_000, 10).await.unwrap();
    assert_eq!(d.len(), 3);
    s.mark_delivered(&d[0].id, now - 2 * hour).await.unwrap();
    s.fail_delivery(&d[1].id, now - 2 * hour, "gone")
        .await
        .unwrap();
    s.retry_delivery(&d[2].id, now + hour, "busy")
        .await
        .unwrap();
    assert_eq!(s.prune_outbox(now - hour).await.unwrap(), 2);
    let left = s.list_outbox(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, d[2].id);
    assert_eq!(s.prune_outbox(now - hour).await.unwrap(), 0);
}
both!(retention_suite, retention);

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let s = Store::connect(&url).await.unwrap();
    let c = s.create_conversation(new_conv(None)).await.unwrap();
    s.close().await;
    let s = Store::connect(&url).await.unwrap();
    assert!(
        s.get_conversation(&c.conversation.id)
            .await
            .unwrap()
            .is_some()
    );
    let mode: String = {
        // WAL is on for file databases.
        let p = std::fs::read_dir(dir.path()).unwrap();
        let names: Vec<String> = p
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if names.iter().any(|n| n.ends_with("-wal")) {
            "wal".into()
        } else {
            names.join(",")
        }
    };
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn bad_urls_are_errors() {
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::BadUrl(_))
    ));
}
