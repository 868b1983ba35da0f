//! Connectors to and from the `mcp.json` files other clients keep: Claude Desktop
//! (`mcpServers`, entries with `type`/`url`/`headers`), VS Code (`servers`, `type: http|sse`,
//! `headers`, and `inputs` that `${input:ID}` references name) and Cursor (`mcpServers`, `url`,
//! `headers`, `${env:NAME}`). Pure functions: [`plan`] reads a file into what would be added
//! and what is skipped and why; [`export`] writes connectors in a shape. The facade
//! ([`crate::patchbay::Patchbay::import_plan`] and neighbours) resolves placeholders, tests and
//! saves.
//!
//! Secrets: a header value or token found in a file is carried as a [`Secret`] from the moment
//! it is read; a placeholder (`${input:…}`, `${env:…}`) is never stored as a literal — the
//! person is asked for its value. An `Authorization: Bearer …` header becomes the connector's
//! access token; other headers become its custom headers.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::secret::Secret;
use crate::store::AuthKind;

/// The largest file an import reads (real configurations are a few kilobytes).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Which client's file shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConfigFormat {
    Claude,
    Vscode,
    Cursor,
}

impl ConfigFormat {
    pub fn label(self) -> &'static str {
        match self {
            Self::Claude => "Claude Desktop",
            Self::Vscode => "VS Code",
            Self::Cursor => "Cursor",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "claude" => Some(Self::Claude),
            "vscode" | "vs-code" | "code" => Some(Self::Vscode),
            "cursor" => Some(Self::Cursor),
            _ => None,
        }
    }
}

/// A value from the file: literal text, or a placeholder the person must fill in.
#[derive(Debug, Clone)]
pub enum FileValue {
    Literal(Secret),
    /// The text with `${…}` references; each reference is in `placeholders`.
    Template(String),
}

/// A `${input:ID}` or `${env:NAME}` reference, with what the file says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Placeholder {
    /// As written, e.g. `${input:api-key}`.
    pub reference: String,
    /// `input` or `env`.
    pub kind: String,
    pub id: String,
    /// The VS Code input's description, when the file has one.
    pub description: Option<String>,
    /// Whether the file marks it secret (a VS Code `password` input; every header value and
    /// token is treated as secret anyway).
    pub secret: bool,
}

/// A server the file describes that Patchbay can add.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    /// The URL as written (placeholders included).
    pub url: String,
    pub auth: AuthKind,
    pub token: Option<FileValue>,
    pub headers: Vec<(String, FileValue)>,
    /// Legacy SSE per the file's `type` (Patchbay chooses the transport itself; kept for the
    /// view).
    pub transport: Option<String>,
    pub placeholders: Vec<Placeholder>,
    /// Fields of the entry Patchbay does not use, named so the person knows.
    pub ignored: Vec<String>,
}

/// What the view of an import shows: never a secret, only names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CandidateView {
    pub name: String,
    /// The URL with query credentials masked.
    pub url: String,
    pub auth: AuthKind,
    pub header_names: Vec<String>,
    pub transport: Option<String>,
    pub placeholders: Vec<Placeholder>,
    pub ignored: Vec<String>,
}

/// A server the file describes that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// A file read: its shape, what can be added, what is skipped.
#[derive(Debug, Clone)]
pub struct Plan {
    pub format: ConfigFormat,
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InteropError {
    #[error("the file is not valid JSON: {0}")]
    Json(String),
    #[error("the file is larger than {MAX_FILE_BYTES} bytes; is it an MCP configuration?")]
    TooLarge,
    #[error(
        "the file has neither \"mcpServers\" (Claude Desktop, Cursor) nor \"servers\" (VS Code) \
         at its top level"
    )]
    UnknownShape,
    #[error("\"{0}\" must be an object of servers by name")]
    NotAnObject(&'static str),
}

impl CandidateView {
    pub fn of(candidate: &Candidate) -> Self {
        Self {
            name: candidate.name.clone(),
            url: crate::url_secrets::shown(&candidate.url),
            auth: candidate.auth,
            header_names: candidate
                .headers
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            transport: candidate.transport.clone(),
            placeholders: candidate.placeholders.clone(),
            ignored: candidate.ignored.clone(),
        }
    }
}

/// The `${kind:id}` references in `text`.
fn references(text: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let reference = format!("${{{inner}}}");
        match inner.split_once(':') {
            Some((kind, id)) if matches!(kind.trim(), "input" | "env") => {
                found.push((reference, kind.trim().to_owned(), id.trim().to_owned()));
            }
            // Claude Code's `${VAR}` and `${VAR:-default}`: an environment variable (its
            // default is not a value the person gave, so it is asked for like the rest).
            _ => {
                let name = inner.split(":-").next().unwrap_or(inner);
                found.push((reference, "env".to_owned(), name.trim().to_owned()));
            }
        }
        rest = &after[end + 1..];
    }
    found
}

/// Reads `text` as an MCP configuration in `format` (detected when `None`).
pub fn plan(text: &str, format: Option<ConfigFormat>) -> Result<Plan, InteropError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(InteropError::TooLarge);
    }
    // VS Code's settings files allow comments and trailing commas (JSONC).
    let value: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&strip_jsonc(text)))
        .map_err(|error| InteropError::Json(error.to_string()))?;
    // VS Code's user settings nest it under "mcp".
    let root = match value.get("mcp") {
        Some(inner) if inner.get("servers").is_some() => inner,
        _ => &value,
    };
    let detected = if root.get("servers").is_some() {
        ConfigFormat::Vscode
    } else if let Some(servers) = root.get("mcpServers") {
        let typed = servers
            .as_object()
            .is_some_and(|servers| servers.values().any(|entry| entry.get("type").is_some()));
        if typed {
            ConfigFormat::Claude
        } else {
            ConfigFormat::Cursor
        }
    } else {
        return Err(InteropError::UnknownShape);
    };
    let format = format.unwrap_or(detected);
    let key = if root.get("servers").is_some() {
        "servers"
    } else {
        "mcpServers"
    };
    let servers = root
        .get(key)
        .and_then(Value::as_object)
        .ok_or(InteropError::NotAnObject(if key == "servers" {
            "servers"
        } else {
            "mcpServers"
        }))?;
    let inputs = root
        .get("inputs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut plan = Plan {
        format,
        candidates: Vec::new(),
        skipped: Vec::new(),
    };
    for (name, entry) in servers {
        let name = name.trim().to_owned();
        match candidate(&name, entry, &inputs) {
            Ok(candidate) => {
                let kept = plan
                    .candidates
                    .iter()
                    .find(|kept| kept.name.to_lowercase() == name.to_lowercase())
                    .map(|kept| kept.name.clone());
                if let Some(kept) = kept {
                    plan.skipped.push(Skipped {
                        name,
                        reason: format!(
                            "the file has another server named {kept:?} (names are compared \
                             without case); that one is imported"
                        ),
                    });
                } else {
                    plan.candidates.push(candidate);
                }
            }
            Err(reason) => plan.skipped.push(Skipped { name, reason }),
        }
    }
    Ok(plan)
}

/// Fields a remote entry may have that Patchbay reads.
const USED: &[&str] = &["url", "serverUrl", "type", "transport", "headers"];

fn candidate(name: &str, entry: &Value, inputs: &[Value]) -> Result<Candidate, String> {
    let Some(fields) = entry.as_object() else {
        return Err("the entry is not an object".into());
    };
    let kind = fields
        .get("type")
        .or_else(|| fields.get("transport"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    if fields.contains_key("command") || kind.as_deref() == Some("stdio") {
        return Err(
            "a local (stdio) server: Patchbay connects to remote servers over HTTP only".into(),
        );
    }
    let url = fields
        .get("url")
        .or_else(|| fields.get("serverUrl"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .ok_or("it has no \"url\"")?;
    if let Some(kind) = &kind
        && ![
            "http",
            "sse",
            "streamable-http",
            "streamablehttp",
            "streamable_http",
        ]
        .contains(&kind.as_str())
    {
        return Err(format!("its type {kind:?} is not a remote transport"));
    }
    let mut placeholders = Vec::new();
    let mut note = |text: &str, secret: bool| {
        for (reference, kind, id) in references(text) {
            if placeholders
                .iter()
                .any(|known: &Placeholder| known.reference == reference)
            {
                continue;
            }
            let input = inputs
                .iter()
                .find(|input| input.get("id").and_then(Value::as_str) == Some(id.as_str()));
            placeholders.push(Placeholder {
                reference,
                kind: kind.clone(),
                id,
                description: input
                    .and_then(|input| input.get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                secret: secret
                    || input
                        .and_then(|input| input.get("password"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
            });
        }
    };
    note(url, false);
    let mut token = None;
    let mut headers = Vec::new();
    if let Some(raw) = fields.get("headers") {
        let Some(raw) = raw.as_object() else {
            return Err("its \"headers\" is not an object".into());
        };
        for (header, value) in raw {
            let Some(value) = value.as_str() else {
                return Err(format!("header {header:?} is not a string"));
            };
            note(value, true);
            let value_of = |text: &str| {
                if references(text).is_empty() {
                    FileValue::Literal(Secret::new(text))
                } else {
                    FileValue::Template(text.to_owned())
                }
            };
            let bearer = value
                .trim()
                .strip_prefix("Bearer ")
                .or_else(|| value.trim().strip_prefix("bearer "));
            match bearer {
                Some(rest) if header.eq_ignore_ascii_case("authorization") && token.is_none() => {
                    token = Some(value_of(rest.trim()));
                }
                _ => headers.push((header.clone(), value_of(value))),
            }
        }
    }
    let ignored = fields
        .keys()
        .filter(|key| !USED.contains(&key.as_str()))
        .cloned()
        .collect();
    Ok(Candidate {
        name: name.to_owned(),
        url: url.to_owned(),
        auth: if token.is_some() {
            AuthKind::Token
        } else {
            AuthKind::None
        },
        token,
        headers,
        transport: kind,
        placeholders,
        ignored,
    })
}

/// `text` with `//` and `/* */` comments and trailing commas taken out (strings kept).
fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for next in chars.by_ref() {
                    if last == '*' && next == '/' {
                        break;
                    }
                    last = next;
                }
            }
            ',' => {
                let rest: String = chars.clone().collect();
                let following = rest.trim_start().chars().next();
                if !matches!(following, Some('}' | ']')) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `template` with each placeholder replaced by its value from `values` (by reference).
pub fn fill(template: &str, values: &[(String, Secret)]) -> Result<Secret, String> {
    let mut text = template.to_owned();
    for (reference, _, _) in references(template) {
        let Some((_, value)) = values.iter().find(|(known, _)| *known == reference) else {
            return Err(format!("no value was given for {reference}"));
        };
        text = text.replace(&reference, value.expose());
    }
    Ok(Secret::new(text))
}

/// A connector to export: what is not secret, and its secrets when they are to be written.
#[derive(Debug, Clone)]
pub struct Exported {
    pub name: String,
    /// The URL to write: the full one when secrets are included, else the masked one.
    pub url: String,
    /// Query parameters of `url` whose values are masked: written as placeholders.
    pub url_secrets: Vec<String>,
    pub auth: AuthKind,
    pub token: Option<Secret>,
    pub headers: Vec<(String, Option<Secret>)>,
}

/// A placeholder id for a connector's secret: `patchbay-NAME-WHAT`, lower-case, `-` between.
fn placeholder_id(connector: &str, what: &str) -> String {
    let raw = format!("{connector}-{what}");
    let mut id = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_matches('-').to_owned()
}

/// Writes `connectors` as a configuration file in `format`. Secrets absent from an
/// [`Exported`] become placeholders (`${input:…}` with an `inputs` entry for VS Code,
/// `${VAR}` for Claude, `${env:VAR}` for Cursor); OAuth connectors are written by URL (the client
/// signs in itself).
pub fn export(connectors: &[Exported], format: ConfigFormat) -> Value {
    let mut servers = Map::new();
    let mut inputs = Vec::new();
    for connector in connectors {
        let mut placeholder = |what: &str, description: String| -> String {
            let id = placeholder_id(&connector.name, what);
            match format {
                ConfigFormat::Vscode => {
                    inputs.push(json!({
                        "type": "promptString",
                        "id": id,
                        "description": description,
                        "password": true,
                    }));
                    format!("${{input:{id}}}")
                }
                // Claude Code expands `${VAR}` in its MCP files; Cursor `${env:VAR}`.
                ConfigFormat::Claude => {
                    format!("${{{}}}", id.to_ascii_uppercase().replace('-', "_"))
                }
                ConfigFormat::Cursor => {
                    format!("${{env:{}}}", id.to_ascii_uppercase().replace('-', "_"))
                }
            }
        };
        let mut url = connector.url.clone();
        for parameter in &connector.url_secrets {
            let masked = format!("{parameter}={}", crate::url_secrets::MASK);
            let value = placeholder(
                parameter,
                format!("{parameter} in the URL of {}", connector.name),
            );
            url = url.replace(&masked, &format!("{parameter}={value}"));
        }
        let mut headers = Map::new();
        if connector.auth == AuthKind::Token {
            let token = match &connector.token {
                Some(token) => token.expose().to_owned(),
                None => placeholder("token", format!("Access token for {}", connector.name)),
            };
            headers.insert(
                "Authorization".into(),
                Value::String(format!("Bearer {token}")),
            );
        }
        for (header, value) in &connector.headers {
            let value = match value {
                Some(value) => value.expose().to_owned(),
                None => placeholder(header, format!("{header} header for {}", connector.name)),
            };
            headers.insert(header.clone(), Value::String(value));
        }
        let mut entry = Map::new();
        match format {
            ConfigFormat::Vscode | ConfigFormat::Claude => {
                entry.insert("type".into(), Value::String("http".into()));
            }
            ConfigFormat::Cursor => {}
        }
        entry.insert("url".into(), Value::String(url));
        if !headers.is_empty() {
            entry.insert("headers".into(), Value::Object(headers));
        }
        servers.insert(connector.name.clone(), Value::Object(entry));
    }
    match format {
        ConfigFormat::Vscode => {
            let mut file = Map::new();
            if !inputs.is_empty() {
                file.insert("inputs".into(), Value::Array(inputs));
            }
            file.insert("servers".into(), Value::Object(servers));
            Value::Object(file)
        }
        _ => json!({ "mcpServers": servers }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(text: &str) -> Plan {
        plan(text, None).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn vscode_files_with_inputs_comments_and_stdio_entries() {
        let plan = planned(
            r#"{
              // VS Code allows comments
              "inputs": [
                {"type": "promptString", "id": "gh-token", "description": "GitHub PAT", "password": true}
              ],
              "servers": {
                "github": {
                  "type": "http",
                  "url": "https://api.githubcopilot.com/mcp/",
                  "headers": {"Authorization": "Bearer ${input:gh-token}"}
                },
                "local": {"type": "stdio", "command": "npx", "args": ["server"]},
                "events": {"type": "sse", "url": "https://events.example/sse", "headers": {"X-Team": "blue"}, "dev": {"watch": "x"}},
              }
            }"#,
        );
        assert_eq!(plan.format, ConfigFormat::Vscode);
        assert_eq!(plan.candidates.len(), 2);
        let github = &plan.candidates[1];
        assert_eq!(github.name, "github");
        assert_eq!(github.auth, AuthKind::Token);
        assert!(matches!(&github.token, Some(FileValue::Template(t)) if t == "${input:gh-token}"));
        assert_eq!(github.placeholders.len(), 1);
        assert_eq!(
            github.placeholders[0].description.as_deref(),
            Some("GitHub PAT")
        );
        let events = &plan.candidates[0];
        assert_eq!(events.transport.as_deref(), Some("sse"));
        assert_eq!(events.ignored, vec!["dev".to_owned()]);
        assert!(matches!(&events.headers[0].1, FileValue::Literal(_)));
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.skipped[0].reason.contains("stdio"));
    }

    #[test]
    fn claude_and_cursor_shapes_are_told_apart() {
        let claude = planned(
            r#"{"mcpServers": {"remote": {"type": "http", "url": "https://a.example/mcp"},
                "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]}}}"#,
        );
        assert_eq!(claude.format, ConfigFormat::Claude);
        assert_eq!(claude.candidates.len(), 1);
        assert_eq!(claude.skipped.len(), 1);
        let cursor = planned(
            r#"{"mcpServers": {"linear": {"url": "https://mcp.linear.app/sse",
                "headers": {"Authorization": "Bearer ${env:LINEAR_KEY}"}}}}"#,
        );
        assert_eq!(cursor.format, ConfigFormat::Cursor);
        assert_eq!(cursor.candidates[0].placeholders[0].kind, "env");
        assert_eq!(cursor.candidates[0].placeholders[0].id, "LINEAR_KEY");
        // Claude Code's own expansion syntax, with and without a default.
        let code = planned(
            r#"{"mcpServers": {"api": {"type": "http", "url": "${API_BASE_URL:-https://api.example.com}/mcp",
                "headers": {"Authorization": "Bearer ${API_KEY}"}}}}"#,
        );
        let ids: Vec<(&str, &str)> = code.candidates[0]
            .placeholders
            .iter()
            .map(|p| (p.kind.as_str(), p.id.as_str()))
            .collect();
        assert_eq!(ids, vec![("env", "API_BASE_URL"), ("env", "API_KEY")]);
    }

    #[test]
    fn broken_and_foreign_files_are_refused_clearly() {
        assert!(matches!(plan("{", None), Err(InteropError::Json(_))));
        assert!(matches!(
            plan("{\"a\": 1}", None),
            Err(InteropError::UnknownShape)
        ));
        assert!(matches!(
            plan("{\"mcpServers\": []}", None),
            Err(InteropError::NotAnObject(_))
        ));
        let big = format!("{{\"x\": \"{}\"}}", "a".repeat(MAX_FILE_BYTES));
        assert!(matches!(plan(&big, None), Err(InteropError::TooLarge)));
        let odd = planned(
            r#"{"mcpServers": {"a": {"url": ""}, "b": 7, "c": {"type": "ws", "url": "ws://x"},
                "d": {"url": "https://d.example", "headers": {"X": 1}}}}"#,
        );
        assert!(odd.candidates.is_empty());
        assert_eq!(odd.skipped.len(), 4, "{:?}", odd.skipped);
    }

    #[test]
    fn placeholders_are_filled_and_a_missing_value_is_an_error() {
        let values = vec![("${input:k}".to_owned(), Secret::new("v1"))];
        let filled = fill("Bearer ${input:k}", &values).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(filled.expose(), "Bearer v1");
        assert!(fill("${env:OTHER}", &values).is_err());
    }

    #[test]
    fn an_export_reads_back_as_the_same_servers_with_placeholders_for_secrets() {
        let connectors = vec![
            Exported {
                name: "GitHub".into(),
                url: "https://api.example/mcp?api_key=****".into(),
                url_secrets: vec!["api_key".into()],
                auth: AuthKind::Token,
                token: None,
                headers: vec![("X-Team".into(), None)],
            },
            Exported {
                name: "Open".into(),
                url: "https://open.example/mcp".into(),
                url_secrets: Vec::new(),
                auth: AuthKind::None,
                token: None,
                headers: vec![],
            },
        ];
        for format in [
            ConfigFormat::Claude,
            ConfigFormat::Vscode,
            ConfigFormat::Cursor,
        ] {
            let written = export(&connectors, format).to_string();
            let read = plan(&written, None).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(read.format, format, "{written}");
            assert_eq!(read.candidates.len(), 2, "{written}");
            let github = read
                .candidates
                .iter()
                .find(|c| c.name == "GitHub")
                .unwrap_or_else(|| panic!("{written}"));
            assert_eq!(github.auth, AuthKind::Token);
            assert_eq!(github.placeholders.len(), 3, "{written}");
            assert!(!written.contains("****"), "{written}");
            assert!(matches!(github.token, Some(FileValue::Template(_))));
        }
        let with_secret = vec![Exported {
            token: Some(Secret::new("tok-1")),
            ..connectors[0].clone()
        }];
        let written = export(&with_secret, ConfigFormat::Cursor).to_string();
        assert!(written.contains("Bearer tok-1"));
    }
}
