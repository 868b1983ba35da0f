//! What the connector workbench shows, made from what a server sent: tools with their enabled
//! switch and their size in tokens, the tool budget and its warning, call results and resource
//! contents as parts a front end can show (bounded, with a note when cut), and the server's own
//! description of itself. Pure functions over rmcp's types; the facade
//! ([`crate::patchbay::Patchbay::tool_catalog`] and its neighbours) fetches and stores.
//!
//! The token estimate is the JSON a model is sent for a tool (its name, description and input
//! schema) at four characters a token, rounded up: the rule of thumb OpenAI and Anthropic give
//! for English text and code. Real tokenizers differ by model (JSON schemas usually take a bit
//! more); the budget is for spotting a selection that is far too big, not for billing.

use rmcp::model::{CallToolResult, ResourceContents, Tool};
use serde::Serialize;
use serde_json::Value;

/// Past this many enabled tools, models start to pick the wrong one (clients such as Cursor
/// cap a selection near 40).
pub const TOOL_COUNT_WARNING: u32 = 40;
/// Past this many tokens of tool definitions, the context left for the task shrinks and
/// peers report degraded tool choice.
pub const TOKEN_WARNING: u32 = 10_000;
/// The most text a shown result carries in all; the rest is cut with a note.
pub const SHOWN_TEXT_LIMIT: usize = 256 * 1024;
/// The largest binary item (image, audio, blob) a shown result carries.
pub const SHOWN_BINARY_LIMIT: usize = 4 * 1024 * 1024;

/// How the estimate is made, in words a person can check.
pub const ESTIMATE_METHOD: &str = "estimated at 4 characters per token of each tool's JSON \
     definition (name, description, input schema) as sent to a model; real tokenizers vary";

/// A tool's behaviour hints, as its server declared them (hints, not guarantees).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolHints {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

/// One tool of a connector as the workbench shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolView {
    pub name: String,
    pub title: Option<String>,
    /// Plain text from the server: front ends must show it as text, never as markup.
    pub description: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub input_schema: Value,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub output_schema: Option<Value>,
    pub hints: ToolHints,
    /// Offered to models and listed as enabled; switched per connector.
    pub enabled: bool,
    /// Its definition's size in tokens ([`ESTIMATE_METHOD`]).
    pub tokens: u32,
}

/// The size of what a model is offered, and whether it is too much.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Budget {
    pub enabled_tools: u32,
    pub total_tools: u32,
    pub enabled_tokens: u32,
    pub total_tokens: u32,
    /// Set past [`TOOL_COUNT_WARNING`] tools or [`TOKEN_WARNING`] tokens: what is wrong and
    /// the fix.
    pub warning: Option<String>,
    pub method: String,
}

/// A connector's tools and their budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolCatalog {
    pub tools: Vec<ToolView>,
    pub budget: Budget,
    /// Names switched off that the server no longer lists (kept, in case they come back).
    pub missing_disabled: Vec<String>,
}

/// A tool definition's size in tokens, by [`ESTIMATE_METHOD`].
pub fn estimate_tokens(tool: &Tool) -> u32 {
    let sent = serde_json::json!({
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema.as_ref(),
    });
    let characters = serde_json::to_string(&sent).map_or(0, |text| text.chars().count());
    u32::try_from(characters.div_ceil(4)).unwrap_or(u32::MAX)
}

/// The catalog of `tools`, with those named in `disabled` switched off.
pub fn catalog(tools: &[Tool], disabled: &[String]) -> ToolCatalog {
    let views: Vec<ToolView> = tools
        .iter()
        .map(|tool| {
            view(
                tool,
                !disabled.iter().any(|name| tool.name == name.as_str()),
            )
        })
        .collect();
    let missing_disabled = disabled
        .iter()
        .filter(|name| !tools.iter().any(|tool| tool.name == name.as_str()))
        .cloned()
        .collect();
    ToolCatalog {
        budget: budget(views.iter().map(|tool| (tool.enabled, tool.tokens))),
        tools: views,
        missing_disabled,
    }
}

fn view(tool: &Tool, enabled: bool) -> ToolView {
    let hints = tool
        .annotations
        .as_ref()
        .map(|hints| ToolHints {
            read_only: hints.read_only_hint,
            destructive: hints.destructive_hint,
            idempotent: hints.idempotent_hint,
            open_world: hints.open_world_hint,
        })
        .unwrap_or_default();
    ToolView {
        name: tool.name.to_string(),
        title: tool
            .title
            .clone()
            .or_else(|| tool.annotations.as_ref().and_then(|a| a.title.clone())),
        description: tool.description.as_ref().map(ToString::to_string),
        input_schema: Value::Object(tool.input_schema.as_ref().clone()),
        output_schema: tool
            .output_schema
            .as_ref()
            .map(|schema| Value::Object(schema.as_ref().clone())),
        hints,
        enabled,
        tokens: estimate_tokens(tool),
    }
}

/// The budget of tools given as `(enabled, tokens)`.
pub fn budget(tools: impl IntoIterator<Item = (bool, u32)>) -> Budget {
    let mut budget = Budget {
        method: ESTIMATE_METHOD.to_owned(),
        ..Budget::default()
    };
    for (enabled, tokens) in tools {
        budget.total_tools += 1;
        budget.total_tokens = budget.total_tokens.saturating_add(tokens);
        if enabled {
            budget.enabled_tools += 1;
            budget.enabled_tokens = budget.enabled_tokens.saturating_add(tokens);
        }
    }
    let too_many = budget.enabled_tools > TOOL_COUNT_WARNING;
    let too_big = budget.enabled_tokens > TOKEN_WARNING;
    if too_many || too_big {
        let what = match (too_many, too_big) {
            (true, true) => format!(
                "{} tools and about {} tokens of definitions",
                budget.enabled_tools, budget.enabled_tokens
            ),
            (true, false) => format!("{} tools", budget.enabled_tools),
            _ => format!("about {} tokens of tool definitions", budget.enabled_tokens),
        };
        budget.warning = Some(format!(
            "{what} is more than models handle well (past {TOOL_COUNT_WARNING} tools or \
             {TOKEN_WARNING} tokens they pick tools worse and have less room for the task); \
             switch off the tools this work does not need"
        ));
    }
    budget
}

/// One piece of a result or a resource, as a front end shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ShownPart {
    Text {
        text: String,
    },
    /// Base64 data, as the server sent it.
    Image {
        mime_type: String,
        data: String,
    },
    Audio {
        mime_type: String,
        data: String,
    },
    /// An embedded resource (`resource`) or a read resource's contents.
    Resource {
        uri: String,
        mime_type: Option<String>,
        text: Option<String>,
        /// Base64, when the contents are binary.
        blob: Option<String>,
        /// The binary's size in bytes.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        blob_bytes: Option<u64>,
    },
    ResourceLink {
        uri: String,
        name: String,
        description: Option<String>,
        mime_type: Option<String>,
    },
    /// A binary too big to carry, or a piece of unknown kind: described, not shown.
    Omitted {
        what: String,
    },
}

/// A tool call's result as the playground shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallOutcome {
    pub parts: Vec<ShownPart>,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub structured: Option<Value>,
    /// The tool said it failed (`isError`); its parts say why.
    pub is_error: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
    /// Set when the result was cut to fit ([`SHOWN_TEXT_LIMIT`], [`SHOWN_BINARY_LIMIT`]) or
    /// the server's tool list changed during the call.
    pub notes: Vec<String>,
}

/// Cuts shown parts to size, noting what it cut.
struct Limits {
    text_left: usize,
    notes: Vec<String>,
}

impl Limits {
    fn new() -> Self {
        Self {
            text_left: SHOWN_TEXT_LIMIT,
            notes: Vec::new(),
        }
    }

    fn text(&mut self, text: &str) -> String {
        let length = text.chars().count();
        if length <= self.text_left {
            self.text_left -= length;
            return text.to_owned();
        }
        let kept: String = text.chars().take(self.text_left).collect();
        self.notes.push(format!(
            "the text was cut: {length} characters, {} shown (the whole result is shown at most \
             {SHOWN_TEXT_LIMIT} characters)",
            self.text_left
        ));
        self.text_left = 0;
        kept
    }

    /// Base64 `data` if it fits, else `None` with a note.
    fn binary(&mut self, what: &str, data: &str) -> Option<String> {
        let bytes = decoded_size(data);
        if bytes as usize <= SHOWN_BINARY_LIMIT {
            return Some(data.to_owned());
        }
        self.notes.push(format!(
            "{what} of {bytes} bytes is not shown (larger than {SHOWN_BINARY_LIMIT} bytes)"
        ));
        None
    }
}

/// The size in bytes of base64 `data`.
pub fn decoded_size(data: &str) -> u64 {
    let padding = data.bytes().rev().take_while(|byte| *byte == b'=').count();
    (data.len() as u64 / 4 * 3).saturating_sub(padding as u64)
}

/// Converts a tool result to shown parts. Content is read through its JSON (the wire shape is
/// the spec's, stable across rmcp's type changes), so an unknown kind is described, not lost.
pub fn shown_result(result: &CallToolResult, duration_ms: u64) -> CallOutcome {
    let mut limits = Limits::new();
    let parts = result
        .content
        .iter()
        .map(|content| {
            shown_content(
                &serde_json::to_value(content).unwrap_or(Value::Null),
                &mut limits,
            )
        })
        .collect();
    let structured = result.structured_content.as_ref().map(|value| {
        let text = value.to_string();
        if text.len() > SHOWN_TEXT_LIMIT {
            limits.notes.push(format!(
                "the structured content ({} bytes) is shown as text, cut",
                text.len()
            ));
            Value::String(limits.text(&text))
        } else {
            value.clone()
        }
    });
    CallOutcome {
        parts,
        structured,
        is_error: result.is_error == Some(true),
        duration_ms,
        notes: limits.notes,
    }
}

/// One content item (a result's, a prompt message's) given as its JSON, as a shown part.
pub fn shown_content_value(content: &Value) -> ShownPart {
    shown_content(content, &mut Limits::new())
}

fn string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn shown_content(content: &Value, limits: &mut Limits) -> ShownPart {
    let kind = content
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "text" => ShownPart::Text {
            text: limits.text(&string(content, "text").unwrap_or_default()),
        },
        "image" | "audio" => {
            let mime_type = string(content, "mimeType").unwrap_or_default();
            let data = string(content, "data").unwrap_or_default();
            match limits.binary(&format!("an {kind} ({mime_type})"), &data) {
                Some(data) if kind == "image" => ShownPart::Image { mime_type, data },
                Some(data) => ShownPart::Audio { mime_type, data },
                None => ShownPart::Omitted {
                    what: format!("{kind} ({mime_type}, {} bytes)", decoded_size(&data)),
                },
            }
        }
        "resource" => content.get("resource").map_or_else(
            || ShownPart::Omitted {
                what: "an embedded resource without contents".into(),
            },
            |resource| shown_resource_json(resource, limits),
        ),
        "resource_link" => ShownPart::ResourceLink {
            uri: string(content, "uri").unwrap_or_default(),
            name: string(content, "name").unwrap_or_default(),
            description: string(content, "description"),
            mime_type: string(content, "mimeType"),
        },
        other => ShownPart::Omitted {
            what: format!("a content item of unknown type {other:?}"),
        },
    }
}

fn shown_resource_json(resource: &Value, limits: &mut Limits) -> ShownPart {
    let uri = string(resource, "uri").unwrap_or_default();
    let blob = string(resource, "blob");
    let blob_bytes = blob.as_deref().map(decoded_size);
    ShownPart::Resource {
        mime_type: string(resource, "mimeType"),
        text: string(resource, "text").map(|text| limits.text(&text)),
        blob: blob.and_then(|blob| limits.binary(&format!("the resource {uri}"), &blob)),
        blob_bytes,
        uri,
    }
}

/// A read resource's contents, decoded and joined (text as UTF-8, blobs from base64), for
/// saving to a file.
pub fn resource_bytes(contents: &[ResourceContents]) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let mut bytes = Vec::new();
    for item in contents {
        let json = serde_json::to_value(item).unwrap_or(Value::Null);
        if let Some(text) = json.get("text").and_then(Value::as_str) {
            bytes.extend_from_slice(text.as_bytes());
        } else if let Some(blob) = json.get("blob").and_then(Value::as_str) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .map_err(|error| format!("the server sent a blob that is not base64: {error}"))?;
            bytes.extend_from_slice(&decoded);
        }
    }
    Ok(bytes)
}

/// A read resource's contents as shown parts, and the notes on what was cut.
pub fn shown_resource(contents: &[ResourceContents]) -> (Vec<ShownPart>, Vec<String>) {
    let mut limits = Limits::new();
    let parts = contents
        .iter()
        .map(|item| {
            shown_resource_json(
                &serde_json::to_value(item).unwrap_or(Value::Null),
                &mut limits,
            )
        })
        .collect();
    (parts, limits.notes)
}

/// A resource a server lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResourceItem {
    pub uri: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub mime_type: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<u64>,
}

/// A resource template (RFC 6570 URI template) a server lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateItem {
    pub uri_template: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

/// A server's resources and templates; a server without resources has neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResourceCatalog {
    pub resources: Vec<ResourceItem>,
    pub templates: Vec<TemplateItem>,
}

/// A prompt a server lists, with the arguments it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromptItem {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub arguments: Vec<PromptArgumentItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromptArgumentItem {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub required: bool,
}

fn field(value: &Value, key: &str) -> Option<String> {
    string(value, key)
}

/// Resources and templates as items (through their JSON, the spec's shape).
pub fn resource_catalog(
    resources: &[rmcp::model::Resource],
    templates: &[rmcp::model::ResourceTemplate],
) -> ResourceCatalog {
    ResourceCatalog {
        resources: resources
            .iter()
            .map(|resource| {
                let json = serde_json::to_value(resource).unwrap_or(Value::Null);
                ResourceItem {
                    uri: field(&json, "uri").unwrap_or_default(),
                    name: field(&json, "name").unwrap_or_default(),
                    title: field(&json, "title"),
                    description: field(&json, "description"),
                    mime_type: field(&json, "mimeType"),
                    size: json.get("size").and_then(Value::as_u64),
                }
            })
            .collect(),
        templates: templates
            .iter()
            .map(|template| {
                let json = serde_json::to_value(template).unwrap_or(Value::Null);
                TemplateItem {
                    uri_template: field(&json, "uriTemplate").unwrap_or_default(),
                    name: field(&json, "name").unwrap_or_default(),
                    title: field(&json, "title"),
                    description: field(&json, "description"),
                    mime_type: field(&json, "mimeType"),
                }
            })
            .collect(),
    }
}

/// Prompts as items.
pub fn prompt_items(prompts: &[rmcp::model::Prompt]) -> Vec<PromptItem> {
    prompts
        .iter()
        .map(|prompt| {
            let json = serde_json::to_value(prompt).unwrap_or(Value::Null);
            let arguments = json
                .get("arguments")
                .and_then(Value::as_array)
                .map(|arguments| {
                    arguments
                        .iter()
                        .map(|argument| PromptArgumentItem {
                            name: field(argument, "name").unwrap_or_default(),
                            title: field(argument, "title"),
                            description: field(argument, "description"),
                            required: argument
                                .get("required")
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                        })
                        .collect()
                })
                .unwrap_or_default();
            PromptItem {
                name: field(&json, "name").unwrap_or_default(),
                title: field(&json, "title"),
                description: field(&json, "description"),
                arguments,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, description: &str) -> Tool {
        serde_json::from_value(json!({
            "name": name,
            "description": description,
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}}},
            "annotations": {"readOnlyHint": true, "destructiveHint": false}
        }))
        .unwrap_or_else(|error| panic!("tool: {error}"))
    }

    #[test]
    fn the_estimate_is_a_quarter_of_the_definitions_characters_rounded_up() {
        let small = tool("echo", "Echoes");
        let sent = json!({
            "name": "echo",
            "description": "Echoes",
            "input_schema": {"type": "object", "properties": {"a": {"type": "number"}}},
        })
        .to_string();
        assert_eq!(estimate_tokens(&small) as usize, sent.len().div_ceil(4));
        let long = tool("echo", &"word ".repeat(400));
        assert!(estimate_tokens(&long) >= 500);
    }

    #[test]
    fn the_catalog_marks_disabled_tools_and_budgets_only_the_enabled() {
        let tools = vec![tool("a", "x"), tool("b", "y")];
        let catalog = catalog(&tools, &["b".into(), "gone".into()]);
        assert!(catalog.tools[0].enabled);
        assert!(!catalog.tools[1].enabled);
        assert_eq!(catalog.tools[0].hints.read_only, Some(true));
        assert_eq!(catalog.budget.enabled_tools, 1);
        assert_eq!(catalog.budget.total_tools, 2);
        assert_eq!(catalog.budget.enabled_tokens, catalog.tools[0].tokens);
        assert_eq!(catalog.missing_disabled, vec!["gone".to_owned()]);
        assert!(catalog.budget.warning.is_none());
    }

    #[test]
    fn the_warning_appears_past_forty_tools_or_ten_thousand_tokens_and_names_the_fix() {
        let at_limit = budget((0..TOOL_COUNT_WARNING).map(|_| (true, 10)));
        assert!(at_limit.warning.is_none());
        let many = budget((0..=TOOL_COUNT_WARNING).map(|_| (true, 10)));
        let warning = many.warning.unwrap_or_default();
        assert!(
            warning.contains("41 tools") && warning.contains("switch off"),
            "{warning}"
        );
        let big = budget([(true, TOKEN_WARNING + 1), (false, 50_000)]);
        assert!(big.warning.unwrap_or_default().contains("tokens"));
        let off = budget([(false, 50_000)]);
        assert!(off.warning.is_none());
    }

    #[test]
    fn every_content_kind_is_shown_and_huge_text_is_cut_with_a_note() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "x".repeat(SHOWN_TEXT_LIMIT + 10)},
                {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
                {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
                {"type": "resource", "resource": {"uri": "demo://r/1", "blob": "AAEC", "mimeType": "application/octet-stream"}},
                {"type": "resource_link", "uri": "demo://r/2", "name": "two"}
            ],
            "structuredContent": {"temperature": 21},
            "isError": false
        }))
        .unwrap_or_else(|error| panic!("result: {error}"));
        let shown = shown_result(&result, 12);
        assert_eq!(shown.parts.len(), 5);
        let ShownPart::Text { text } = &shown.parts[0] else {
            panic!("{:?}", shown.parts[0]);
        };
        assert_eq!(text.len(), SHOWN_TEXT_LIMIT);
        assert_eq!(shown.notes.len(), 1, "{:?}", shown.notes);
        assert!(
            matches!(&shown.parts[1], ShownPart::Image { mime_type, .. } if mime_type == "image/png")
        );
        assert!(matches!(&shown.parts[2], ShownPart::Audio { .. }));
        assert!(matches!(
            &shown.parts[3],
            ShownPart::Resource {
                blob_bytes: Some(3),
                ..
            }
        ));
        assert!(matches!(&shown.parts[4], ShownPart::ResourceLink { name, .. } if name == "two"));
        assert_eq!(shown.structured, Some(json!({"temperature": 21})));
    }

    #[test]
    fn a_binary_past_the_limit_is_described_not_carried() {
        let data = "A".repeat(SHOWN_BINARY_LIMIT / 3 * 4 + 8);
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "image", "data": data, "mimeType": "image/png"}]
        }))
        .unwrap_or_else(|error| panic!("result: {error}"));
        let shown = shown_result(&result, 1);
        assert!(matches!(&shown.parts[0], ShownPart::Omitted { what } if what.contains("image")));
        assert_eq!(shown.notes.len(), 1);
    }
}
