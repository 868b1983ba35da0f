//! The connector workbench's use cases: a connector's tools with their per-connector enabled
//! switch and budget, a tool call made by a person (progress, cancel, the result as shown
//! parts), resources and their templates, prompts, and what the server says of itself. Each
//! opens a session, asks, and closes it, like [`super::tools`].

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::mcp::{Progress, TransportKind};
use crate::validate::InvalidInput;
use crate::workbench::{self, CallOutcome, PromptItem, ResourceCatalog, ShownPart, ToolCatalog};

/// How long a person's tool call may stay silent (progress notifications start the wait
/// again) unless its connector sets its own request timeout, and how long it may take in all
/// (the hard ceiling); Cancel ends it sooner.
const CALL_IDLE: Duration = Duration::from_secs(120);
const CALL_LIMIT: Duration = Duration::from_secs(30 * 60);

/// What a server says of itself, and how Patchbay reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServerDetails {
    pub name: Option<String>,
    pub title: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub website_url: Option<String>,
    /// The first icon the server offers as a `data:` URI (others would be fetched from the
    /// network by the window; they are listed in `icon_sources` instead).
    pub icon: Option<String>,
    pub icon_sources: Vec<String>,
    pub protocol_version: Option<String>,
    /// The capabilities object, as the server sent it.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub capabilities: Value,
    /// Plain text from the server: front ends show it as text.
    pub instructions: Option<String>,
    pub transport: TransportKind,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub connected_in_ms: u64,
}

/// A read resource, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResourceRead {
    pub uri: String,
    pub parts: Vec<ShownPart>,
    pub notes: Vec<String>,
}

/// A prompt as the server filled it in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromptFilled {
    pub description: Option<String>,
    pub messages: Vec<PromptMessageView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromptMessageView {
    /// `user` or `assistant`.
    pub role: String,
    pub part: ShownPart,
}

impl Patchbay {
    /// A connector's tools, each with its enabled switch and size, and their budget.
    pub async fn tool_catalog(&self, workspace: &str, name: &str) -> Result<ToolCatalog, Error> {
        let tools = self.list_tools(workspace, name).await?;
        let disabled = self.disabled_tools(workspace, name)?;
        Ok(workbench::catalog(&tools, &disabled))
    }

    /// The tools switched off for a connector.
    pub fn disabled_tools(&self, workspace: &str, name: &str) -> Result<Vec<String>, Error> {
        let (_, row) = self.located(workspace, name)?;
        blocking(|| Ok(self.store().disabled_tools(&row.id)?))
    }

    /// Switches `tools` of a connector on or off. Switching off checks each name against the
    /// server's list (a typo is refused with the names it has); switching on does not, so a
    /// tool the server dropped can be cleared from the list.
    pub async fn set_tools_enabled(
        &self,
        workspace: &str,
        name: &str,
        tools: &[String],
        enabled: bool,
    ) -> Result<ToolCatalog, Error> {
        if tools.is_empty() {
            return Err(InvalidInput::Empty {
                what: "the tool list",
            }
            .into());
        }
        let listed = self.list_tools(workspace, name).await?;
        if !enabled {
            for wanted in tools {
                if !listed.iter().any(|tool| tool.name == wanted.as_str()) {
                    let names: Vec<&str> = listed.iter().map(|tool| tool.name.as_ref()).collect();
                    return Err(InvalidInput::Other(format!(
                        "connector {name:?} has no tool {wanted:?}; it has: {}",
                        names.join(", ")
                    ))
                    .into());
                }
            }
        }
        let (_, row) = self.located(workspace, name)?;
        let disabled = blocking(|| {
            let mut store = self.store();
            store.set_tools_enabled(&row.id, tools, enabled, &now())?;
            Ok::<_, Error>(store.disabled_tools(&row.id)?)
        })?;
        Ok(workbench::catalog(&listed, &disabled))
    }

    /// Calls a tool for a person (the playground, `patchbay call`): progress goes to
    /// `on_progress`, `cancel` ends the call (the server is told), and the result comes back
    /// as shown parts, bounded, with its duration. A tool's own failure is a result with
    /// `is_error`, not an error.
    pub async fn call_tool_shown(
        &self,
        workspace: &str,
        name: &str,
        tool: &str,
        arguments: Option<Map<String, Value>>,
        on_progress: &(dyn Fn(Progress) + Send + Sync),
        cancel: CancellationToken,
    ) -> Result<CallOutcome, Error> {
        // A connector's own request timeout is how long its calls may stay silent.
        let own = blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            Ok::<_, Error>(
                Self::row(&store, &found, name)?
                    .network
                    .request_timeout_secs,
            )
        })?;
        let idle = own.map_or(CALL_IDLE, |seconds| Duration::from_secs(seconds.into()));
        let session = self.session(workspace, name).await?;
        let started = Instant::now();
        let changes_before = session.tool_list_changes();
        let called = tokio::select! {
            result = session.call_tool_watched(tool, arguments, idle, CALL_LIMIT, on_progress) => Some(result),
            () = cancel.cancelled() => None,
        };
        let changed = session.tool_list_changes() != changes_before;
        session.close().await;
        let Some(result) = called else {
            return Err(Error::Cancelled("tool call"));
        };
        let result = result.map_err(|error| {
            self.request_failure(workspace, name, &format!("calling {tool:?}"), error)
        })?;
        let mut outcome = workbench::shown_result(
            &result,
            started.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
        );
        if changed {
            outcome.notes.push(
                "the server's tool list changed during this call; refresh the tools".to_owned(),
            );
        }
        Ok(outcome)
    }

    pub async fn list_resource_templates(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Vec<rmcp::model::ResourceTemplate>, Error> {
        let session = self.session(workspace, name).await?;
        let templates = session.list_resource_templates().await;
        session.close().await;
        templates.map_err(|error| {
            self.request_failure(workspace, name, "listing resource templates", error)
        })
    }

    /// Reads a resource, raw (`patchbay resource read --json`).
    pub async fn read_resource(
        &self,
        workspace: &str,
        name: &str,
        uri: &str,
    ) -> Result<rmcp::model::ReadResourceResult, Error> {
        if uri.trim().is_empty() {
            return Err(InvalidInput::Empty {
                what: "the resource URI",
            }
            .into());
        }
        let session = self.session(workspace, name).await?;
        let read = session.read_resource(uri.trim()).await;
        session.close().await;
        read.map_err(|error| {
            self.request_failure(workspace, name, &format!("reading {uri:?}"), error)
        })
    }

    /// Reads a resource as shown parts (text, or binary by size and preview), bounded.
    pub async fn read_resource_shown(
        &self,
        workspace: &str,
        name: &str,
        uri: &str,
    ) -> Result<ResourceRead, Error> {
        let read = self.read_resource(workspace, name, uri).await?;
        let (parts, notes) = workbench::shown_resource(&read.contents);
        Ok(ResourceRead {
            uri: uri.trim().to_owned(),
            parts,
            notes,
        })
    }

    /// A connector's resources and resource templates. A server that has resources but no
    /// templates (it answers `resources/templates/list` with an error) still lists its
    /// resources.
    pub async fn resource_catalog(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<ResourceCatalog, Error> {
        let session = self.session(workspace, name).await?;
        let resources = session.list_resources().await;
        let templates = session.list_resource_templates().await;
        session.close().await;
        let resources = resources
            .map_err(|error| self.request_failure(workspace, name, "listing resources", error))?;
        let templates = templates.unwrap_or_else(|error| {
            tracing::debug!(%error, "listing resource templates");
            Vec::new()
        });
        Ok(workbench::resource_catalog(&resources, &templates))
    }

    /// A connector's prompts and their arguments.
    pub async fn prompt_catalog(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Vec<PromptItem>, Error> {
        let prompts = self.list_prompts(workspace, name).await?;
        Ok(workbench::prompt_items(&prompts))
    }

    /// Keeps a session open with a connector until `stop`, calling `on_change` each time the
    /// server says its tool list changed (`notifications/tools/list_changed`): an open tools
    /// page refreshes. Returns when stopped, or with the error that ended the session.
    pub async fn watch_tool_list(
        &self,
        workspace: &str,
        name: &str,
        on_change: &(dyn Fn() + Send + Sync),
        stop: CancellationToken,
    ) -> Result<(), Error> {
        let session = self.session(workspace, name).await?;
        let mut seen = session.tool_list_changes();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            let now = session.tool_list_changes();
            if now != seen {
                seen = now;
                on_change();
            }
        }
        session.close().await;
        Ok(())
    }

    /// A prompt filled in with `arguments`, raw.
    pub async fn get_prompt(
        &self,
        workspace: &str,
        name: &str,
        prompt: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<rmcp::model::GetPromptResult, Error> {
        let session = self.session(workspace, name).await?;
        let got = session.get_prompt(prompt, arguments).await;
        session.close().await;
        got.map_err(|error| {
            self.request_failure(
                workspace,
                name,
                &format!("getting prompt {prompt:?}"),
                error,
            )
        })
    }

    /// A prompt filled in with `arguments`, as shown parts.
    pub async fn get_prompt_shown(
        &self,
        workspace: &str,
        name: &str,
        prompt: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<PromptFilled, Error> {
        let got = self.get_prompt(workspace, name, prompt, arguments).await?;
        Ok(prompt_filled(&got))
    }

    /// What the server says of itself (from a session opened now), and how it was reached.
    pub async fn server_details(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<ServerDetails, Error> {
        let session = self.session(workspace, name).await?;
        let info = session.peer_info();
        let transport = session.transport();
        let connected_in_ms = session
            .connected_in()
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX);
        session.close().await;
        let implementation = info.as_ref().and_then(|info| info.server_info.clone());
        let icon_sources: Vec<String> = implementation
            .as_ref()
            .and_then(|server| server.icons.as_ref())
            .map(|icons| icons.iter().map(|icon| icon.src.clone()).collect())
            .unwrap_or_default();
        Ok(ServerDetails {
            name: implementation.as_ref().map(|server| server.name.clone()),
            title: implementation
                .as_ref()
                .and_then(|server| server.title.clone()),
            version: implementation.as_ref().map(|server| server.version.clone()),
            description: implementation
                .as_ref()
                .and_then(|server| server.description.clone()),
            website_url: implementation
                .as_ref()
                .and_then(|server| server.website_url.clone()),
            icon: icon_sources
                .iter()
                .find(|src| src.starts_with("data:image/"))
                .cloned(),
            icon_sources,
            protocol_version: info.as_ref().map(|info| info.protocol_version.to_string()),
            capabilities: info
                .as_ref()
                .and_then(|info| serde_json::to_value(&info.capabilities).ok())
                .unwrap_or(Value::Object(Map::new())),
            instructions: info.as_ref().and_then(|info| info.instructions.clone()),
            transport,
            connected_in_ms,
        })
    }
}

/// A prompt result's messages as shown parts.
fn prompt_filled(got: &rmcp::model::GetPromptResult) -> PromptFilled {
    let messages = got
        .messages
        .iter()
        .map(|message| {
            let json = serde_json::to_value(message).unwrap_or(Value::Null);
            let role = json
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or("user")
                .to_owned();
            let content = json.get("content").cloned().unwrap_or(Value::Null);
            let part = workbench::shown_content_value(&content);
            PromptMessageView { role, part }
        })
        .collect();
    PromptFilled {
        description: got.description.clone(),
        messages,
    }
}
