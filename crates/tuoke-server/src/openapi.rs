//! The OpenAPI 3.1 document (`GET /openapi.json`), generated with utoipa from the handlers'
//! annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{
    admin, chat, company, conversations, events, funnel, handoff, inbox, leads, ops, team,
};

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
        conversations::create_conversation, conversations::list_conversations, conversations::get_conversation,
        conversations::list_messages, conversations::post_message, handoff::takeover, handoff::agent_message,
        handoff::release, leads::list_leads, leads::stats, company::analyze, company::company,
        admin::create_api_key, admin::revoke_api_key, admin::create_webhook, admin::list_webhooks,
        admin::delete_webhook, admin::list_outbox, admin::list_audit, admin::export_customer,
        admin::delete_customer, ops::healthz, ops::metrics, events::conversation_events, events::all_events,
        chat::widget_config, chat::callback, team::workspace, team::add_note, team::close, team::mark_read,
        team::canned_replies, team::grading_signals, team::stream_token, inbox::inbox, inbox::export, funnel::funnel,
    ),
    components(schemas(conversations::CreateConversation, conversations::CustomerIn, conversations::PostMessage,
        handoff::TakeoverIn, handoff::AgentMessageIn, crate::error::ErrorBody, company::AnalyzeIn, admin::CreateKeyIn,
        admin::CreateWebhookIn, chat::CallbackIn,
        team::NoteIn, team::CloseIn, team::ReadIn)),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_bodies_come_from_the_view_types() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for name in [
            "ConversationOut",
            "LeadRowOut",
            "MessageOut",
            "ErrorBody",
            "Health",
        ] {
            assert!(schemas[name].is_object(), "{name} missing: {schemas}");
        }
        let leads = &doc["paths"]["/v1/leads"]["get"]["responses"]["200"];
        let schema = leads["content"]["application/json"]["schema"].to_string();
        assert!(schema.contains("LeadRowOut"), "{leads}");
        let conv = &schemas["ConversationOut"]["properties"];
        for field in [
            "id", "status", "handoff", "stage", "state", "version", "last_seq",
        ] {
            assert!(conv[field].is_object(), "{field}: {conv}");
        }
    }
}
