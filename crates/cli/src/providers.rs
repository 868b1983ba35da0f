//! `patchbay provider …` and `patchbay models …`: the model providers of a workspace (OpenAI,
//! Anthropic, a local Ollama …), the models each offers, and whether those can call tools.
//!
//! Everything goes through the facade's provider room; this file only parses flags and prints.
//! API keys are read from stdin only, as every secret is; no output ever holds one.

use clap::{Args, Subcommand, ValueEnum};
use patchbay_core::{
    LocalProvider, ModelView, Patchbay, ProviderEdit, ProviderKind, ProviderSpec, ProviderView,
    ToolsSource,
};
use serde::Serialize;

use crate::output::print_json;
use crate::{Failure, read_secret};

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Test a model provider by listing its models, and save it if the test passes.
    Add {
        #[arg(long)]
        name: String,
        /// The API the provider speaks: OpenAI Chat Completions (OpenAI, Ollama, LM Studio,
        /// llama.cpp, vLLM, most gateways) or Anthropic Messages.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The base URL as the vendor documents it, e.g. https://api.openai.com/v1 or
        /// http://127.0.0.1:11434/v1.
        #[arg(long, value_name = "URL")]
        base_url: String,
        /// Read the API key from stdin (never pass secrets as arguments).
        #[arg(long)]
        api_key_stdin: bool,
        /// Save without testing.
        #[arg(long)]
        skip_test: bool,
    },
    /// List the workspace's providers (never their keys).
    List,
    /// List the provider's models with its stored key.
    Test { name: String },
    /// Remove a provider with its API key.
    Remove { name: String },
    /// Change a provider; a new URL or key is tested before it is saved.
    Edit {
        name: String,
        #[arg(long = "name", value_name = "NEW")]
        new_name: Option<String>,
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Read the new API key from stdin.
        #[arg(long)]
        api_key_stdin: bool,
        #[arg(long)]
        skip_test: bool,
    },
    /// Look for model servers running on this computer (Ollama, LM Studio, llama.cpp).
    Discover,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    OpenaiCompatible,
    Anthropic,
}

impl From<KindArg> for ProviderKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::OpenaiCompatible => Self::OpenAiCompatible,
            KindArg::Anthropic => Self::Anthropic,
        }
    }
}

#[derive(Args)]
pub struct ModelsArgs {
    /// The provider whose models to list.
    provider: String,
    /// Say whether MODEL can call tools (yes or no), or go back to what the provider and the
    /// table of well-known models say (auto).
    #[arg(long, num_args = 2, value_names = ["MODEL", "yes|no|auto"])]
    set_tools: Option<Vec<String>>,
}

pub async fn provider(
    app: &Patchbay,
    workspace: &str,
    command: ProviderCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        ProviderCommand::Add {
            name,
            kind,
            base_url,
            api_key_stdin,
            skip_test,
        } => {
            let api_key = read_secret(api_key_stdin, "the API key")?;
            if !skip_test {
                eprintln!("Testing {base_url} …");
            }
            let spec = ProviderSpec {
                name,
                kind: kind.into(),
                base_url,
                api_key,
            };
            let added = app.add_provider(workspace, spec, !skip_test).await?;
            saved(&added, "Added", json)
        }
        ProviderCommand::List => providers(&app.list_providers(workspace)?, json),
        ProviderCommand::Test { name } => {
            eprintln!("Testing {name} …");
            let models = app.test_provider(workspace, &name).await?;
            eprintln!("{name} answered with {} models.", models.len());
            print_models(&models, json)
        }
        ProviderCommand::Remove { name } => {
            app.remove_provider(workspace, &name)?;
            eprintln!("Removed provider {name:?} and its API key.");
            Ok(())
        }
        ProviderCommand::Edit {
            name,
            new_name,
            base_url,
            api_key_stdin,
            skip_test,
        } => {
            let api_key = read_secret(api_key_stdin, "the API key")?;
            if !skip_test && (base_url.is_some() || api_key.is_some()) {
                eprintln!("Testing the changed provider …");
            }
            let edit = ProviderEdit {
                name: new_name,
                base_url,
                api_key,
            };
            let edited = app
                .edit_provider(workspace, &name, edit, !skip_test)
                .await?;
            saved(&edited, "Updated", json)
        }
        ProviderCommand::Discover => {
            eprintln!("Looking for model servers on this computer …");
            discovered(&app.discover_local_providers().await, json)
        }
    }
}

/// One model's tool verdict, as `models --set-tools --json` prints it.
#[derive(Serialize)]
struct Verdict<'a> {
    id: &'a str,
    tools: Option<bool>,
    tools_source: ToolsSource,
}

pub async fn models(
    app: &Patchbay,
    workspace: &str,
    args: ModelsArgs,
    json: bool,
) -> Result<(), Failure> {
    let Some(setting) = args.set_tools else {
        return print_models(&app.models(workspace, &args.provider).await?, json);
    };
    let [model, verdict] = setting.as_slice() else {
        return Err(Failure::Input(
            "--set-tools takes a model and yes, no or auto".into(),
        ));
    };
    let tools = match verdict.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        "auto" => None,
        other => {
            return Err(Failure::Input(format!(
                "--set-tools takes yes, no or auto after the model, not {other:?}"
            )));
        }
    };
    app.set_model_tools(workspace, &args.provider, model, tools)?;
    let (tools, tools_source) = app
        .model_tool_support(workspace, &args.provider, model)
        .await?;
    if json {
        return print_json(&Verdict {
            id: model.trim(),
            tools,
            tools_source,
        });
    }
    match tools {
        Some(tools) => eprintln!(
            "{}: can call tools: {} ({}).",
            model.trim(),
            tools_label(Some(tools)),
            source_label(tools_source)
        ),
        None => eprintln!(
            "{}: whether it can call tools is unknown (neither the provider nor the table of \
             well-known models says); a step may still try it.",
            model.trim()
        ),
    }
    Ok(())
}

fn saved(provider: &ProviderView, verb: &str, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(provider);
    }
    let key = if provider.key_set {
        "API key stored"
    } else {
        "no API key"
    };
    eprintln!(
        "{verb} provider {:?} ({}, {}, {key}).",
        provider.name,
        provider.kind.as_str(),
        provider.base_url
    );
    Ok(())
}

fn providers(providers: &[ProviderView], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&providers);
    }
    if providers.is_empty() {
        eprintln!(
            "No model providers yet. Add one with `patchbay provider add --name NAME --kind \
             openai-compatible --base-url URL --api-key-stdin`, or find local servers with \
             `patchbay provider discover`."
        );
        return Ok(());
    }
    let name_width = width(
        providers.iter().map(|provider| provider.name.as_str()),
        "NAME",
    );
    let kind_width = width(
        providers.iter().map(|provider| provider.kind.as_str()),
        "KIND",
    );
    println!("{:<name_width$}  {:<kind_width$}  KEY  URL", "NAME", "KIND");
    for provider in providers {
        println!(
            "{:<name_width$}  {:<kind_width$}  {:<3}  {}",
            provider.name,
            provider.kind.as_str(),
            if provider.key_set { "set" } else { "-" },
            provider.base_url
        );
    }
    Ok(())
}

fn print_models(models: &[ModelView], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&models);
    }
    if models.is_empty() {
        eprintln!("The provider lists no models.");
        return Ok(());
    }
    let id_width = width(models.iter().map(|model| model.id.as_str()), "MODEL");
    println!("{:<id_width$}  TOOLS  SOURCE", "MODEL");
    for model in models {
        println!(
            "{:<id_width$}  {:<5}  {}",
            model.id,
            tools_label(model.tools),
            source_label(model.tools_source)
        );
    }
    Ok(())
}

fn discovered(found: &[LocalProvider], json: bool) -> Result<(), Failure> {
    if json {
        return print_json(&found);
    }
    if found.is_empty() {
        eprintln!(
            "No model server answered on this computer's default ports (Ollama, LM Studio, \
             llama.cpp)."
        );
        return Ok(());
    }
    let name_width = width(
        found.iter().map(|local| local.suggested_name.as_str()),
        "NAME",
    );
    let url_width = width(found.iter().map(|local| local.base_url.as_str()), "URL");
    println!("{:<name_width$}  {:<url_width$}  MODELS", "NAME", "URL");
    for local in found {
        println!(
            "{:<name_width$}  {:<url_width$}  {}",
            local.suggested_name,
            local.base_url,
            if local.models.is_empty() {
                "(none yet)".to_owned()
            } else {
                local.models.join(", ")
            }
        );
    }
    if let Some(first) = found.first() {
        eprintln!(
            "Add one with: patchbay provider add --name {} --kind {} --base-url {}",
            crate::shell_word(&first.suggested_name),
            first.kind.as_str(),
            first.base_url
        );
    }
    Ok(())
}

/// The widest of `values` and `header`, in characters: a column's width.
fn width<'a>(values: impl Iterator<Item = &'a str>, header: &str) -> usize {
    values
        .map(|value| value.chars().count())
        .chain([header.len()])
        .max()
        .unwrap_or_default()
}

fn tools_label(tools: Option<bool>) -> &'static str {
    match tools {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

fn source_label(source: ToolsSource) -> &'static str {
    match source {
        ToolsSource::Override => "your setting",
        ToolsSource::Provider => "the provider",
        ToolsSource::KnownModels => "known models",
        ToolsSource::Unknown => "unknown",
    }
}
