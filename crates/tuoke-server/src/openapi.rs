//! The OpenAPI 3.1 document (`GET /openapi.json`), generated with utoipa from the handlers'
//! annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, chat, events};

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
        api::post_message, api::takeover, api::agent_message, api::release, api::list_leads, api::stats,
        api::analyze, api::company, api::create_api_key, api::revoke_api_key, api::create_webhook,
        api::list_webhooks, api::delete_webhook, api::list_outbox, api::list_audit, api::export_customer,
        api::delete_customer, api::healthz, api::metrics, events::conversation_events, events::all_events,
        chat::widget_config, chat::callback,
    ),
    components(schemas(api::CreateConversation, api::CustomerIn, api::PostMessage, api::TakeoverIn,
        api::AgentMessageIn, api::AnalyzeIn, api::CreateKeyIn, api::CreateWebhookIn, chat::CallbackIn)),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
