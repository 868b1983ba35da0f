//! The record of one run, kept whatever happens: the prompt, every model turn with its text and
//! token usage, every tool call with its connector, tool, arguments, approval, result and
//! duration, and how the run ended. It is what `--json` prints, what the app shows, and what is
//! saved (sealed: tool results can hold private data).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::results::ResultPart;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Outcome {
    /// The model answered without asking for more tools.
    Answered,
    /// Max rounds were used up; the answer is the model's last word without tools.
    MaxRounds,
    /// The model asked for a call it had already made with the same arguments; the answer is its
    /// last word without tools.
    RepeatedCall { tool: String },
    /// The person stopped it; what happened until then is kept.
    Cancelled,
    /// It could not go on: `message` says why, in a person's words.
    Failed { message: String },
}

/// Tokens counted by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenUsage {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub input: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub output: u64,
}

/// How a call came to run (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Approval {
    /// The person allowed this one call.
    AllowedOnce,
    /// Allowed by an "always for this tool" the person gave (now or earlier).
    AlwaysAllowed,
    /// The step approves every call.
    AutoApproved,
    /// The tool is annotated read-only and its connector is trusted.
    ReadOnly,
    /// The person said no; the model was told.
    Denied,
    /// Never asked: the call could not run (a made-up tool, arguments that are not JSON, a call
    /// repeated).
    NotRun,
}

/// One tool call as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallRecord {
    /// The provider's call id.
    pub id: String,
    /// The name the model used.
    pub name: String,
    /// The connector and tool it stands for; `None` for a name Patchbay never offered.
    pub connector: Option<String>,
    pub tool: Option<String>,
    /// The arguments as the model sent them (a string when they were not valid JSON).
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub arguments: Value,
    pub approval: Approval,
    pub is_error: bool,
    pub result: Vec<ResultPart>,
    /// The result was cut before it went to the model.
    pub truncated: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
}

/// One turn of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Turn {
    pub round: u32,
    /// What the model said (empty when it only called tools).
    pub text: String,
    pub calls: Vec<CallRecord>,
    pub usage: TokenUsage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
    /// This turn was the last request, sent without tools, for a final answer.
    pub final_without_tools: bool,
}

/// A tool the run offered the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OfferedTool {
    pub name: String,
    pub connector: String,
    pub tool: String,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transcript {
    pub provider: String,
    pub model: String,
    pub system: Option<String>,
    pub prompt: String,
    pub tools: Vec<OfferedTool>,
    pub turns: Vec<Turn>,
    /// The final answer, when there is one.
    pub answer: Option<String>,
    pub outcome: Outcome,
    pub rounds: u32,
    pub usage: TokenUsage,
    pub started_at: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
}

impl Transcript {
    /// Every tool call, in order.
    pub fn calls(&self) -> impl Iterator<Item = &CallRecord> {
        self.turns.iter().flat_map(|turn| turn.calls.iter())
    }
}

/// A saved run: its id, where it ran, the step it ran (if a saved one), and its transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunRecord {
    pub id: String,
    pub workspace: String,
    pub step: Option<String>,
    pub transcript: Transcript,
}
