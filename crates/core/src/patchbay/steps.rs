//! Saved LLM steps: a name, a provider and model, a system prompt and a prompt, the connectors
//! (with the tools enabled for each, and whether the person trusts it for read-only
//! auto-approval), max rounds, a tool timeout and the approval policy. Saved per workspace as
//! JSON that holds no secret; connectors and providers are named, and checked when a step runs.

use serde::{Deserialize, Serialize};

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::runner::DEFAULT_MAX_ROUNDS;
use crate::store::StepRow;
use crate::validate::{self, InvalidInput};

/// The most rounds a step may allow: beyond this a loop is a runaway, not a plan.
pub const MAX_ROUNDS_LIMIT: u32 = 100;
/// The longest prompt or system prompt accepted (about 50,000 tokens).
const MAX_PROMPT_CHARS: usize = 200_000;

/// When a tool call runs without asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ApprovalPolicy {
    /// Ask for every call (showing the full arguments), unless the person said "always" for
    /// that tool.
    #[default]
    Ask,
    /// Run tools the server annotates read-only, on connectors the step trusts; ask for the rest.
    ReadOnly,
    /// Run every call without asking.
    Auto,
}

impl std::str::FromStr for ApprovalPolicy {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        match text {
            "ask" => Ok(Self::Ask),
            "read-only" => Ok(Self::ReadOnly),
            "auto" => Ok(Self::Auto),
            other => Err(InvalidInput::Other(format!(
                "unknown approval policy {other:?}: use ask, read-only or auto"
            ))
            .into()),
        }
    }
}

/// A connector a step uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepConnector {
    pub name: String,
    /// The tools the model may call; empty: every tool the connector lists.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Tools never offered, even when `tools` is empty.
    #[serde(default)]
    pub disabled_tools: Vec<String>,
    /// Read-only tools of a trusted connector run without asking under
    /// [`ApprovalPolicy::ReadOnly`].
    #[serde(default)]
    pub trusted: bool,
}

/// Everything a run needs (a saved step's definition, or a one-off `patchbay run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepSpec {
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub system: Option<String>,
    pub prompt: String,
    #[serde(default)]
    pub connectors: Vec<StepConnector>,
    #[serde(default = "default_rounds")]
    pub max_rounds: u32,
    #[serde(default)]
    pub approval: ApprovalPolicy,
    /// How long a tool may stay silent (progress restarts it); `None`: the runner's default.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub tool_timeout_seconds: Option<u64>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub seed: Option<u64>,
}

fn default_rounds() -> u32 {
    DEFAULT_MAX_ROUNDS
}

impl StepSpec {
    /// A step with the defaults: no connectors, ask for every call, 10 rounds.
    pub fn new(provider: &str, model: &str, prompt: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            model: model.to_owned(),
            system: None,
            prompt: prompt.to_owned(),
            connectors: Vec::new(),
            max_rounds: DEFAULT_MAX_ROUNDS,
            approval: ApprovalPolicy::Ask,
            tool_timeout_seconds: None,
            temperature: None,
            seed: None,
        }
    }

    /// The person's mistakes, before anything is saved or sent.
    pub fn validate(&self) -> Result<(), Error> {
        validate::name(&self.provider, "the provider name")?;
        if self.model.trim().is_empty() {
            return Err(InvalidInput::Empty { what: "the model" }.into());
        }
        if self.prompt.trim().is_empty() {
            return Err(InvalidInput::Empty { what: "the prompt" }.into());
        }
        for (text, what) in [
            (Some(&self.prompt), "the prompt"),
            (self.system.as_ref(), "the system prompt"),
        ] {
            if let Some(text) = text
                && text.chars().count() > MAX_PROMPT_CHARS
            {
                return Err(InvalidInput::TooLong {
                    what,
                    length: text.len(),
                    max: MAX_PROMPT_CHARS,
                }
                .into());
            }
        }
        if !(1..=MAX_ROUNDS_LIMIT).contains(&self.max_rounds) {
            return Err(InvalidInput::Other(format!(
                "max rounds must be between 1 and {MAX_ROUNDS_LIMIT} (got {})",
                self.max_rounds
            ))
            .into());
        }
        if let Some(seconds) = self.tool_timeout_seconds
            && !(1..=3600).contains(&seconds)
        {
            return Err(InvalidInput::Other(format!(
                "the tool timeout must be between 1 and 3600 seconds (got {seconds})"
            ))
            .into());
        }
        if let Some(temperature) = self.temperature
            && !(0.0..=2.0).contains(&temperature)
        {
            return Err(InvalidInput::Other(format!(
                "the temperature must be between 0 and 2 (got {temperature})"
            ))
            .into());
        }
        let mut seen = std::collections::HashSet::new();
        for connector in &self.connectors {
            if !seen.insert(connector.name.trim().to_lowercase()) {
                return Err(InvalidInput::Other(format!(
                    "connector {:?} is listed twice",
                    connector.name
                ))
                .into());
            }
        }
        Ok(())
    }
}

/// A saved step as front ends see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepView {
    pub id: String,
    pub workspace: String,
    pub name: String,
    #[serde(flatten)]
    pub spec: StepSpec,
    pub created_at: String,
    pub updated_at: String,
}

impl Patchbay {
    /// Saves `spec` as step `name`, replacing a step of that name.
    pub fn save_step(
        &self,
        workspace: &str,
        name: &str,
        spec: StepSpec,
    ) -> Result<StepView, Error> {
        let name = validate::name(name, "the step name")?;
        spec.validate()?;
        let definition = serde_json::to_string(&spec)
            .map_err(|error| Error::Internal(format!("cannot encode the step: {error}")))?;
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let timestamp = now();
            let row = match store.step_by_name(&found.id, &name)? {
                Some(existing) => StepRow {
                    name: name.clone(),
                    definition,
                    updated_at: timestamp,
                    ..existing
                },
                None => StepRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    workspace_id: found.id.clone(),
                    name: name.clone(),
                    definition,
                    created_at: timestamp.clone(),
                    updated_at: timestamp,
                },
            };
            store.save_step(&row)?;
            step_view(&found.name, row)
        })
    }

    pub fn list_steps(&self, workspace: &str) -> Result<Vec<StepView>, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            store
                .steps(&found.id)?
                .into_iter()
                .map(|row| step_view(&found.name, row))
                .collect()
        })
    }

    pub fn step(&self, workspace: &str, name: &str) -> Result<StepView, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row =
                store
                    .step_by_name(&found.id, name.trim())?
                    .ok_or_else(|| Error::NotFound {
                        what: "step",
                        name: name.to_owned(),
                        place: format!(" in workspace {:?}", found.name),
                    })?;
            step_view(&found.name, row)
        })
    }

    /// Removes a step; its past runs stay (they name the step, and hold what happened).
    pub fn remove_step(&self, workspace: &str, name: &str) -> Result<(), Error> {
        let step = self.step(workspace, name)?;
        blocking(|| Ok(self.store().delete_step(&step.id)?))
    }
}

fn step_view(workspace: &str, row: StepRow) -> Result<StepView, Error> {
    let spec: StepSpec = serde_json::from_str(&row.definition).map_err(|error| {
        Error::Store(crate::store::StoreError::Corrupt(format!(
            "step {:?}: {error}",
            row.name
        )))
    })?;
    Ok(StepView {
        id: row.id,
        workspace: workspace.to_owned(),
        name: row.name,
        spec,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
