//! The step runner: a model calls the connectors' MCP tools until it answers. One loop, used by
//! every front end through the facade (`patchbay/runs.rs`), which opens the sessions, builds the
//! model client and supplies a [`Gate`] (approvals) and a [`RunFront`] (streamed events).
//!
//! Each round sends the conversation and the tools (frozen at the start, under the names of
//! [`names`]) and runs the model's tool calls: approvals are asked one call at a time in the
//! model's order, the approved calls then run at once, and every call is answered, in order —
//! a tool's own error, a made-up tool name, arguments that are not JSON, a denial or a timeout
//! all go back to the model as error results, never crash the run. The run stops when the model
//! answers without tools, when max rounds are used up, or when it repeats a call it made before
//! with the same arguments; the last two end with one request without tools for a final answer.
//! Cancel stops it at once: in-flight requests and tool calls are dropped (the MCP servers are
//! told) and the transcript so far is kept. Secrets never enter the conversation: the model
//! sees prompts, tool descriptions and results, never a connector's or provider's credentials.

pub mod names;
pub mod results;
pub mod transcript;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::llm::{
    Arguments, Event, LlmError, Message, ModelClient, Request, ToolCall, ToolResult, ToolSpec,
};
use crate::mcp::{CallError, Session};
use names::{ToolNames, ToolRef};
pub use results::{MAX_RESULT_CHARS, ResultPart};
pub use transcript::{
    Approval, CallRecord, OfferedTool, Outcome, RunRecord, TokenUsage, Transcript, Turn,
};

/// Rounds a step may take unless it says otherwise.
pub const DEFAULT_MAX_ROUNDS: u32 = 10;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The provider's name, for the transcript.
    pub provider: String,
    pub model: String,
    pub system: Option<String>,
    pub prompt: String,
    pub max_rounds: u32,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub seed: Option<u64>,
    /// How long a tool may stay silent; each progress notification starts the wait again.
    pub tool_idle_timeout: Duration,
    /// The most a single tool call may take, progress or not.
    pub tool_call_limit: Duration,
    pub max_result_chars: usize,
}

impl RunSettings {
    pub fn new(provider: &str, model: &str, prompt: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            model: model.to_owned(),
            system: None,
            prompt: prompt.to_owned(),
            max_rounds: DEFAULT_MAX_ROUNDS,
            // Room for a full answer from any current model; providers cap it themselves.
            max_tokens: 4096,
            temperature: None,
            seed: None,
            // A tool silent for two minutes without progress is stuck.
            tool_idle_timeout: Duration::from_secs(120),
            // Even a tool that keeps reporting progress gets half an hour.
            tool_call_limit: Duration::from_secs(30 * 60),
            max_result_chars: MAX_RESULT_CHARS,
        }
    }
}

/// One connector's session and the tools the step enabled, frozen for the run.
pub struct Toolbox {
    pub connector: String,
    pub session: Session,
    pub tools: Vec<rmcp::model::Tool>,
}

/// A call waiting for approval.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    pub connector: String,
    pub tool: String,
    /// The full arguments, as the model sent them.
    pub arguments: Value,
    /// The server annotates the tool read-only (`readOnlyHint`).
    pub read_only: bool,
    /// The server annotates the tool destructive (`destructiveHint`).
    pub destructive: bool,
}

/// What the gate says about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateAnswer {
    /// Run it; the approval is recorded as given.
    Run(Approval),
    /// Do not run it; the model is told the person declined.
    Deny,
    /// Stop the run with this reason (someone must be asked and nobody can be).
    Stop(String),
}

/// Decides whether each call runs (the approval policy, remembered "always" answers, and asking
/// the person when that is what the policy says).
#[async_trait::async_trait]
pub trait Gate: Send + Sync {
    async fn decide(&self, request: &ApprovalRequest) -> GateAnswer;
}

/// What a run reports as it goes, for streaming to the app and the terminal.
#[derive(Debug, Clone)]
pub enum RunEvent<'a> {
    RoundStarted {
        round: u32,
    },
    /// A piece of the model's text. A turn that ends in tool calls may have streamed stray text
    /// first; [`RunEvent::TurnFinished`] says which turns were answers.
    Text {
        delta: &'a str,
    },
    /// The model asked for a call (before approval).
    CallRequested {
        id: &'a str,
        name: &'a str,
        connector: Option<&'a str>,
        tool: Option<&'a str>,
        arguments: &'a Value,
    },
    CallFinished {
        call: &'a CallRecord,
    },
    TurnFinished {
        turn: &'a Turn,
    },
}

/// Where a run's events go.
pub trait RunFront: Send + Sync {
    fn event(&self, event: RunEvent<'_>);
}

/// Why a run did not finish normally, beside its transcript.
#[derive(Debug)]
pub enum RunError {
    Model(LlmError),
    Stopped(String),
    Cancelled,
}

/// A finished run: the transcript (always), and the error that ended it, if one did.
pub struct Finished {
    pub transcript: Transcript,
    pub error: Option<RunError>,
}

/// Runs the loop to its end. Sessions are closed before it returns.
pub async fn run(
    client: &dyn ModelClient,
    settings: RunSettings,
    toolboxes: Vec<Toolbox>,
    gate: &dyn Gate,
    front: &dyn RunFront,
    cancel: &CancellationToken,
    started_at: String,
) -> Finished {
    let names = ToolNames::new(toolboxes.iter().flat_map(|toolbox| {
        toolbox
            .tools
            .iter()
            .map(|tool| (toolbox.connector.as_str(), tool.name.as_ref()))
    }));
    let mut loop_state = Loop {
        client,
        settings: &settings,
        toolboxes: &toolboxes,
        names: &names,
        gate,
        front,
        cancel,
        messages: vec![Message::user(settings.prompt.clone())],
        seen: HashSet::new(),
        transcript: Transcript {
            provider: settings.provider.clone(),
            model: settings.model.clone(),
            system: settings.system.clone(),
            prompt: settings.prompt.clone(),
            tools: names
                .iter()
                .map(|(name, tool)| OfferedTool {
                    name: name.clone(),
                    connector: tool.connector.clone(),
                    tool: tool.tool.clone(),
                })
                .collect(),
            turns: Vec::new(),
            answer: None,
            outcome: Outcome::Cancelled,
            rounds: 0,
            usage: TokenUsage::default(),
            started_at,
            duration_ms: 0,
        },
    };
    let started = Instant::now();
    let error = loop_state.drive().await;
    let mut transcript = loop_state.transcript;
    transcript.duration_ms = millis(started.elapsed());
    for toolbox in toolboxes {
        toolbox.session.close().await;
    }
    Finished { transcript, error }
}

struct Loop<'a> {
    client: &'a dyn ModelClient,
    settings: &'a RunSettings,
    toolboxes: &'a [Toolbox],
    names: &'a ToolNames,
    gate: &'a dyn Gate,
    front: &'a dyn RunFront,
    cancel: &'a CancellationToken,
    messages: Vec<Message>,
    /// Calls made so far, as (name, arguments as canonical JSON).
    seen: HashSet<(String, String)>,
    transcript: Transcript,
}

/// How a round ended.
enum Next {
    Continue,
    Answered,
    Repeated(String),
}

impl Loop<'_> {
    async fn drive(&mut self) -> Option<RunError> {
        let specs = self.specs();
        for round in 1..=self.settings.max_rounds.max(1) {
            self.transcript.rounds = round;
            self.front.event(RunEvent::RoundStarted { round });
            let next = match self.round(round, &specs).await {
                Ok(next) => next,
                Err(error) => return Some(self.fail(error)),
            };
            match next {
                Next::Continue => {}
                Next::Answered => {
                    self.transcript.outcome = Outcome::Answered;
                    return None;
                }
                Next::Repeated(tool) => {
                    self.transcript.outcome = Outcome::RepeatedCall { tool };
                    return self
                        .final_answer(round + 1)
                        .await
                        .err()
                        .map(|e| self.fail(e));
                }
            }
        }
        self.transcript.outcome = Outcome::MaxRounds;
        let round = self.transcript.rounds + 1;
        self.final_answer(round).await.err().map(|e| self.fail(e))
    }

    /// Records how the run failed; the transcript keeps everything until then.
    fn fail(&mut self, error: RunError) -> RunError {
        self.transcript.outcome = match &error {
            RunError::Cancelled => Outcome::Cancelled,
            RunError::Model(error) => Outcome::Failed {
                message: error.to_string(),
            },
            RunError::Stopped(reason) => Outcome::Failed {
                message: reason.clone(),
            },
        };
        error
    }

    fn specs(&self) -> Vec<ToolSpec> {
        let mut specs = Vec::new();
        for (name, reference) in self.names.iter() {
            if let Some(tool) = self.tool(reference) {
                specs.push(ToolSpec {
                    name: name.clone(),
                    description: tool
                        .description
                        .as_deref()
                        .or(tool.title.as_deref())
                        .unwrap_or_default()
                        .to_owned(),
                    input_schema: Value::Object((*tool.input_schema).clone()),
                });
            }
        }
        specs
    }

    fn tool(&self, reference: &ToolRef) -> Option<&rmcp::model::Tool> {
        self.toolboxes
            .iter()
            .find(|toolbox| toolbox.connector == reference.connector)?
            .tools
            .iter()
            .find(|tool| tool.name == reference.tool)
    }

    fn session(&self, connector: &str) -> Option<&Session> {
        self.toolboxes
            .iter()
            .find(|toolbox| toolbox.connector == connector)
            .map(|toolbox| &toolbox.session)
    }

    /// One request to the model, streamed to the front, cancellable.
    async fn ask(&mut self, tools: Vec<ToolSpec>) -> Result<(crate::llm::Response, u64), RunError> {
        let request = Request {
            model: self.settings.model.clone(),
            system: self.settings.system.clone(),
            messages: self.messages.clone(),
            tools,
            max_tokens: self.settings.max_tokens,
            temperature: self.settings.temperature,
            seed: self.settings.seed,
        };
        let front = self.front;
        let mut on_event = |event: Event| {
            if let Event::TextDelta(delta) = &event {
                front.event(RunEvent::Text { delta });
            }
        };
        let started = Instant::now();
        let response = tokio::select! {
            response = self.client.complete(&request, &mut on_event) => response.map_err(RunError::Model)?,
            () = self.cancel.cancelled() => return Err(RunError::Cancelled),
        };
        if let Some(usage) = &response.usage {
            self.transcript.usage.input += usage.input_tokens;
            self.transcript.usage.output += usage.output_tokens;
        }
        Ok((response, millis(started.elapsed())))
    }

    async fn round(&mut self, round: u32, specs: &[ToolSpec]) -> Result<Next, RunError> {
        let (response, duration_ms) = self.ask(specs.to_vec()).await?;
        self.messages.push(response.to_message());
        let usage = response
            .usage
            .map_or_else(TokenUsage::default, |usage| TokenUsage {
                input: usage.input_tokens,
                output: usage.output_tokens,
            });
        if response.tool_calls.is_empty() {
            self.finish_turn(Turn {
                round,
                text: response.text.clone(),
                calls: Vec::new(),
                usage,
                duration_ms,
                final_without_tools: false,
            });
            self.transcript.answer = Some(response.text);
            return Ok(Next::Answered);
        }
        // A call made before with the same arguments: the model is going in circles.
        let repeated = response
            .tool_calls
            .iter()
            .find(|call| self.seen.contains(&call_key(call)))
            .map(|call| call.name.clone());
        let calls = match &repeated {
            Some(_) => response
                .tool_calls
                .iter()
                .map(|call| {
                    self.not_run(
                        call,
                        "not run: this exact call (same tool, same arguments) was made before; \
                         its result is above. Answer with what you have.",
                    )
                })
                .collect(),
            None => self.calls(&response.tool_calls).await?,
        };
        for call in &response.tool_calls {
            self.seen.insert(call_key(call));
        }
        self.finish_turn(Turn {
            round,
            text: String::new(),
            calls,
            usage,
            duration_ms,
            final_without_tools: false,
        });
        Ok(match repeated {
            Some(tool) => Next::Repeated(tool),
            None => Next::Continue,
        })
    }

    fn finish_turn(&mut self, turn: Turn) {
        self.front.event(RunEvent::TurnFinished { turn: &turn });
        self.transcript.turns.push(turn);
    }

    /// Runs one turn's calls: approvals in order, then the approved calls at once; every call is
    /// answered to the model, in the model's order.
    async fn calls(&mut self, calls: &[ToolCall]) -> Result<Vec<CallRecord>, RunError> {
        enum Plan<'c> {
            Done(CallRecord, Vec<crate::llm::Part>),
            Run {
                call: &'c ToolCall,
                reference: ToolRef,
                arguments: Option<serde_json::Map<String, Value>>,
                approval: Approval,
            },
        }
        let mut plans = Vec::with_capacity(calls.len());
        for call in calls {
            let reference = self.names.resolve(&call.name).cloned();
            self.front.event(RunEvent::CallRequested {
                id: &call.id,
                name: &call.name,
                connector: reference.as_ref().map(|r| r.connector.as_str()),
                tool: reference.as_ref().map(|r| r.tool.as_str()),
                arguments: &arguments_value(&call.arguments),
            });
            let Some(reference) = reference else {
                let offered: Vec<&str> = self.names.iter().map(|(name, _)| name.as_str()).collect();
                let message = format!(
                    "error: there is no tool named {:?}. The tools are: {}.",
                    call.name,
                    if offered.is_empty() {
                        "none".to_owned()
                    } else {
                        offered.join(", ")
                    }
                );
                let (record, parts) = self.not_run_parts(call, &message);
                plans.push(Plan::Done(record, parts));
                continue;
            };
            let arguments = match &call.arguments {
                Arguments::Object(map) => Some(map.clone()),
                Arguments::Invalid(raw) => {
                    let message = format!(
                        "error: the arguments were not a JSON object, so the tool was not \
                         called. You sent: {}",
                        raw.chars().take(500).collect::<String>()
                    );
                    let (record, parts) = self.not_run_parts(call, &message);
                    plans.push(Plan::Done(record, parts));
                    continue;
                }
            };
            let tool = self.tool(&reference);
            let annotations = tool.and_then(|tool| tool.annotations.as_ref());
            let request = ApprovalRequest {
                connector: reference.connector.clone(),
                tool: reference.tool.clone(),
                arguments: arguments_value(&call.arguments),
                read_only: annotations.and_then(|a| a.read_only_hint).unwrap_or(false),
                destructive: annotations.and_then(|a| a.destructive_hint).unwrap_or(true),
            };
            let answer = tokio::select! {
                answer = self.gate.decide(&request) => answer,
                () = self.cancel.cancelled() => return Err(RunError::Cancelled),
            };
            match answer {
                GateAnswer::Run(approval) => plans.push(Plan::Run {
                    call,
                    reference,
                    arguments,
                    approval,
                }),
                GateAnswer::Deny => {
                    let message = "error: the person running this step declined this call. Do \
                                   not try it again; answer without it.";
                    let (mut record, parts) = self.not_run_parts(call, message);
                    record.approval = Approval::Denied;
                    plans.push(Plan::Done(record, parts));
                }
                GateAnswer::Stop(reason) => return Err(RunError::Stopped(reason)),
            }
        }
        let this: &Self = self;
        let running = plans.into_iter().map(|plan| async move {
            match plan {
                Plan::Done(record, parts) => (record, parts),
                Plan::Run {
                    call,
                    reference,
                    arguments,
                    approval,
                } => this.call(call, reference, arguments, approval).await,
            }
        });
        let answered = tokio::select! {
            answered = futures::future::join_all(running) => answered,
            () = self.cancel.cancelled() => return Err(RunError::Cancelled),
        };
        let mut records = Vec::with_capacity(answered.len());
        for (record, parts) in answered {
            self.front.event(RunEvent::CallFinished { call: &record });
            self.messages.push(Message::ToolResult(ToolResult {
                call_id: record.id.clone(),
                name: record.name.clone(),
                is_error: record.is_error,
                content: parts,
            }));
            records.push(record);
        }
        Ok(records)
    }

    /// Runs one approved call through its connector's session.
    async fn call(
        &self,
        call: &ToolCall,
        reference: ToolRef,
        arguments: Option<serde_json::Map<String, Value>>,
        approval: Approval,
    ) -> (CallRecord, Vec<crate::llm::Part>) {
        let started = Instant::now();
        let converted = match self.session(&reference.connector) {
            None => results::failure("error: the connector is not part of this run"),
            Some(session) => match session
                .call_tool_patiently(
                    &reference.tool,
                    arguments,
                    self.settings.tool_idle_timeout,
                    self.settings.tool_call_limit,
                )
                .await
            {
                Ok(result) => results::convert(&result, self.settings.max_result_chars),
                Err(CallError::Timeout(limit)) => results::failure(&format!(
                    "error: the tool did not answer within {} seconds and was cancelled",
                    limit.as_secs()
                )),
                Err(error) => results::failure(&call_failure(&reference.connector, &error)),
            },
        };
        let record = CallRecord {
            id: call.id.clone(),
            name: call.name.clone(),
            connector: Some(reference.connector),
            tool: Some(reference.tool),
            arguments: arguments_value(&call.arguments),
            approval,
            is_error: converted.is_error,
            result: converted.record,
            truncated: converted.truncated,
            duration_ms: millis(started.elapsed()),
        };
        (record, converted.parts)
    }

    /// A call answered without running it (the model gets `message` as an error result).
    fn not_run_parts(&self, call: &ToolCall, message: &str) -> (CallRecord, Vec<crate::llm::Part>) {
        let reference = self.names.resolve(&call.name);
        let converted = results::failure(message);
        let record = CallRecord {
            id: call.id.clone(),
            name: call.name.clone(),
            connector: reference.map(|r| r.connector.clone()),
            tool: reference.map(|r| r.tool.clone()),
            arguments: arguments_value(&call.arguments),
            approval: Approval::NotRun,
            is_error: true,
            result: converted.record,
            truncated: false,
            duration_ms: 0,
        };
        (record, converted.parts)
    }

    /// [`Self::not_run_parts`], answered to the model at once (a repeated call's turn).
    fn not_run(&mut self, call: &ToolCall, message: &str) -> CallRecord {
        let (record, parts) = self.not_run_parts(call, message);
        self.front.event(RunEvent::CallFinished { call: &record });
        self.messages.push(Message::ToolResult(ToolResult {
            call_id: record.id.clone(),
            name: record.name.clone(),
            is_error: true,
            content: parts,
        }));
        record
    }

    /// The last request, without tools: the model answers from what it has.
    async fn final_answer(&mut self, round: u32) -> Result<(), RunError> {
        self.messages.push(Message::user(
            "Stop calling tools now. Using the tool results above, give your final answer.",
        ));
        self.front.event(RunEvent::RoundStarted { round });
        let (response, duration_ms) = self.ask(Vec::new()).await?;
        let usage = response
            .usage
            .map_or_else(TokenUsage::default, |usage| TokenUsage {
                input: usage.input_tokens,
                output: usage.output_tokens,
            });
        self.messages.push(response.to_message());
        self.finish_turn(Turn {
            round,
            text: response.text.clone(),
            calls: Vec::new(),
            usage,
            duration_ms,
            final_without_tools: true,
        });
        self.transcript.answer = Some(response.text).filter(|text| !text.trim().is_empty());
        Ok(())
    }
}

/// Why a call could not be made, in words a model and a person understand (rmcp's transport
/// errors name Rust types).
fn call_failure(connector: &str, error: &CallError) -> String {
    let text = error.to_string();
    if text.contains("error sending request") || text.contains("Transport") {
        format!(
            "error: the connector {connector:?} could not be reached (its server closed the \
             connection or is down); the tool was not run"
        )
    } else {
        format!(
            "error: calling the tool failed: {}",
            crate::vocabulary::first_line(&text)
        )
    }
}

/// A call's identity for the repeated-call stop: its name and its arguments as canonical JSON
/// (serde_json orders object keys, so key order does not make two calls differ).
fn call_key(call: &ToolCall) -> (String, String) {
    let arguments = match &call.arguments {
        Arguments::Object(map) => serde_json::to_string(map).unwrap_or_default(),
        Arguments::Invalid(raw) => raw.clone(),
    };
    (call.name.clone(), arguments)
}

fn arguments_value(arguments: &Arguments) -> Value {
    match arguments {
        Arguments::Object(map) => Value::Object(map.clone()),
        Arguments::Invalid(raw) => Value::String(raw.clone()),
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}
