//! What the customer's chat needs beyond the conversation itself: the widget's settings (the
//! company's name, whether advisers answer now by the opening hours, how long a requested person
//! may take before a call-back is offered) and the call-back request the customer leaves when
//! nobody could come (`POST /v1/conversations/{id}/callback`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tuoke_dialogue::Variety;
use tuoke_dialogue::chat::Availability;
use tuoke_store::{ContactChange, NewCustomer, Role, Status};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::cards::Localized;
use crate::error::{ApiError, JsonBody, P};
use crate::http::input::check_plain;
use crate::script;
use crate::service::{Change, Plan, load_for_change, mutate, publish, unmutate};
use crate::state::AppState;
use crate::views::conversation::ConversationOut;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/widget/config", get(widget_config))
        .route("/conversations/{id}/callback", post(callback))
}

fn localized(t: &tuoke_dialogue::Text) -> Localized {
    Localized {
        zh: t.zh.clone(),
        en: t.en.clone(),
        yue: script::to_hk(t.get(Variety::Yue)).into_owned(),
    }
}

/// `GET /v1/widget/config`.
#[derive(Serialize)]
pub struct WidgetConfig {
    pub company: WidgetCompany,
    /// Who answers first: `ai`.
    pub assistant: &'static str,
    /// Whether advisers answer now (`open`) and when that changes (`next_change`).
    pub availability: Availability,
    pub handoff_wait_seconds: u64,
}

#[derive(Serialize)]
pub struct WidgetCompany {
    pub name: Localized,
    pub hours: Localized,
}

/// The chat widget's settings.
#[utoipa::path(get, path = "/v1/widget/config", tag = "conversations",
    responses((status = 200, description = "{company: {name, hours}, assistant: \"ai\", availability: {open, next_change}, handoff_wait_seconds}"),
              (status = 401)),
    security(("bearer" = [])))]
pub async fn widget_config(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Json<WidgetConfig>, ApiError> {
    auth.require(&[Role::Widget, Role::Agent])?;
    let info = st.company.info();
    let a = info.chat.availability(Utc::now());
    Ok(Json(WidgetConfig {
        company: WidgetCompany {
            name: localized(&info.name),
            hours: localized(&info.hours),
        },
        // The chat is answered by an AI assistant first; people join on request.
        assistant: "ai",
        availability: a,
        handoff_wait_seconds: st.company.playbook().handoff.wait_secs(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackIn {
    pub name: Option<String>,
    pub phone: String,
    /// When the customer would like the call, in their words ("明天上午", "after 6 pm").
    pub preferred_time: Option<String>,
}

/// `POST /v1/conversations/{id}/callback`: the request as stored and the conversation.
#[derive(Serialize)]
pub struct CallbackOut<'a> {
    pub callback: &'a Value,
    pub conversation: ConversationOut<'a>,
}

/// A phone number as typed: digits with optional `+`, spaces, dashes, dots and brackets; 6 to 20
/// digits.
fn valid_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && p.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

fn field(v: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    check_plain(name, v.as_deref())?;
    if let Some(s) = &v
        && s.chars().count() > 100
    {
        return Err(ApiError::bad_request(format!(
            "{name} is longer than 100 characters"
        )));
    }
    Ok(v)
}

/// The customer asks to be called back (nobody came, or outside opening hours): the name and
/// phone go to their customer record, the request to the conversation's `callback` slot (the
/// dashboard's summary shows it), and a `callback.requested` webhook goes out.
#[utoipa::path(post, path = "/v1/conversations/{id}/callback", tag = "handoff", params(("id" = String, Path)),
    request_body = CallbackIn,
    responses((status = 200, description = "{callback: {name, phone, preferred_time, requested_at}, conversation}"),
              (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn callback(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<CallbackIn>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Widget])?;
    let phone = body.phone.trim().to_string();
    if !valid_phone(&phone) {
        return Err(ApiError::bad_request(
            "phone must be a phone number (6 to 20 digits)",
        ));
    }
    let name = field(body.name, "name")?;
    let preferred_time = field(body.preferred_time, "preferred_time")?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    if conv.conv.status == Status::Closed {
        return Err(ApiError::Closed);
    }
    let now = Utc::now();
    let request = json!({
        "name": name, "phone": phone, "preferred_time": preferred_time, "requested_at": now,
    });
    // The details of the form replace the customer's, in the same commit.
    let contact = ContactChange::Update(NewCustomer {
        name,
        phone: Some(phone),
        ..NewCustomer::default()
    });
    let done = mutate(
        &st,
        conv,
        None,
        |c, state| {
            let mut s = state.clone();
            s.slots.insert("callback".into(), request.clone());
            s.updated_at = now;
            Ok(Plan {
                webhooks: vec![(
                    "callback.requested".into(),
                    json!({"conversation_id": c.id, "customer_id": c.customer_id, "callback": request}),
                )],
                contact: Some(contact.clone()),
                ..Plan::state(s)
            })
        },
        |_, _, _| None,
    )
    .await
    .map_err(unmutate)?;
    let after = &done.after;
    publish(
        &st,
        &Change {
            callback: true,
            ..Change::of(&done.before, after, &done.messages)
        },
    );
    let conversation = if auth.role() == Role::Widget {
        ConversationOut::for_customer(&after.conv, &after.state)
    } else {
        ConversationOut::loaded(after)
    };
    Ok(Json(CallbackOut {
        callback: &request,
        conversation,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::valid_phone;

    #[test]
    fn phones_as_people_type_them() {
        assert!(valid_phone("13912345678"));
        assert!(valid_phone("+852 9123 4567"));
        assert!(valid_phone("(021) 6123-4567"));
        assert!(!valid_phone("12345"));
        assert!(!valid_phone("call me"));
        assert!(!valid_phone("1391234567a"));
    }
}
