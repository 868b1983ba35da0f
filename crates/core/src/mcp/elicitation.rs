//! Answering a server's `elicitation/create` requests (a tool asking the person for input while
//! it runs). The MCP client handler here delegates each request to a pluggable [`Responder`]:
//! the desktop app will plug in a form; automated callers (the conformance client, scripts) use
//! [`AcceptDefaults`], which accepts a form with the values its schema proposes (SEP-1034).
//!
//! Without a responder, Patchbay behaves as before: it does not announce the elicitation
//! capability, so servers do not ask, and a request that arrives anyway is declined.

use std::fmt::Debug;
use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{
    ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability,
    FormElicitationCapability,
};
use rmcp::service::RequestContext;
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Map, Value};

/// Decides how to answer one elicitation request. Implementations must not block: a form shown
/// to a person is awaited here, and the request's own timeout bounds the wait on the server side.
#[async_trait::async_trait]
pub trait Responder: Debug + Send + Sync {
    async fn respond(&self, request: &ElicitRequestParams) -> ElicitResult;

    /// [`Responder::respond`] for a request from the stored connector `connector`, for a front
    /// end that tells the person who is asking (the app's form does).
    async fn respond_for(&self, connector: &str, request: &ElicitRequestParams) -> ElicitResult {
        let _ = connector;
        self.respond(request).await
    }

    /// Whether to announce the capability, so servers ask at all (a front end with nobody to
    /// ask right now says no, and declines what arrives anyway with its own words).
    fn announces(&self) -> bool {
        true
    }
}

/// Passes a stored connector's name on to the responder (see [`Responder::respond_for`]).
#[derive(Debug)]
pub(crate) struct ForConnector {
    pub connector: String,
    pub inner: Arc<dyn Responder>,
}

#[async_trait::async_trait]
impl Responder for ForConnector {
    async fn respond(&self, request: &ElicitRequestParams) -> ElicitResult {
        self.inner.respond_for(&self.connector, request).await
    }

    fn announces(&self) -> bool {
        self.inner.announces()
    }
}

/// Accepts every form request with the defaults its schema declares, leaving out fields without
/// one; declines URL-mode requests, because opening a page nobody asked for is never automatic.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptDefaults;

#[async_trait::async_trait]
impl Responder for AcceptDefaults {
    async fn respond(&self, request: &ElicitRequestParams) -> ElicitResult {
        match request {
            ElicitRequestParams::FormElicitationParams {
                requested_schema, ..
            } => {
                // The schema's JSON form is the stable view: each property kind (string,
                // number, enum, ...) carries its default under the same `default` key.
                let schema = serde_json::to_value(requested_schema).unwrap_or(Value::Null);
                ElicitResult::new(ElicitationAction::Accept)
                    .with_content(Value::Object(schema_defaults(&schema)))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        }
    }
}

/// `{ property: default }` for every property of an object schema that declares a default.
pub fn schema_defaults(schema: &Value) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter_map(|(name, property)| {
                    let default = property.get("default")?;
                    Some((name.clone(), default.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The client side of a session: Patchbay's client info plus the optional responder.
#[derive(Debug, Clone)]
pub struct Handler {
    info: ClientConfig,
    responder: Option<Arc<dyn Responder>>,
    /// The tool lists to drop when the server says its tools changed.
    listing: Option<super::listing_cache::Keys>,
    /// Routes the server's progress notifications to the call that asked for them.
    pub(crate) progress: rmcp::handler::client::progress::ProgressDispatcher,
    /// Counts `notifications/tools/list_changed` (a call can say the list changed under it).
    pub(crate) tools_changed: Arc<std::sync::atomic::AtomicU32>,
}

impl Handler {
    /// Announces the form elicitation capability only when someone will answer.
    pub fn new(mut info: ClientConfig, responder: Option<Arc<dyn Responder>>) -> Self {
        if responder
            .as_ref()
            .is_some_and(|responder| responder.announces())
        {
            info.capabilities.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        }
        Self {
            info,
            responder,
            listing: None,
            progress: rmcp::handler::client::progress::ProgressDispatcher::new(),
            tools_changed: Arc::default(),
        }
    }

    /// Drops the tool lists kept under `keys` on `notifications/tools/list_changed`.
    pub(crate) fn forgetting(mut self, keys: super::listing_cache::Keys) -> Self {
        self.listing = Some(keys);
        self
    }
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }

    async fn on_tool_list_changed(&self, _context: rmcp::service::NotificationContext<RoleClient>) {
        self.tools_changed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(keys) = &self.listing {
            super::listing_cache::forget(keys);
        }
    }

    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.progress.handle_notification(params).await;
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        Ok(match &self.responder {
            Some(responder) => responder.respond(&request).await,
            None => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ClientCapabilities, Implementation};
    use serde_json::json;

    fn form(schema: Value) -> Result<ElicitRequestParams, serde_json::Error> {
        serde_json::from_value(json!({
            "mode": "form", "message": "please", "requestedSchema": schema
        }))
    }

    #[tokio::test]
    async fn accept_defaults_fills_every_declared_default_and_nothing_else()
    -> Result<(), serde_json::Error> {
        let request = form(json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "default": "John Doe" },
                "age": { "type": "integer", "default": 30 },
                "score": { "type": "number", "default": 95.5 },
                "status": { "type": "string", "enum": ["active", "inactive"], "default": "active" },
                "verified": { "type": "boolean", "default": true },
                "nickname": { "type": "string" }
            }
        }))?;
        let result = AcceptDefaults.respond(&request).await;
        assert_eq!(result.action, ElicitationAction::Accept);
        assert_eq!(
            result.content,
            Some(json!({
                "name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": true
            })),
            "each default is sent with its own JSON type; a field without a default is left out"
        );
        Ok(())
    }

    #[tokio::test]
    async fn accept_defaults_declines_url_requests() -> Result<(), serde_json::Error> {
        let request: ElicitRequestParams = serde_json::from_value(json!({
            "mode": "url", "message": "visit", "url": "https://example.com/x", "elicitationId": "1"
        }))?;
        let result = AcceptDefaults.respond(&request).await;
        assert_eq!(result.action, ElicitationAction::Decline);
        assert_eq!(result.content, None);
        Ok(())
    }

    #[test]
    fn the_capability_is_announced_only_with_a_responder() {
        let info = || {
            ClientConfig::new(
                ClientCapabilities::default(),
                Implementation::new("patchbay", "0"),
            )
        };
        assert!(
            Handler::new(info(), None)
                .get_info()
                .capabilities
                .elicitation
                .is_none(),
            "the app's default must not invite elicitation it cannot show"
        );
        let announced = Handler::new(info(), Some(Arc::new(AcceptDefaults)))
            .get_info()
            .capabilities
            .elicitation;
        assert!(announced.is_some_and(|capability| capability.form.is_some()));
    }
}
