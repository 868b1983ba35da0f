//! Using a connector: its tools, resources and prompts, and calling one tool — each a session
//! opened, one request, the session closed. A request the server refuses for lack of scope is
//! recorded on the connector by the session's hook, and judged here, so every front end reports
//! it the same way ([`Error::ScopeRefused`], with a sign-in hint when signing in again can help).

use rmcp::model::{CallToolResult, Prompt, Resource, Tool};

use super::Patchbay;
use crate::error::Error;
use crate::mcp::{CallError, Session};

impl Patchbay {
    /// Every tool of a connector (following pagination to the end).
    pub async fn list_tools(&self, workspace: &str, name: &str) -> Result<Vec<Tool>, Error> {
        let session = self.session(workspace, name).await?;
        let tools = session.list_tools().await;
        session.close().await;
        tools.map_err(|error| self.request_failure(workspace, name, "listing tools", error))
    }

    pub async fn list_resources(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Vec<Resource>, Error> {
        let session = self.session(workspace, name).await?;
        let resources = session.list_resources().await;
        session.close().await;
        resources.map_err(|error| self.request_failure(workspace, name, "listing resources", error))
    }

    pub async fn list_prompts(&self, workspace: &str, name: &str) -> Result<Vec<Prompt>, Error> {
        let session = self.session(workspace, name).await?;
        let prompts = session.list_prompts().await;
        session.close().await;
        prompts.map_err(|error| self.request_failure(workspace, name, "listing prompts", error))
    }

    /// Calls one tool with `arguments` (a JSON object). A tool's own failure is a result with
    /// `is_error` set, not an error.
    pub async fn call_tool(
        &self,
        workspace: &str,
        name: &str,
        tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<CallToolResult, Error> {
        let session: Session = self.session(workspace, name).await?;
        let result = session.call_tool(tool, arguments).await;
        session.close().await;
        result.map_err(|error| {
            self.request_failure(workspace, name, &format!("calling {tool:?}"), error)
        })
    }

    /// How a failed request is reported. A refusal for lack of scope (which the session has
    /// recorded on the connector already) is judged for this connector: whether signing in
    /// again can grant the scope, or the server did not grant it when asked.
    pub(super) fn request_failure(
        &self,
        workspace: &str,
        name: &str,
        what: &str,
        error: CallError,
    ) -> Error {
        let CallError::InsufficientScope { required_scope, .. } = &error else {
            return Error::Request {
                what: what.to_owned(),
                source: error,
            };
        };
        match self.scope_verdict(workspace, name, required_scope.as_deref()) {
            Ok(verdict) => Error::ScopeRefused {
                what: what.to_owned(),
                verdict,
                workspace: workspace.to_owned(),
                connector: name.to_owned(),
            },
            Err(judging) => {
                tracing::warn!(error = %judging, "judging a refusal for lack of scope");
                Error::Request {
                    what: what.to_owned(),
                    source: error,
                }
            }
        }
    }
}
