//! `patchbay run`, `patchbay step …`, `patchbay runs …` and `patchbay approvals …`: LLM steps
//! from the terminal. The answer streams to stdout on a terminal; tool calls and progress go to
//! stderr; `--json` prints the whole run record. Approvals are asked at the terminal (the full
//! arguments shown); without a terminal a step that must ask fails at once instead of hanging.
//! Ctrl-C cancels the run; what happened until then is saved.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use clap::{Args, Subcommand};
use patchbay_core::{
    Approval, ApprovalPolicy, ApprovalRequest, Approve, CallRecord, Error, Outcome, Patchbay,
    RunEvent, RunRecord, StepConnector, StepFront, StepSpec,
};
use tokio_util::sync::CancellationToken;

use crate::Failure;

/// The options of a step, shared by `run` and `step save`.
#[derive(Args, Clone)]
pub struct StepArgs {
    /// The model as PROVIDER/MODEL (the provider's name in Patchbay, then the model id).
    #[arg(long, value_name = "PROVIDER/MODEL")]
    model: String,
    /// What to ask.
    #[arg(long, value_name = "TEXT")]
    prompt: String,
    /// A system prompt.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// A connector whose tools the model may call (repeatable).
    #[arg(long = "connector", value_name = "NAME")]
    connectors: Vec<String>,
    /// Offer only these tools of a connector, as CONNECTOR:TOOL (repeatable).
    #[arg(long = "enable", value_name = "CONNECTOR:TOOL")]
    enable: Vec<String>,
    /// Never offer this tool, as CONNECTOR:TOOL (repeatable).
    #[arg(long = "disable", value_name = "CONNECTOR:TOOL")]
    disable: Vec<String>,
    /// Trust a connector: with --approve read-only its read-only tools run without asking.
    #[arg(long = "trust", value_name = "NAME")]
    trust: Vec<String>,
    /// Most model rounds (each may call several tools).
    #[arg(long, default_value_t = 10, value_name = "K")]
    max_rounds: u32,
    /// When tool calls run without asking: ask (every call), read-only (read-only tools of
    /// trusted connectors), auto (every call).
    #[arg(long, default_value = "ask", value_name = "POLICY")]
    approve: String,
    /// Seconds a tool may stay silent (progress notifications restart it).
    #[arg(long, value_name = "SECONDS")]
    tool_timeout: Option<u64>,
    #[arg(long)]
    temperature: Option<f32>,
    #[arg(long)]
    seed: Option<u64>,
}

impl StepArgs {
    fn spec(&self) -> Result<StepSpec, Failure> {
        let Some((provider, model)) = self.model.split_once('/') else {
            return Err(Failure::Input(format!(
                "--model must be PROVIDER/MODEL (e.g. local/qwen2.5-coder), got {:?}",
                self.model
            )));
        };
        let mut spec = StepSpec::new(provider, model, &self.prompt);
        spec.system = self.system.clone();
        spec.max_rounds = self.max_rounds;
        spec.approval = self.approve.parse::<ApprovalPolicy>()?;
        spec.tool_timeout_seconds = self.tool_timeout;
        spec.temperature = self.temperature;
        spec.seed = self.seed;
        let mut connectors: Vec<StepConnector> = self
            .connectors
            .iter()
            .map(|name| StepConnector {
                name: name.clone(),
                tools: Vec::new(),
                disabled_tools: Vec::new(),
                trusted: false,
            })
            .collect();
        let find = |name: &str, flag: &str| -> Result<usize, Failure> {
            connectors
                .iter()
                .position(|connector| connector.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    Failure::Input(format!("{flag} names {name:?}, which is not a --connector"))
                })
        };
        let mut enabled = Vec::new();
        for pair in &self.enable {
            let (connector, tool) = tool_pair(pair, "--enable")?;
            enabled.push((find(connector, "--enable")?, tool.to_owned()));
        }
        let mut disabled = Vec::new();
        for pair in &self.disable {
            let (connector, tool) = tool_pair(pair, "--disable")?;
            disabled.push((find(connector, "--disable")?, tool.to_owned()));
        }
        let mut trusted = Vec::new();
        for name in &self.trust {
            trusted.push(find(name, "--trust")?);
        }
        for (index, tool) in enabled {
            connectors[index].tools.push(tool);
        }
        for (index, tool) in disabled {
            connectors[index].disabled_tools.push(tool);
        }
        for index in trusted {
            connectors[index].trusted = true;
        }
        spec.connectors = connectors;
        Ok(spec)
    }
}

fn tool_pair<'a>(pair: &'a str, flag: &str) -> Result<(&'a str, &'a str), Failure> {
    pair.split_once(':')
        .filter(|(connector, tool)| !connector.is_empty() && !tool.is_empty())
        .ok_or_else(|| Failure::Input(format!("{flag} takes CONNECTOR:TOOL, got {pair:?}")))
}

#[derive(Subcommand)]
pub enum StepCommand {
    /// Save a step (replacing one of the same name).
    Save {
        name: String,
        #[command(flatten)]
        step: Box<StepArgs>,
    },
    List,
    Show {
        name: String,
    },
    /// Run a saved step.
    Run {
        name: String,
    },
    Remove {
        name: String,
    },
}

#[derive(Subcommand)]
pub enum RunsCommand {
    /// Past runs, newest first.
    List {
        /// Only the runs of this step.
        #[arg(long)]
        step: Option<String>,
    },
    /// One run's transcript (the ID, or a unique start of it).
    Show { id: String },
}

#[derive(Subcommand)]
pub enum ApprovalsCommand {
    /// The tools allowed "always".
    List,
    /// Ask again before calling this tool.
    Revoke { connector: String, tool: String },
}

pub async fn run(
    app: &Patchbay,
    workspace: &str,
    step: &StepArgs,
    json: bool,
) -> Result<(), Failure> {
    let spec = step.spec()?;
    execute(app, workspace, None, spec, json).await
}

pub async fn step(
    app: &Patchbay,
    workspace: &str,
    command: StepCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        StepCommand::Save { name, step } => {
            let saved = app.save_step(workspace, &name, step.spec()?)?;
            if json {
                return crate::output::print_json(&saved);
            }
            eprintln!("Saved step {:?}.", saved.name);
            Ok(())
        }
        StepCommand::List => {
            let steps = app.list_steps(workspace)?;
            if json {
                return crate::output::print_json(&steps);
            }
            for step in steps {
                let connectors: Vec<&str> = step
                    .spec
                    .connectors
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                println!(
                    "{}\t{}/{}\t{}",
                    step.name,
                    step.spec.provider,
                    step.spec.model,
                    if connectors.is_empty() {
                        "no connectors".to_owned()
                    } else {
                        connectors.join(", ")
                    }
                );
            }
            Ok(())
        }
        StepCommand::Show { name } => {
            let step = app.step(workspace, &name)?;
            crate::output::print_json(&step)
        }
        StepCommand::Run { name } => {
            let step = app.step(workspace, &name)?;
            execute(app, workspace, Some(step.name), step.spec, json).await
        }
        StepCommand::Remove { name } => {
            app.remove_step(workspace, &name)?;
            eprintln!("Removed step {name:?} (its past runs are kept).");
            Ok(())
        }
    }
}

pub fn runs(
    app: &Patchbay,
    workspace: &str,
    command: RunsCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        RunsCommand::List { step } => {
            let runs = app.list_runs(workspace, step.as_deref())?;
            if json {
                return crate::output::print_json(&runs);
            }
            for run in runs {
                println!(
                    "{}  {}  {:<12} {}/{}  {} rounds, {} tool calls, {:.1} s, {} in / {} out tokens{}",
                    &run.id[..8.min(run.id.len())],
                    run.started_at,
                    run.outcome,
                    run.provider,
                    run.model,
                    run.rounds,
                    run.tool_calls,
                    run.duration_ms as f64 / 1000.0,
                    run.input_tokens,
                    run.output_tokens,
                    run.step
                        .map(|step| format!("  (step {step})"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        RunsCommand::Show { id } => {
            let record = app.run_record(workspace, &id)?;
            if json {
                return crate::output::print_json(&record);
            }
            print_transcript(&record);
            Ok(())
        }
    }
}

pub fn approvals(
    app: &Patchbay,
    workspace: &str,
    command: ApprovalsCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        ApprovalsCommand::List => {
            let allowed = app.always_allowed(workspace)?;
            if json {
                return crate::output::print_json(&allowed);
            }
            for entry in allowed {
                println!("{}\t{}\tsince {}", entry.connector, entry.tool, entry.since);
            }
            Ok(())
        }
        ApprovalsCommand::Revoke { connector, tool } => {
            app.revoke_always(workspace, &connector, &tool)?;
            eprintln!("Patchbay will ask again before {connector}.{tool} runs.");
            Ok(())
        }
    }
}

/// Runs a step with the terminal as its front end, then prints the answer or the record.
async fn execute(
    app: &Patchbay,
    workspace: &str,
    step: Option<String>,
    spec: StepSpec,
    json: bool,
) -> Result<(), Failure> {
    let stream = !json && std::io::stdout().is_terminal();
    let front = Terminal {
        stream,
        prompt_lock: Mutex::new(()),
        streamed: Mutex::new(false),
    };
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nCancelling the run …");
            on_ctrl_c.cancel();
        }
    });
    eprintln!(
        "Running {}/{}{} …",
        spec.provider,
        spec.model,
        if spec.connectors.is_empty() {
            String::new()
        } else {
            format!(
                " with {}",
                spec.connectors
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    // What the model will be offered, and a warning when it is too much. A connector that
    // cannot be reached is reported by the run itself.
    if !spec.connectors.is_empty()
        && let Ok(budget) = app.step_budget(workspace, &spec).await
    {
        eprintln!(
            "Offering {} tools, about {} tokens of definitions.",
            budget.total.enabled_tools, budget.total.enabled_tokens
        );
        if let Some(warning) = &budget.total.warning {
            eprintln!("warning: {warning}");
        }
    }
    let result = app
        .run_step(workspace, step.as_deref(), spec, &front, &cancel)
        .await;
    watcher.abort();
    match result {
        Ok(record) => {
            finish(&record, json, stream, &front)?;
            Ok(())
        }
        Err(error) => {
            if let Some(record) = error.run_record() {
                if json {
                    crate::output::print_json(record)?;
                }
                eprintln!("{}", summary_line(record));
            }
            if matches!(error.kind(), patchbay_core::ErrorKind::Cancelled) {
                eprintln!("Cancelled; the transcript so far is saved.");
                return Err(Failure::Cancelled);
            }
            Err(Failure::from(error))
        }
    }
}

fn finish(record: &RunRecord, json: bool, streamed: bool, front: &Terminal) -> Result<(), Failure> {
    let transcript = &record.transcript;
    if json {
        crate::output::print_json(record)?;
    } else {
        let answer = transcript.answer.as_deref().unwrap_or_default();
        let already = streamed
            && *front
                .streamed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        if already {
            println!();
        } else {
            println!("{answer}");
        }
    }
    match &transcript.outcome {
        Outcome::MaxRounds => eprintln!(
            "note: the step used all {} rounds; the answer is the model's last word without tools",
            transcript.rounds
        ),
        Outcome::RepeatedCall { tool } => eprintln!(
            "note: the model repeated a call to {tool} with the same arguments, so Patchbay \
             stopped it; the answer is its last word without tools"
        ),
        _ => {}
    }
    eprintln!("{}", summary_line(record));
    Ok(())
}

fn summary_line(record: &RunRecord) -> String {
    let transcript = &record.transcript;
    format!(
        "{} in {} rounds, {} tool calls, {:.1} s, {} input / {} output tokens. Run {}",
        match &transcript.outcome {
            Outcome::Answered => "Answered".to_owned(),
            Outcome::MaxRounds => "Stopped at max rounds".to_owned(),
            Outcome::RepeatedCall { .. } => "Stopped on a repeated call".to_owned(),
            Outcome::Cancelled => "Cancelled".to_owned(),
            Outcome::Failed { .. } => "Failed".to_owned(),
        },
        transcript.rounds,
        transcript.calls().count(),
        transcript.duration_ms as f64 / 1000.0,
        transcript.usage.input,
        transcript.usage.output,
        record.id
    )
}

fn print_transcript(record: &RunRecord) {
    let transcript = &record.transcript;
    println!("Model:   {}/{}", transcript.provider, transcript.model);
    if let Some(system) = &transcript.system {
        println!("System:  {system}");
    }
    println!("Prompt:  {}", transcript.prompt);
    for turn in &transcript.turns {
        println!(
            "\n— round {} ({} ms, {} in / {} out tokens)",
            turn.round, turn.duration_ms, turn.usage.input, turn.usage.output
        );
        if !turn.text.is_empty() {
            println!("{}", turn.text);
        }
        for call in &turn.calls {
            println!("{}", call_line(call));
            for part in &call.result {
                match part {
                    patchbay_core::ResultPart::Text { text } => {
                        println!("    {}", text.replace('\n', "\n    "))
                    }
                    patchbay_core::ResultPart::Image { media_type, bytes } => {
                        println!("    [image {media_type}, {bytes} bytes]")
                    }
                    patchbay_core::ResultPart::Structured { value } => println!("    {value}"),
                }
            }
        }
    }
    println!("\n{}", summary_line(record));
}

fn call_line(call: &CallRecord) -> String {
    let target = match (&call.connector, &call.tool) {
        (Some(connector), Some(tool)) => format!("{connector}.{tool}"),
        _ => format!("{} (no such tool)", call.name),
    };
    let approval = match call.approval {
        Approval::AllowedOnce => "allowed once",
        Approval::AlwaysAllowed => "always allowed",
        Approval::AutoApproved => "auto-approved",
        Approval::ReadOnly => "read-only, trusted",
        Approval::Denied => "denied",
        Approval::NotRun => "not run",
    };
    format!(
        "  {} {target} {} → {} ({approval}, {} ms)",
        if call.is_error { "✗" } else { "✓" },
        call.arguments,
        if call.is_error { "error" } else { "ok" },
        call.duration_ms
    )
}

/// The terminal as a step's front end.
struct Terminal {
    /// Stream the answer's text to stdout as it comes.
    stream: bool,
    /// One approval question at a time.
    prompt_lock: Mutex<()>,
    /// Whether any answer text was streamed.
    streamed: Mutex<bool>,
}

#[async_trait::async_trait]
impl StepFront for Terminal {
    fn event(&self, event: RunEvent<'_>) {
        match event {
            RunEvent::Text { delta } if self.stream => {
                print!("{delta}");
                if let Err(error) = std::io::stdout().flush() {
                    tracing::debug!(%error, "flushing the answer");
                }
                *self
                    .streamed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
            }
            RunEvent::CallRequested {
                name,
                connector,
                tool,
                arguments,
                ..
            } => {
                let target = match (connector, tool) {
                    (Some(connector), Some(tool)) => format!("{connector}.{tool}"),
                    _ => format!("{name} (no such tool)"),
                };
                eprintln!("→ {target} {arguments}");
            }
            RunEvent::CallFinished { call } => eprintln!("{}", call_line(call)),
            RunEvent::RoundStarted { round } => {
                eprintln!("… round {round}: waiting for the model");
            }
            _ => {}
        }
    }

    async fn approve(&self, request: &ApprovalRequest) -> Approve {
        if !crate::input::terminal() {
            return Approve::NobodyToAsk;
        }
        let question = format!(
            "Allow {}.{}{} with arguments:\n{}\n[y] once  [a] always for this tool  [n] deny > ",
            request.connector,
            request.tool,
            if request.read_only {
                " (read-only)"
            } else {
                ""
            },
            serde_json::to_string_pretty(&request.arguments).unwrap_or_default()
        );
        let _one_at_a_time = self
            .prompt_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        eprint!("{question}");
        let answer = tokio::task::block_in_place(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        });
        match answer.as_deref().map(str::trim) {
            Ok("y" | "Y" | "yes") => Approve::Once,
            Ok("a" | "A" | "always") => Approve::Always,
            _ => Approve::Deny,
        }
    }
}

impl From<Box<Error>> for Failure {
    fn from(error: Box<Error>) -> Self {
        Self::Core(error, None)
    }
}
