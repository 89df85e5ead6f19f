//! The OpenAPI 3.1 document (`GET /openapi.json`), generated with utoipa from the handlers'
//! annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, chat, events, funnel, handoff, inbox, team};

struct Security;

impl Modify for Security {
    fn modify(&self, o: &mut utoipa::openapi::OpenApi) {
        let c = o.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "key",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("key"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "tuoke API", description = "tuoke (拓客) AI sales robot: conversations, leads, handoff, events, webhooks. Errors are {\"error\": {\"code\", \"message\"}}. Roles: admin, agent, widget."),
    paths(
        api::create_conversation, api::list_conversations, api::get_conversation, api::list_messages,
        api::post_message, handoff::takeover, handoff::agent_message, handoff::release, api::list_leads, api::stats,
        api::analyze, api::company, api::create_api_key, api::revoke_api_key, api::create_webhook,
        api::list_webhooks, api::delete_webhook, api::list_outbox, api::list_audit, api::export_customer,
        api::delete_customer, api::healthz, api::metrics, events::conversation_events, events::all_events,
        chat::widget_config, chat::callback, team::workspace, team::add_note, team::close, team::mark_read,
        team::canned_replies, team::grading_signals, team::stream_token, inbox::inbox, inbox::export, funnel::funnel,
    ),
    components(schemas(api::CreateConversation, api::CustomerIn, api::PostMessage, handoff::TakeoverIn,
        handoff::AgentMessageIn, api::AnalyzeIn, api::CreateKeyIn, api::CreateWebhookIn, chat::CallbackIn,
        team::NoteIn, team::CloseIn, team::ReadIn)),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
