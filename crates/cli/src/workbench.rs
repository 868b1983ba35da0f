//! The connector workbench on the command line: tools with their enabled switch and budget,
//! calling a tool (every content kind shown; `--json` prints the server's result as is),
//! resources, prompts, and a connector's history, diagnostics, pause, resume and duplicate.
//! Data goes to stdout; notes, progress and the budget go to stderr.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use patchbay_core::{CallOutcome, Patchbay, Progress, ShownPart, ToolCatalog};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::output::print_json;
use crate::{Failure, on};

#[derive(Subcommand)]
pub enum ToolCommand {
    /// Offer a tool to models again.
    Enable {
        name: String,
        /// One or more tool names.
        #[arg(required = true)]
        tools: Vec<String>,
    },
    /// Never offer a tool to models (it can still be called by hand).
    Disable {
        name: String,
        #[arg(required = true)]
        tools: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum ResourceCommand {
    /// A connector's resources and resource templates.
    List { name: String },
    /// Read one resource.
    Read {
        name: String,
        uri: String,
        /// Write the contents (text, or a binary's bytes) to this file instead of showing them.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum PromptCommand {
    /// A connector's prompts and their arguments.
    List { name: String },
    /// Get a prompt filled in with arguments.
    Get {
        name: String,
        prompt: String,
        /// Arguments as a JSON object of strings.
        #[arg(long, value_name = "JSON")]
        args: Option<String>,
    },
}

/// Where a tool's arguments come from.
#[derive(Args)]
pub struct CallArgs {
    /// Arguments as a JSON object.
    #[arg(long, value_name = "JSON", conflicts_with = "args_file")]
    pub args: Option<String>,
    /// Read the arguments (a JSON object) from a file, `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub args_file: Option<PathBuf>,
}

impl CallArgs {
    fn arguments(&self) -> Result<Option<Map<String, Value>>, Failure> {
        match (&self.args, &self.args_file) {
            (Some(text), _) => object(text, "--args").map(Some),
            (None, Some(path)) => {
                let text = if path.as_os_str() == "-" {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|error| Failure::Input(format!("cannot read stdin: {error}")))?;
                    text
                } else {
                    std::fs::read_to_string(path).map_err(|error| {
                        Failure::Input(format!("cannot read {}: {error}", path.display()))
                    })?
                };
                object(&text, &format!("the arguments in {}", path.display())).map(Some)
            }
            (None, None) => Ok(None),
        }
    }
}

/// `text` as a JSON object, or a clear error naming `what`.
pub fn object(text: &str, what: &str) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::Input(format!("{what} must be a JSON object"))),
        Err(error) => Err(Failure::Input(format!("{what} is not valid JSON: {error}"))),
    }
}

/// `patchbay tools N`: each tool with its enabled switch; the budget on stderr.
pub async fn tools(app: &Patchbay, workspace: &str, name: &str, json: bool) -> Result<(), Failure> {
    let catalog = app
        .tool_catalog(workspace, name)
        .await
        .map_err(|error| on(error, workspace, name))?;
    if json {
        // The server's own tool objects (the contract since `tools --json` began), each with
        // its `enabled` switch and estimated `tokens` added.
        let tools = app
            .list_tools(workspace, name)
            .await
            .map_err(|error| on(error, workspace, name))?;
        let annotated: Vec<Value> = tools
            .iter()
            .map(|tool| {
                let mut json = serde_json::to_value(tool).unwrap_or(Value::Null);
                if let (Some(members), Some(view)) = (
                    json.as_object_mut(),
                    catalog
                        .tools
                        .iter()
                        .find(|view| tool.name == view.name.as_str()),
                ) {
                    members.insert("enabled".into(), Value::Bool(view.enabled));
                    members.insert("tokens".into(), Value::from(view.tokens));
                }
                json
            })
            .collect();
        return print_json(&annotated);
    }
    for tool in &catalog.tools {
        let description = tool.description.as_deref().unwrap_or_default();
        let first = description.lines().next().unwrap_or_default();
        if tool.enabled {
            println!("{}\t{first}", tool.name);
        } else {
            println!("{}\t{first}\tdisabled", tool.name);
        }
    }
    budget_note(&catalog);
    Ok(())
}

fn budget_note(catalog: &ToolCatalog) {
    let budget = &catalog.budget;
    eprintln!(
        "{} of {} tools enabled, about {} tokens of definitions ({})",
        budget.enabled_tools, budget.total_tools, budget.enabled_tokens, budget.method
    );
    if let Some(warning) = &budget.warning {
        eprintln!("warning: {warning}");
    }
    if !catalog.missing_disabled.is_empty() {
        eprintln!(
            "note: switched off but no longer listed by the server: {}",
            catalog.missing_disabled.join(", ")
        );
    }
}

/// `patchbay tool enable|disable N TOOL…`
pub async fn tool(
    app: &Patchbay,
    workspace: &str,
    command: ToolCommand,
    json: bool,
) -> Result<(), Failure> {
    let (name, tools, enabled) = match command {
        ToolCommand::Enable { name, tools } => (name, tools, true),
        ToolCommand::Disable { name, tools } => (name, tools, false),
    };
    let catalog = app
        .set_tools_enabled(workspace, &name, &tools, enabled)
        .await
        .map_err(|error| on(error, workspace, &name))?;
    if json {
        return print_json(&catalog);
    }
    eprintln!(
        "{} {} for {name:?}.",
        if enabled { "Enabled" } else { "Disabled" },
        tools.join(", ")
    );
    budget_note(&catalog);
    Ok(())
}

/// `patchbay call N TOOL`: progress on stderr, Ctrl-C cancels (the server is told).
pub async fn call(
    app: &Patchbay,
    workspace: &str,
    name: &str,
    tool: &str,
    args: &CallArgs,
    json: bool,
) -> Result<(), Failure> {
    let arguments = args.arguments()?;
    if app
        .disabled_tools(workspace, name)
        .map_err(|error| on(error, workspace, name))?
        .iter()
        .any(|disabled| disabled == tool)
    {
        eprintln!("note: {tool:?} is disabled for {name:?}: models are not offered it");
    }
    if json {
        // The server's result as it sent it.
        let result = app
            .call_tool(workspace, name, tool, arguments)
            .await
            .map_err(|error| on(error, workspace, name))?;
        print_json(&result)?;
        if result.is_error == Some(true) {
            return Err(Failure::Other("the tool reported an error".into()));
        }
        return Ok(());
    }
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nCancelling the call …");
            on_ctrl_c.cancel();
        }
    });
    let live = std::io::stderr().is_terminal();
    let on_progress = move |progress: Progress| {
        let amount = match progress.total {
            Some(total) if total > 0.0 => format!("{:.0} %", progress.progress / total * 100.0),
            _ => format!("{}", progress.progress),
        };
        let message = progress
            .message
            .map(|message| format!(" {message}"))
            .unwrap_or_default();
        if live {
            eprint!("\r\x1b[2Kprogress: {amount}{message}");
        } else {
            eprintln!("progress: {amount}{message}");
        }
    };
    let outcome = app
        .call_tool_shown(workspace, name, tool, arguments, &on_progress, cancel)
        .await;
    watcher.abort();
    if live {
        eprint!("\r\x1b[2K");
    }
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(patchbay_core::Error::Cancelled(_)) => {
            eprintln!("Cancelled.");
            return Err(Failure::Cancelled);
        }
        Err(error) => return Err(on(error, workspace, name)),
    };
    show_outcome(&outcome)
}

fn show_outcome(outcome: &CallOutcome) -> Result<(), Failure> {
    for part in &outcome.parts {
        show_part(part);
    }
    if let Some(structured) = &outcome.structured {
        println!(
            "structured content:\n{}",
            serde_json::to_string_pretty(structured).unwrap_or_default()
        );
    }
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    eprintln!("({} ms)", outcome.duration_ms);
    if outcome.is_error {
        return Err(Failure::Other("the tool reported an error".into()));
    }
    Ok(())
}

/// One shown part, in words; binaries by kind and size (`--json` carries their data).
fn show_part(part: &ShownPart) {
    match part {
        ShownPart::Text { text } => println!("{text}"),
        ShownPart::Image { mime_type, data } => println!(
            "[image: {mime_type}, {} bytes; --json has its data]",
            patchbay_core::decoded_size(data)
        ),
        ShownPart::Audio { mime_type, data } => println!(
            "[audio: {mime_type}, {} bytes; --json has its data]",
            patchbay_core::decoded_size(data)
        ),
        ShownPart::Resource {
            uri,
            mime_type,
            text,
            blob_bytes,
            ..
        } => {
            let mime = mime_type.as_deref().unwrap_or("unknown type");
            match (text, blob_bytes) {
                (Some(text), _) => println!("[resource {uri} ({mime})]\n{text}"),
                (None, Some(bytes)) => println!("[resource {uri} ({mime}), binary, {bytes} bytes]"),
                (None, None) => println!("[resource {uri} ({mime}), empty]"),
            }
        }
        ShownPart::ResourceLink {
            uri,
            name,
            description,
            mime_type,
        } => println!(
            "[link: {name} <{uri}>{}{}]",
            mime_type
                .as_deref()
                .map(|mime| format!(" ({mime})"))
                .unwrap_or_default(),
            description
                .as_deref()
                .map(|text| format!(" — {text}"))
                .unwrap_or_default()
        ),
        ShownPart::Omitted { what } => println!("[not shown: {what}]"),
    }
}

/// `patchbay resource list|read`.
pub async fn resource(
    app: &Patchbay,
    workspace: &str,
    command: ResourceCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        ResourceCommand::List { name } => {
            let catalog = app
                .resource_catalog(workspace, &name)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            if json {
                return print_json(&catalog);
            }
            for resource in &catalog.resources {
                println!(
                    "{}\t{}\t{}",
                    resource.uri,
                    resource.name,
                    resource.mime_type.as_deref().unwrap_or_default()
                );
            }
            for template in &catalog.templates {
                println!("{}\t{}\ttemplate", template.uri_template, template.name);
            }
            if catalog.resources.is_empty() && catalog.templates.is_empty() {
                eprintln!("{name:?} lists no resources.");
            }
            Ok(())
        }
        ResourceCommand::Read { name, uri, out } => {
            let read = app
                .read_resource(workspace, &name, &uri)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            if let Some(path) = out {
                let bytes =
                    patchbay_core::resource_bytes(&read.contents).map_err(Failure::Other)?;
                return write_contents(&bytes, &path);
            }
            if json {
                return print_json(&read);
            }
            let (parts, notes) = patchbay_core::shown_resource(&read.contents);
            for part in &parts {
                show_part(part);
            }
            for note in notes {
                eprintln!("note: {note}");
            }
            Ok(())
        }
    }
}

/// Writes a read resource's contents (all of them, decoded) to `path`.
fn write_contents(bytes: &[u8], path: &PathBuf) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|error| Failure::Other(format!("cannot write {}: {error}", path.display())))?;
    eprintln!("Wrote {} bytes to {}.", bytes.len(), path.display());
    Ok(())
}

/// `patchbay prompt list|get`.
pub async fn prompt(
    app: &Patchbay,
    workspace: &str,
    command: PromptCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        PromptCommand::List { name } => {
            let prompts = app
                .prompt_catalog(workspace, &name)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            if json {
                return print_json(&prompts);
            }
            for prompt in &prompts {
                let arguments: Vec<String> = prompt
                    .arguments
                    .iter()
                    .map(|argument| {
                        if argument.required {
                            argument.name.clone()
                        } else {
                            format!("[{}]", argument.name)
                        }
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    prompt.name,
                    arguments.join(" "),
                    prompt.description.as_deref().unwrap_or_default()
                );
            }
            Ok(())
        }
        PromptCommand::Get { name, prompt, args } => {
            let arguments = args
                .as_deref()
                .map(|text| object(text, "--args"))
                .transpose()?;
            if json {
                let got = app
                    .get_prompt(workspace, &name, &prompt, arguments)
                    .await
                    .map_err(|error| on(error, workspace, &name))?;
                return print_json(&got);
            }
            let filled = app
                .get_prompt_shown(workspace, &name, &prompt, arguments)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            if let Some(description) = &filled.description {
                eprintln!("{description}");
            }
            for message in &filled.messages {
                println!("{}:", message.role);
                show_part(&message.part);
            }
            Ok(())
        }
    }
}

/// `patchbay connector history N`.
pub fn history(app: &Patchbay, workspace: &str, name: &str, json: bool) -> Result<(), Failure> {
    let checks = app
        .check_history(workspace, name, patchbay_core::CHECK_HISTORY_LIMIT)
        .map_err(|error| on(error, workspace, name))?;
    if json {
        return print_json(&checks);
    }
    if checks.is_empty() {
        eprintln!("{name:?} has not been checked yet.");
    }
    for check in &checks {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            check.checked_at,
            check.status.as_str(),
            check
                .latency_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms")),
            check
                .tool_count
                .map_or_else(|| "-".to_owned(), |count| format!("{count} tools")),
            check.detail.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}
