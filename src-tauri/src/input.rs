//! Questions a connector's server asks while one of its tools runs (MCP elicitation; a 2026-07-28
//! server's input-required result goes the same way), asked in the window. Each question is an
//! `input-requested` event naming the connector, the server's message and the form its schema
//! describes (or, in URL mode, the page it wants the person to visit: shown with a copy button,
//! never opened by Patchbay); the window answers with `answer_input` — send, decline or cancel —
//! and an `input-closed` event tells it when a question is no longer waiting (answered, given up
//! after [`ANSWER_LIMIT`], or its call ended).
//!
//! Until the window exists nothing is announced, so servers do not ask; a question that arrives
//! anyway is declined. Only the fields the schema declares are sent back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use patchbay_core::Responder;
use rmcp::model::{ElicitRequestParams, ElicitResult, ElicitationAction};
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use crate::dto::{InputAction, InputAnswer, InputClosed, InputRequested};

/// How long a question waits for the person before it is cancelled.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(10 * 60);

/// What the window is told.
pub enum InputEvent {
    Requested(InputRequested),
    Closed(InputClosed),
}

type Emit = Box<dyn Fn(InputEvent) + Send + Sync>;

/// The app's [`Responder`]: asks in the window.
#[derive(Default)]
pub struct WindowInput {
    emit: OnceLock<Emit>,
    waiting: Mutex<HashMap<String, oneshot::Sender<InputAnswer>>>,
    next: AtomicU64,
}

impl std::fmt::Debug for WindowInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowInput")
            .field("attached", &self.emit.get().is_some())
            .finish_non_exhaustive()
    }
}

impl WindowInput {
    /// Connects the window: from now on questions are asked there.
    pub fn attach(&self, emit: Emit) {
        if self.emit.set(emit).is_err() {
            tracing::warn!("the window's input was attached twice");
        }
    }

    /// Hands the person's answer to question `id`, if it still waits.
    pub fn answer(&self, id: &str, answer: InputAnswer) {
        let waiting = self.lock().remove(id);
        match waiting {
            Some(waiting) => {
                if waiting.send(answer).is_err() {
                    tracing::debug!(id, "a question answered after its call ended");
                }
            }
            None => tracing::debug!(id, "an answer to no waiting question"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<InputAnswer>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Takes the question off the list (and the window) however its wait ends.
struct Waiting<'a> {
    input: &'a WindowInput,
    emit: &'a Emit,
    id: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.input.lock().remove(&self.id);
        (self.emit)(InputEvent::Closed(InputClosed {
            id: self.id.clone(),
        }));
    }
}

/// The answer's fields that the form declares.
fn declared(schema: &Value, content: Map<String, Value>) -> Map<String, Value> {
    let properties = schema.get("properties").and_then(Value::as_object);
    content
        .into_iter()
        .filter(|(name, _)| properties.is_some_and(|properties| properties.contains_key(name)))
        .collect()
}

#[async_trait::async_trait]
impl Responder for WindowInput {
    async fn respond(&self, request: &ElicitRequestParams) -> ElicitResult {
        self.respond_for("", request).await
    }

    async fn respond_for(&self, connector: &str, request: &ElicitRequestParams) -> ElicitResult {
        let Some(emit) = self.emit.get() else {
            return ElicitResult::new(ElicitationAction::Decline);
        };
        let (message, schema, url) = match request {
            ElicitRequestParams::FormElicitationParams {
                message,
                requested_schema,
                ..
            } => (
                message.clone(),
                Some(serde_json::to_value(requested_schema).unwrap_or(Value::Null)),
                None,
            ),
            ElicitRequestParams::UrlElicitationParams { message, url, .. } => {
                (message.clone(), None, Some(url.clone()))
            }
            // A kind of question this build does not know how to show.
            _ => return ElicitResult::new(ElicitationAction::Decline),
        };
        let id = format!("input-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(id.clone(), sender);
        let _waiting = Waiting {
            input: self,
            emit,
            id: id.clone(),
        };
        emit(InputEvent::Requested(InputRequested {
            id,
            connector: connector.to_owned(),
            message,
            schema: schema.clone(),
            url,
            limit_secs: ANSWER_LIMIT.as_secs(),
        }));
        let Ok(Ok(answer)) = tokio::time::timeout(ANSWER_LIMIT, receiver).await else {
            return ElicitResult::new(ElicitationAction::Cancel);
        };
        match answer.action {
            InputAction::Decline => ElicitResult::new(ElicitationAction::Decline),
            InputAction::Cancel => ElicitResult::new(ElicitationAction::Cancel),
            InputAction::Accept => {
                let result = ElicitResult::new(ElicitationAction::Accept);
                match (&schema, answer.content) {
                    (Some(schema), Some(content)) => {
                        result.with_content(Value::Object(declared(schema, content)))
                    }
                    (Some(_), None) => result.with_content(Value::Object(Map::new())),
                    // URL mode: accepting says the person went to the page.
                    (None, _) => result,
                }
            }
        }
    }

    fn announces(&self) -> bool {
        self.emit.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn form() -> ElicitRequestParams {
        serde_json::from_value(json!({
            "mode": "form",
            "message": "Which city?",
            "requestedSchema": { "type": "object", "properties": {
                "city": { "type": "string" }, "days": { "type": "integer" }
            } }
        }))
        .unwrap_or_else(|error| panic!("a form: {error}"))
    }

    /// A window that answers each question as it is asked, recording what it was shown.
    fn window(answer: InputAnswer) -> (Arc<WindowInput>, Arc<Mutex<Vec<String>>>) {
        let input = Arc::new(WindowInput::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (answering, record) = (Arc::downgrade(&input), seen.clone());
        input.attach(Box::new(move |event| {
            let mut record = record.lock().unwrap_or_else(PoisonError::into_inner);
            match event {
                InputEvent::Requested(question) => {
                    record.push(format!(
                        "asked {} for {}",
                        question.message, question.connector
                    ));
                    if let Some(input) = answering.upgrade() {
                        input.answer(&question.id, answer.clone());
                    }
                }
                InputEvent::Closed(closed) => record.push(format!("closed {}", closed.id)),
            }
        }));
        (input, seen)
    }

    #[tokio::test]
    async fn the_window_is_asked_and_only_declared_fields_go_back() {
        let mut content = Map::new();
        content.insert("city".into(), json!("Lisbon"));
        content.insert("secret".into(), json!("not asked for"));
        let (input, seen) = window(InputAnswer {
            action: InputAction::Accept,
            content: Some(content),
        });
        assert!(input.announces());
        let result = input.respond_for("Weather", &form()).await;
        assert_eq!(result.action, ElicitationAction::Accept);
        assert_eq!(result.content, Some(json!({ "city": "Lisbon" })));
        assert_eq!(
            *seen.lock().unwrap_or_else(PoisonError::into_inner),
            ["asked Which city? for Weather", "closed input-1"]
        );
    }

    #[tokio::test]
    async fn declining_is_passed_on_and_nothing_is_asked_without_a_window() {
        let (input, _) = window(InputAnswer {
            action: InputAction::Decline,
            content: None,
        });
        let result = input.respond_for("Weather", &form()).await;
        assert_eq!(result.action, ElicitationAction::Decline);
        assert_eq!(result.content, None);

        let detached = WindowInput::default();
        assert!(!detached.announces(), "no window, no capability announced");
        assert_eq!(
            detached.respond_for("Weather", &form()).await.action,
            ElicitationAction::Decline
        );
    }
}
