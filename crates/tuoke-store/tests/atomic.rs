//! What goes with a commit is written in its transaction or not at all (issue 14 item 9), on
//! SQLite and PostgreSQL: the customer's contact details seen in a turn, and a take-over (the
//! handoff given to the agent and its audit entry). A trigger makes the later write fail
//! (`tuoke_testkit::fault`), and the test finds nothing of the change stored; after the fault
//! is removed the same commit goes through. Also: a second request for a person joins the open
//! handoff instead of opening another.

#[macro_use]
mod common;

use common::{conversation, turn_commit};
use serde_json::json;
use tuoke_store::*;
use tuoke_testkit::fault::{self, Write};

/// What the tests compare before and after a failed commit.
#[derive(Debug, PartialEq)]
struct Snapshot {
    version: i64,
    last_seq: i64,
    status: Status,
    messages: usize,
    lead: (i64, String),
    customer: Customer,
    handoffs: Vec<serde_json::Value>,
    audit: usize,
}

async fn snapshot(s: &Store, conversation_id: &str) -> Snapshot {
    let c = s
        .get_conversation_fresh(conversation_id)
        .await
        .unwrap()
        .unwrap();
    let lead = s.get_lead(conversation_id).await.unwrap().unwrap();
    let export = s.export_customer(&c.customer_id).await.unwrap().unwrap();
    let handoffs = export
        .conversations
        .into_iter()
        .find(|x| x.conversation.id == conversation_id)
        .unwrap()
        .handoffs;
    Snapshot {
        version: c.version,
        last_seq: c.last_seq,
        status: c.status,
        messages: s
            .list_messages(conversation_id, 0, 100)
            .await
            .unwrap()
            .len(),
        lead: (lead.score, lead.grade),
        customer: export.customer,
        handoffs,
        audit: s.list_audit(100).await.unwrap().len(),
    }
}

/// Handoffs of the snapshot not released yet.
fn open(s: &Snapshot) -> Vec<&serde_json::Value> {
    s.handoffs
        .iter()
        .filter(|h| h["released_at"].is_null())
        .collect()
}

fn contact(phone: Option<&str>, email: Option<&str>, wechat: Option<&str>) -> NewCustomer {
    NewCustomer {
        name: None,
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
        wechat: wechat.map(str::to_string),
    }
}

/// A customer turn with contact details: filled in with the turn, and when the customer update
/// fails, the turn (messages, state, lead, stored result) is not stored either.
async fn contact_goes_with_the_turn(s: Store, url: String) {
    let c = conversation(&s).await;
    // Details seen in the chat fill empty fields and never replace given ones.
    let mut t = turn_commit(&c, "邮箱 a@example.com", None, 20);
    t.contact = Some(ContactChange::Fill(contact(
        Some("13800000000"),
        Some("a@example.com"),
        None,
    )));
    s.commit(t, |_| None).await.unwrap();
    let cu = s.get_customer(&c.customer_id).await.unwrap().unwrap();
    assert_eq!(cu.phone.as_deref(), Some("+8613912345678"));
    assert_eq!(cu.email.as_deref(), Some("a@example.com"));

    let before = snapshot(&s, &c.id).await;
    fault::fail(&url, "customers", Write::Update).await.unwrap();
    let cur = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    let turn = |cur: &Conversation| {
        let mut t = turn_commit(cur, "微信 wx-buyer-42", Some("m-contact"), 75);
        t.contact = Some(ContactChange::Fill(contact(
            None,
            None,
            Some("wx-buyer-42"),
        )));
        t
    };
    let r = s.commit(turn(&cur), |_| Some("{}".into())).await;
    assert!(
        matches!(&r, Err(e) if e.to_string().contains(fault::MESSAGE)),
        "{r:?}"
    );
    assert_eq!(
        snapshot(&s, &c.id).await,
        before,
        "a partial turn was stored"
    );
    assert!(s.turn_result(&c.id, "m-contact").await.unwrap().is_none());

    // Without the fault the same turn goes through, contact and all.
    fault::heal(&url, "customers").await.unwrap();
    s.commit(turn(&cur), |_| Some("{}".into())).await.unwrap();
    let after = snapshot(&s, &c.id).await;
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.messages, before.messages + 2);
    assert_eq!(after.lead, (75, "A".to_string()));
    assert_eq!(after.customer.wechat.as_deref(), Some("wx-buyer-42"));

    // A form's details replace what was there.
    let cur = s.get_conversation_fresh(&c.id).await.unwrap().unwrap();
    let mut t = turn_commit(&cur, "call me", None, 75);
    t.messages.clear();
    t.contact = Some(ContactChange::Update(NewCustomer {
        name: Some("Wang".into()),
        ..contact(Some("13700000000"), None, None)
    }));
    s.commit(t, |_| None).await.unwrap();
    let cu = s.get_customer(&c.customer_id).await.unwrap().unwrap();
    assert_eq!(
        (cu.name.as_deref(), cu.phone.as_deref(), cu.email.as_deref()),
        (Some("Wang"), Some("13700000000"), Some("a@example.com"))
    );
}
both!(contact_with_turn, contact_goes_with_the_turn, url);

fn takeover(cur: &Conversation) -> Commit {
    let mut t = turn_commit(cur, "", None, 0);
    t.messages.clear();
    t.lead = None;
    t.status = Status::HandedOff;
    t.handoff = Some(HandoffChange::TakenOver {
        reason: "agent_takeover".into(),
        summary: json!({"reason": "agent_takeover"}),
        agent: "Alice".into(),
        key_id: "key-alice".into(),
    });
    t.audit = Some(NewAudit {
        actor: Some("key-alice".into()),
        action: "conversation.takeover".into(),
        detail: json!({"agent": "Alice"}),
    });
    t
}

fn request(cur: &Conversation, text: &str, reason: &str) -> Commit {
    let mut t = turn_commit(cur, text, None, 50);
    t.handoff = Some(HandoffChange::Requested {
        reason: reason.into(),
        summary: json!({"reason": reason}),
    });
    t
}

/// A take-over is one transaction: when its audit entry (the last write) fails, the conversation
/// is not handed off and its handoff is neither opened nor given to the agent.
async fn takeover_is_one_transaction(s: Store, url: String) {
    // A conversation nobody asked a person for: the take-over opens the handoff.
    let c = conversation(&s).await;
    let before = snapshot(&s, &c.id).await;
    fault::fail(&url, "audit_events", Write::Insert)
        .await
        .unwrap();
    let r = s.commit(takeover(&c), |_| None).await;
    assert!(
        matches!(&r, Err(e) if e.to_string().contains(fault::MESSAGE)),
        "{r:?}"
    );
    assert_eq!(snapshot(&s, &c.id).await, before, "a partial take-over");
    assert!(s.open_handoff(&c.id).await.unwrap().is_none());

    // A conversation whose customer asked for a person: the request stays untaken.
    let d = conversation(&s).await;
    s.commit(request(&d, "转人工", "customer_request"), |_| None)
        .await
        .unwrap();
    let d = s.get_conversation_fresh(&d.id).await.unwrap().unwrap();
    let before = snapshot(&s, &d.id).await;
    assert!(s.commit(takeover(&d), |_| None).await.is_err());
    let after = snapshot(&s, &d.id).await;
    assert_eq!(after, before, "a partial take-over");
    assert!(after.handoffs[0]["agent"].is_null() && after.handoffs[0]["taken_at"].is_null());
    assert!(s.handoff_owner(&d.id).await.unwrap().is_none());

    // Without the fault: handed off, the request taken by the agent and its key, audited.
    fault::heal(&url, "audit_events").await.unwrap();
    for conv in [&c, &d] {
        s.commit(takeover(conv), |_| None).await.unwrap();
        let after = snapshot(&s, &conv.id).await;
        assert_eq!(after.status, Status::HandedOff);
        assert_eq!(open(&after).len(), 1, "{:?}", after.handoffs);
        let owner = s.handoff_owner(&conv.id).await.unwrap().unwrap();
        assert_eq!(
            (owner.agent.as_deref(), owner.key_id.as_deref()),
            (Some("Alice"), Some("key-alice"))
        );
    }
    let d_after = snapshot(&s, &d.id).await;
    assert_eq!(d_after.handoffs[0]["reason"], "customer_request");
    let audit = s.list_audit(10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a.action == "conversation.takeover"
        && a.actor.as_deref() == Some("key-alice")
        && a.detail == json!({"agent": "Alice"})));
    let mut targets: Vec<_> = audit.iter().filter_map(|a| a.target.clone()).collect();
    targets.sort();
    let mut want = vec![c.id.clone(), d.id.clone()];
    want.sort();
    assert_eq!(targets, want);
}
both!(takeover_atomic, takeover_is_one_transaction, url);

/// Commits the change `make` builds from the conversation as it is now; the snapshot after.
async fn change(s: &Store, id: &str, make: impl FnOnce(&Conversation) -> Commit) -> Snapshot {
    let cur = s.get_conversation_fresh(id).await.unwrap().unwrap();
    s.commit(make(&cur), |_| None).await.unwrap();
    snapshot(s, id).await
}

/// A second request for a person while one is open joins it (no second open row); after a
/// release a new request opens a new one.
async fn one_open_handoff_per_conversation(s: Store) {
    let id = conversation(&s).await.id;
    change(&s, &id, |c| request(c, "转人工", "customer_request")).await;
    let snap = change(&s, &id, |c| request(c, "我要投诉", "complaint")).await;
    assert_eq!(snap.handoffs.len(), 1, "{:?}", snap.handoffs);
    assert_eq!(snap.handoffs[0]["reason"], "customer_request");

    // A take-over joins the open request too.
    let snap = change(&s, &id, takeover).await;
    assert_eq!(snap.handoffs.len(), 1, "{:?}", snap.handoffs);
    assert_eq!(snap.handoffs[0]["agent"], "Alice");

    change(&s, &id, |c| {
        let mut release = turn_commit(c, "", None, 0);
        release.messages.clear();
        release.handoff = Some(HandoffChange::Released);
        release
    })
    .await;
    let snap = change(&s, &id, |c| request(c, "再转人工", "customer_request")).await;
    assert_eq!(snap.handoffs.len(), 2, "{:?}", snap.handoffs);
    assert_eq!(open(&snap).len(), 1);
    assert!(open(&snap)[0]["agent"].is_null());
}
both!(one_open_handoff, one_open_handoff_per_conversation);

/// A close with its outcome and audit entry, as `POST /v1/conversations/{id}/close` commits it.
fn close(cur: &Conversation) -> Commit {
    let mut t = turn_commit(cur, "", None, 0);
    t.messages.clear();
    t.lead = None;
    t.status = Status::Closed;
    t.outcome = Some(NewOutcome {
        outcome: "won".into(),
        agent: Some("Alice".into()),
        agent_key: "key-alice".into(),
        note: Some("paid".into()),
        closed_at: 42,
    });
    t.audit = Some(NewAudit {
        actor: Some("key-alice".into()),
        action: "conversation.close".into(),
        detail: json!({"outcome": "won", "agent": "Alice"}),
    });
    t
}

/// A close is one transaction: when its outcome row fails, the conversation stays open and no
/// audit entry is written; when its audit entry fails, no outcome is left behind.
async fn close_is_one_transaction(s: Store, url: String) {
    let c = conversation(&s).await;
    let before = snapshot(&s, &c.id).await;
    for table in ["outcomes", "audit_events"] {
        fault::fail(&url, table, Write::Insert).await.unwrap();
        let r = s.commit(close(&c), |_| None).await;
        assert!(
            matches!(&r, Err(e) if e.to_string().contains(fault::MESSAGE)),
            "{table}: {r:?}"
        );
        assert_eq!(
            snapshot(&s, &c.id).await,
            before,
            "a partial close ({table})"
        );
        assert!(s.get_outcome(&c.id).await.unwrap().is_none(), "{table}");
        fault::heal(&url, table).await.unwrap();
    }
    s.commit(close(&c), |_| None).await.unwrap();
    let after = snapshot(&s, &c.id).await;
    assert_eq!(after.status, Status::Closed);
    assert_eq!(after.audit, before.audit + 1);
    let o = s.get_outcome(&c.id).await.unwrap().unwrap();
    assert_eq!(
        (
            o.outcome.as_str(),
            o.agent.as_deref(),
            o.note.as_deref(),
            o.closed_at
        ),
        ("won", Some("Alice"), Some("paid"), 42)
    );
}
both!(close_atomic, close_is_one_transaction, url);
