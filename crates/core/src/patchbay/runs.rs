//! Running LLM steps, one use case from start to saved transcript: check the step, reach the
//! provider and every connector once (OAuth refresh and step-up as everywhere else), freeze
//! the enabled tools, run the loop ([`crate::runner`]) with the front end's [`StepFront`] for
//! streamed events and approvals, and save the run — sealed with the workspace key, whatever
//! happened (a failed or cancelled run keeps its transcript so far). Also the runs' history and
//! the "always allow" answers, which stay visible and revocable.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::ToolsSource;
use super::steps::{ApprovalPolicy, StepConnector, StepSpec};
use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::runner::{
    self, Approval, ApprovalRequest, Gate, GateAnswer, RunError, RunEvent, RunFront, RunRecord,
    RunSettings, Toolbox, Transcript,
};
use crate::secret::Secret;
use crate::store::{RunRow, SecretField, SecretOwner};
use crate::validate::InvalidInput;

/// Runs listed at most, newest first.
pub const RUN_LIST_LIMIT: usize = 200;

/// A person's answer to "run this call?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Approve {
    Once,
    /// Allow this tool of this connector from now on (revocable).
    Always,
    Deny,
    /// Nobody can answer (no terminal, no window): the run stops at once instead of waiting.
    NobodyToAsk,
}

/// What a front end supplies to a run: where its events go, and who answers approvals.
#[async_trait::async_trait]
pub trait StepFront: Send + Sync {
    fn event(&self, event: RunEvent<'_>);
    async fn approve(&self, request: &ApprovalRequest) -> Approve;
}

/// A run as lists show it (no transcript, nothing decrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunSummary {
    pub id: String,
    pub step: Option<String>,
    pub provider: String,
    pub model: String,
    /// `answered`, `max_rounds`, `repeated_call`, `cancelled` or `failed`.
    pub outcome: String,
    pub started_at: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
    pub rounds: u32,
    pub tool_calls: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub input_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub output_tokens: u64,
}

/// A tool a person allowed always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlwaysAllowed {
    pub connector: String,
    pub tool: String,
    pub since: String,
}

impl Patchbay {
    /// Runs saved step `name`.
    pub async fn run_saved_step(
        &self,
        workspace: &str,
        name: &str,
        front: &dyn StepFront,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, Error> {
        let step = self.step(workspace, name)?;
        self.run_step(workspace, Some(&step.name), step.spec, front, cancel)
            .await
    }

    /// Runs `spec` (saved as step `step`, or a one-off) and saves the run. A run that starts
    /// and then fails or is cancelled is saved too, and comes back as [`Error::RunFailed`] with
    /// its record; one that cannot start (bad input, a model without tools given connectors, a
    /// connector that does not answer) saves nothing.
    pub async fn run_step(
        &self,
        workspace: &str,
        step: Option<&str>,
        spec: StepSpec,
        front: &dyn StepFront,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, Error> {
        spec.validate()?;
        let (provider, client) = self.provider_client(workspace, &spec.provider)?;
        if !spec.connectors.is_empty() {
            let (tools, source) = self
                .model_tool_support(workspace, &spec.provider, &spec.model)
                .await?;
            if tools == Some(false) {
                return Err(InvalidInput::Other(format!(
                    "the model {:?} cannot call tools ({}), so it cannot use connectors: choose \
                     a tool-capable model, or run without connectors",
                    spec.model,
                    match source {
                        ToolsSource::Override => "you marked it so",
                        ToolsSource::Provider => "its provider says so",
                        ToolsSource::KnownModels | ToolsSource::Unknown =>
                            "a known model without tool calling",
                    }
                ))
                .into());
            }
        }
        let mut always = std::collections::HashSet::new();
        let mut connector_ids = std::collections::HashMap::new();
        for connector in &spec.connectors {
            let view = self.connector(workspace, &connector.name)?;
            connector_ids.insert(view.name.clone(), view.id.clone());
        }
        for allowed in self.always_allowed(workspace)? {
            always.insert((allowed.connector.to_lowercase(), allowed.tool));
        }
        let toolboxes = tokio::select! {
            toolboxes = self.toolboxes(workspace, &spec) => toolboxes?,
            () = cancel.cancelled() => return Err(Error::Cancelled("step run")),
        };
        let mut settings = RunSettings::new(&provider.name, &spec.model, &spec.prompt);
        settings.system = spec
            .system
            .clone()
            .filter(|system| !system.trim().is_empty());
        settings.max_rounds = spec.max_rounds;
        settings.temperature = spec.temperature;
        settings.seed = spec.seed;
        if let Some(seconds) = spec.tool_timeout_seconds {
            settings.tool_idle_timeout = std::time::Duration::from_secs(seconds);
        }
        let gate = PolicyGate {
            patchbay: self,
            workspace,
            policy: spec.approval,
            trusted: spec
                .connectors
                .iter()
                .filter(|connector| connector.trusted)
                .map(|connector| connector.name.to_lowercase())
                .collect(),
            always: std::sync::Mutex::new(always),
            front,
        };
        let events = Events(front);
        let finished = runner::run(
            client.as_ref(),
            settings,
            toolboxes,
            &gate,
            &events,
            cancel,
            now(),
        )
        .await;
        let record = self.save_run(workspace, step, finished.transcript)?;
        match finished.error {
            None => Ok(record),
            Some(error) => Err(Error::RunFailed {
                record: Box::new(record),
                cause: Box::new(match error {
                    RunError::Model(error) => Error::Model(error),
                    RunError::Stopped(reason) => InvalidInput::Other(reason).into(),
                    RunError::Cancelled => Error::Cancelled("step run"),
                }),
            }),
        }
    }

    /// One session per connector, and its enabled tools, frozen for the run.
    async fn toolboxes(&self, workspace: &str, spec: &StepSpec) -> Result<Vec<Toolbox>, Error> {
        let mut toolboxes = Vec::with_capacity(spec.connectors.len());
        for connector in &spec.connectors {
            let switched_off = self.usable(workspace, connector)?;
            let session = self.session(workspace, &connector.name).await?;
            // While the server's cache hints say its list is fresh, it is not asked again.
            let listed = session.list_tools_cached().await.map_err(|error| {
                self.request_failure(workspace, &connector.name, "listing tools", error)
            })?;
            let tools = offered(listed, connector, &switched_off)?;
            toolboxes.push(Toolbox {
                connector: connector.name.clone(),
                session,
                tools,
            });
        }
        Ok(toolboxes)
    }

    /// What a step would offer its model: each connector's tools after the step's and the
    /// connector's switches, and their budget ([`crate::workbench::budget`]), the whole
    /// selection's included.
    pub async fn step_budget(&self, workspace: &str, spec: &StepSpec) -> Result<StepBudget, Error> {
        let mut connectors = Vec::with_capacity(spec.connectors.len());
        let mut all = Vec::new();
        for connector in &spec.connectors {
            let switched_off = self.usable(workspace, connector)?;
            let session = self.session(workspace, &connector.name).await?;
            let listed = session.list_tools_cached().await;
            session.close().await;
            let listed = listed.map_err(|error| {
                self.request_failure(workspace, &connector.name, "listing tools", error)
            })?;
            let sizes: Vec<(bool, u32)> = offered(listed, connector, &switched_off)?
                .iter()
                .map(|tool| (true, crate::workbench::estimate_tokens(tool)))
                .collect();
            all.extend(sizes.iter().copied());
            connectors.push(ConnectorBudget {
                connector: connector.name.clone(),
                budget: crate::workbench::budget(sizes),
            });
        }
        Ok(StepBudget {
            connectors,
            total: crate::workbench::budget(all),
        })
    }

    /// Whether a step may use `connector` (not paused, no switched-off tool named); its
    /// switched-off tools.
    fn usable(&self, workspace: &str, connector: &StepConnector) -> Result<Vec<String>, Error> {
        let (_, row) = self.located(workspace, &connector.name)?;
        if row.paused {
            return Err(InvalidInput::Other(format!(
                "connector {:?} is paused; resume it, or leave it out of this step",
                row.name
            ))
            .into());
        }
        // Tools switched off for the connector are never offered to a model.
        let switched_off = blocking(|| Ok::<_, Error>(self.store().disabled_tools(&row.id)?))?;
        if let Some(named) = connector
            .tools
            .iter()
            .find(|tool| switched_off.contains(tool))
        {
            return Err(InvalidInput::Other(format!(
                "tool {named:?} is switched off for connector {:?}; switch it on in the \
                 connector's tools, or leave it out of this step",
                row.name
            ))
            .into());
        }
        Ok(switched_off)
    }

    /// Seals and saves a finished run.
    fn save_run(
        &self,
        workspace: &str,
        step: Option<&str>,
        transcript: Transcript,
    ) -> Result<RunRecord, Error> {
        let json = serde_json::to_string(&transcript)
            .map_err(|error| Error::Internal(format!("cannot encode the transcript: {error}")))?;
        let id = uuid::Uuid::new_v4().to_string();
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let sealed = self.vault.seal(
                &store,
                &found.id,
                SecretOwner::Run(&id),
                &SecretField::Transcript,
                &Secret::new(json),
            )?;
            let row = RunRow {
                id: id.clone(),
                workspace_id: found.id.clone(),
                step_name: step.map(str::to_owned),
                provider: transcript.provider.clone(),
                model: transcript.model.clone(),
                outcome: outcome_name(&transcript),
                started_at: transcript.started_at.clone(),
                duration_ms: transcript.duration_ms,
                rounds: transcript.rounds,
                tool_calls: u32::try_from(transcript.calls().count()).unwrap_or(u32::MAX),
                input_tokens: transcript.usage.input,
                output_tokens: transcript.usage.output,
            };
            store.insert_run(&row, &sealed)?;
            Ok(RunRecord {
                id: id.clone(),
                workspace: found.name.clone(),
                step: step.map(str::to_owned),
                transcript,
            })
        })
    }

    /// A workspace's runs, newest first (those of `step` when given).
    pub fn list_runs(&self, workspace: &str, step: Option<&str>) -> Result<Vec<RunSummary>, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            Ok(store
                .runs(&found.id, step.map(str::trim), RUN_LIST_LIMIT)?
                .into_iter()
                .map(summary)
                .collect())
        })
    }

    /// A saved run with its transcript (decrypted); `id` may be a unique prefix.
    pub fn run_record(&self, workspace: &str, id: &str) -> Result<RunRecord, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let (row, sealed) =
                store
                    .run(&found.id, id.trim())?
                    .ok_or_else(|| Error::NotFound {
                        what: "run",
                        name: id.to_owned(),
                        place: format!(" in workspace {:?}", found.name),
                    })?;
            let plain = self.vault.open(
                &store,
                &found.id,
                SecretOwner::Run(&row.id),
                &SecretField::Transcript,
                &crate::store::Sealed {
                    ciphertext: sealed,
                    binding: crate::store::Binding::Owner,
                },
            )?;
            let transcript: Transcript = serde_json::from_str(plain.expose()).map_err(|error| {
                Error::Store(crate::store::StoreError::Corrupt(format!(
                    "run {}: {error}",
                    row.id
                )))
            })?;
            Ok(RunRecord {
                id: row.id,
                workspace: found.name.clone(),
                step: row.step_name,
                transcript,
            })
        })
    }

    /// The tools allowed "always", per connector.
    pub fn always_allowed(&self, workspace: &str) -> Result<Vec<AlwaysAllowed>, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let connectors = store.connectors(&found.id)?;
            Ok(store
                .approvals(&found.id)?
                .into_iter()
                .filter_map(|row| {
                    let connector = connectors.iter().find(|c| c.id == row.connector_id)?;
                    Some(AlwaysAllowed {
                        connector: connector.name.clone(),
                        tool: row.tool,
                        since: row.created_at,
                    })
                })
                .collect())
        })
    }

    /// Allows `tool` of `connector` from now on without asking.
    pub fn allow_always(&self, workspace: &str, connector: &str, tool: &str) -> Result<(), Error> {
        let (found, row) = self.located(workspace, connector)?;
        blocking(|| {
            Ok(self
                .store()
                .allow_always(&found.id, &row.id, tool, &now())?)
        })
    }

    /// Takes back an "always"; asking resumes for that tool.
    pub fn revoke_always(&self, workspace: &str, connector: &str, tool: &str) -> Result<(), Error> {
        let (found, row) = self.located(workspace, connector)?;
        blocking(|| {
            if self.store().revoke_always(&row.id, tool)? {
                Ok(())
            } else {
                Err(Error::NotFound {
                    what: "\"always\" answer for tool",
                    name: tool.to_owned(),
                    place: format!(" of connector {:?} in workspace {:?}", row.name, found.name),
                })
            }
        })
    }
}

fn outcome_name(transcript: &Transcript) -> String {
    serde_json::to_value(&transcript.outcome)
        .ok()
        .and_then(|value| {
            value
                .get("kind")
                .and_then(|kind| kind.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn summary(row: RunRow) -> RunSummary {
    RunSummary {
        id: row.id,
        step: row.step_name,
        provider: row.provider,
        model: row.model,
        outcome: row.outcome,
        started_at: row.started_at,
        duration_ms: row.duration_ms,
        rounds: row.rounds,
        tool_calls: row.tool_calls,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
    }
}

/// The front end's events, as the runner's [`RunFront`].
struct Events<'a>(&'a dyn StepFront);

impl RunFront for Events<'_> {
    fn event(&self, event: RunEvent<'_>) {
        self.0.event(event);
    }
}

/// The approval policy: remembered "always" answers first, then the step's policy, then the
/// person.
struct PolicyGate<'a> {
    patchbay: &'a Patchbay,
    workspace: &'a str,
    policy: ApprovalPolicy,
    /// Lower-cased names of the connectors the step trusts.
    trusted: std::collections::HashSet<String>,
    /// (lower-cased connector name, tool) allowed always.
    always: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
    front: &'a dyn StepFront,
}

#[async_trait::async_trait]
impl Gate for PolicyGate<'_> {
    async fn decide(&self, request: &ApprovalRequest) -> GateAnswer {
        let key = (request.connector.to_lowercase(), request.tool.clone());
        let remembered = self
            .always
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&key);
        if remembered {
            return GateAnswer::Run(Approval::AlwaysAllowed);
        }
        match self.policy {
            ApprovalPolicy::Auto => return GateAnswer::Run(Approval::AutoApproved),
            ApprovalPolicy::ReadOnly if request.read_only && self.trusted.contains(&key.0) => {
                return GateAnswer::Run(Approval::ReadOnly);
            }
            ApprovalPolicy::ReadOnly | ApprovalPolicy::Ask => {}
        }
        match self.front.approve(request).await {
            Approve::Once => GateAnswer::Run(Approval::AllowedOnce),
            Approve::Always => {
                if let Err(error) =
                    self.patchbay
                        .allow_always(self.workspace, &request.connector, &request.tool)
                {
                    tracing::warn!(%error, "remembering an \"always\" answer");
                }
                self.always
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key);
                GateAnswer::Run(Approval::AlwaysAllowed)
            }
            Approve::Deny => GateAnswer::Deny,
            Approve::NobodyToAsk => GateAnswer::Stop(format!(
                "this step asks before each tool call and nobody can answer here (the model \
                 wanted {}.{}); run it where someone can approve, or choose the read-only or \
                 auto approval policy",
                request.connector, request.tool
            )),
        }
    }
}

/// The tools of `listed` a step offers: those it names (all when it names none), less those it
/// or the connector switched off. A name the server does not list is refused with the names
/// it has.
fn offered(
    listed: Vec<rmcp::model::Tool>,
    connector: &StepConnector,
    switched_off: &[String],
) -> Result<Vec<rmcp::model::Tool>, Error> {
    for wanted in connector.tools.iter().chain(&connector.disabled_tools) {
        if !listed.iter().any(|tool| tool.name == wanted.as_str()) {
            let names: Vec<&str> = listed.iter().map(|tool| tool.name.as_ref()).collect();
            return Err(InvalidInput::Other(format!(
                "connector {:?} has no tool {wanted:?}; it has: {}",
                connector.name,
                names.join(", ")
            ))
            .into());
        }
    }
    Ok(listed
        .into_iter()
        .filter(|tool| {
            (connector.tools.is_empty()
                || connector
                    .tools
                    .iter()
                    .any(|name| tool.name == name.as_str()))
                && !connector
                    .disabled_tools
                    .iter()
                    .chain(switched_off)
                    .any(|name| tool.name == name.as_str())
        })
        .collect())
}

/// One connector's share of a step's tool budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorBudget {
    pub connector: String,
    pub budget: crate::workbench::Budget,
}

/// What a step offers its model, per connector and in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepBudget {
    pub connectors: Vec<ConnectorBudget>,
    pub total: crate::workbench::Budget,
}
