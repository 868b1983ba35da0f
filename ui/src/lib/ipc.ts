// The only module that talks to Rust: it alone calls `invoke` and `listen`. Components import
// these functions; tests mock `@tauri-apps/api/core` and `@tauri-apps/api/event`.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import {
  type AlwaysAllowed,
  type AppInfo,
  type AppSettings,
  type ApprovalAnswer,
  type AuthorizeWaiting,
  type CallOutcome,
  type CheckView,
  type CommandName,
  type ConfigFormat,
  type ConnectorEditInput,
  type ConnectorInput,
  type ConnectorView,
  type Diagnosis,
  type ErrorCode,
  ERROR_CODES,
  EVENTS,
  type FocusConnector,
  type ImportPlan,
  type InputAnswer,
  type InputClosed,
  type InputRequested,
  type IpcError,
  type LinkOffer,
  type LocalProvider,
  type MachineClientInput,
  type ModelView,
  type OAuthClientInput,
  type OAuthClientView,
  type PlaceholderValue,
  type PromptFilled,
  type PromptItem,
  type ProviderEditInput,
  type ProviderInput,
  type ProviderView,
  type Reauthorized,
  type RedirectUris,
  type ResourceCatalog,
  type ResourceRead,
  type RunRecord,
  type RunSummary,
  type Saved,
  type ServerDetails,
  type SignInInput,
  type StatusEvent,
  type StepBudget,
  type StepRunEvent,
  type StepSpec,
  type StepUpView,
  type StepView,
  type ToolCatalog,
  type ToolProgress,
  type ToolsChanged,
  type Workspace,
} from './types';

export type { UnlistenFn };

/**
 * What each command takes and answers. The names are the generated `COMMANDS`: leaving one out,
 * or naming one Rust does not have, is a type error. Arguments use the camelCase names Tauri
 * expects; a command that returns nothing in Rust answers `null`.
 */
export type Commands = Contract<{
  list_workspaces: { args: NoArgs; result: Workspace[] };
  add_workspace: { args: { name: string }; result: Workspace };
  rename_workspace: { args: { oldName: string; newName: string }; result: Workspace };
  remove_workspace: { args: { name: string }; result: null };
  list_connectors: { args: { workspace: string }; result: ConnectorView[] };
  add_connector: { args: { workspace: string; input: ConnectorInput }; result: Saved };
  edit_connector: {
    args: { workspace: string; name: string; input: ConnectorEditInput };
    result: Saved;
  };
  remove_connector: { args: ConnectorArgs; result: null };
  test_connector: { args: ConnectorArgs; result: Diagnosis };
  check_now: { args: { connectorId: string | null }; result: null };
  authorize_connector: {
    args: {
      workspace: string;
      input: ConnectorInput;
      client: OAuthClientInput | null;
      flow: SignInInput;
    };
    result: Saved;
  };
  reauthorize_connector: {
    args: { workspace: string; name: string; client: OAuthClientInput | null; flow: SignInInput };
    result: Reauthorized;
  };
  cancel_authorization: { args: { flowId: string }; result: null };
  oauth_redirect_uris: { args: NoArgs; result: RedirectUris };
  forget_credentials: { args: ConnectorArgs; result: ConnectorView };
  connector_step_up: { args: ConnectorArgs; result: StepUpView };
  add_machine_connector: {
    args: { workspace: string; input: ConnectorInput; client: MachineClientInput };
    result: Saved;
  };
  renew_machine_connector: {
    args: { workspace: string; name: string; client: MachineClientInput | null };
    result: Saved;
  };
  oauth_client: { args: ConnectorArgs; result: OAuthClientView | null };
  list_providers: { args: { workspace: string }; result: ProviderView[] };
  add_provider: { args: { workspace: string; input: ProviderInput }; result: ProviderView };
  edit_provider: {
    args: { workspace: string; name: string; input: ProviderEditInput };
    result: ProviderView;
  };
  remove_provider: { args: { workspace: string; name: string }; result: null };
  list_models: { args: { workspace: string; provider: string }; result: ModelView[] };
  set_model_tools: {
    args: { workspace: string; provider: string; model: string; tools: boolean | null };
    result: null;
  };
  discover_local_providers: { args: NoArgs; result: LocalProvider[] };
  list_steps: { args: { workspace: string }; result: StepView[] };
  save_step: { args: { workspace: string; name: string; spec: StepSpec }; result: StepView };
  remove_step: { args: { workspace: string; name: string }; result: null };
  step_budget: { args: { workspace: string; spec: StepSpec }; result: StepBudget };
  run_step: {
    args: { workspace: string; step: string | null; spec: StepSpec; runId: string };
    result: RunRecord;
  };
  answer_approval: {
    args: { runId: string; requestId: string; answer: ApprovalAnswer };
    result: null;
  };
  answer_input: { args: { id: string; answer: InputAnswer }; result: null };
  cancel_run: { args: { runId: string }; result: null };
  list_runs: { args: { workspace: string; step: string | null }; result: RunSummary[] };
  run_record: { args: { workspace: string; id: string }; result: RunRecord };
  tool_catalog: { args: ConnectorArgs; result: ToolCatalog };
  set_tools_enabled: {
    args: { workspace: string; name: string; tools: string[]; enabled: boolean };
    result: ToolCatalog;
  };
  call_tool: {
    args: {
      workspace: string;
      name: string;
      tool: string;
      arguments: Record<string, unknown> | null;
      callId: string;
    };
    result: CallOutcome;
  };
  cancel_tool_call: { args: { callId: string }; result: null };
  watch_tools: { args: { workspace: string; name: string; watchId: string }; result: null };
  unwatch_tools: { args: { watchId: string }; result: null };
  resource_catalog: { args: ConnectorArgs; result: ResourceCatalog };
  read_resource: { args: { workspace: string; name: string; uri: string }; result: ResourceRead };
  prompt_catalog: { args: ConnectorArgs; result: PromptItem[] };
  get_prompt: {
    args: {
      workspace: string;
      name: string;
      prompt: string;
      arguments: Record<string, string> | null;
    };
    result: PromptFilled;
  };
  server_details: { args: ConnectorArgs; result: ServerDetails };
  check_history: { args: ConnectorArgs; result: CheckView[] };
  diagnostics_report: { args: ConnectorArgs; result: string };
  pause_connector: { args: ConnectorArgs; result: ConnectorView };
  resume_connector: { args: ConnectorArgs; result: ConnectorView };
  set_connector_notifications: {
    args: { workspace: string; name: string; on: boolean };
    result: ConnectorView;
  };
  duplicate_connector: {
    args: { workspace: string; name: string; newName: string | null };
    result: ConnectorView;
  };
  always_allowed: { args: { workspace: string }; result: AlwaysAllowed[] };
  revoke_always: { args: { workspace: string; connector: string; tool: string }; result: null };
  import_plan: {
    args: { workspace: string; text: string; format: ConfigFormat | null };
    result: ImportPlan;
  };
  import_connector: {
    args: {
      workspace: string;
      text: string;
      format: ConfigFormat | null;
      name: string;
      values: PlaceholderValue[];
    };
    result: Saved;
  };
  export_workspace: {
    args: { workspace: string; format: ConfigFormat; includeSecrets: boolean };
    result: string;
  };
  take_install_offer: { args: NoArgs; result: LinkOffer | null };
  get_settings: { args: NoArgs; result: AppSettings };
  save_settings: {
    args: { settings: AppSettings; proxyCredentials?: string | null };
    result: AppSettings;
  };
  app_info: { args: NoArgs; result: AppInfo };
  open_folder: { args: { which: 'data' | 'logs' }; result: null };
  quit_app: { args: NoArgs; result: null };
  ui_ready: { args: NoArgs; result: null };
}>;

export type CommandArgs<C extends CommandName> = Commands[C]['args'];
export type CommandResult<C extends CommandName> = Commands[C]['result'];

/** The name of an event the shell emits (the generated `EVENTS`). */
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

type NoArgs = Record<string, never>;
type ConnectorArgs = { workspace: string; name: string };

/** Exactly one entry per generated command name: none missing, none extra. */
type Contract<
  T extends Record<CommandName, { args: Record<string, unknown>; result: unknown }> &
    Record<Exclude<keyof T, CommandName>, never>,
> = T;

// Workspaces

export function listWorkspaces(): Promise<Workspace[]> {
  return call('list_workspaces', {});
}

export function addWorkspace(name: string): Promise<Workspace> {
  return call('add_workspace', { name });
}

export function renameWorkspace(oldName: string, newName: string): Promise<Workspace> {
  return call('rename_workspace', { oldName, newName });
}

export function removeWorkspace(name: string): Promise<null> {
  return call('remove_workspace', { name });
}

// Connectors

export function listConnectors(workspace: string): Promise<ConnectorView[]> {
  return call('list_connectors', { workspace });
}

/** Tests the connection first; rejects with an `IpcError` carrying the diagnosis if it fails. */
export function addConnector(workspace: string, input: ConnectorInput): Promise<Saved> {
  return call('add_connector', { workspace, input });
}

/** `name` is the connector's current name; `null` fields in `input` keep what is stored. */
export function editConnector(
  workspace: string,
  name: string,
  input: ConnectorEditInput,
): Promise<Saved> {
  return call('edit_connector', { workspace, name, input });
}

export function removeConnector(workspace: string, name: string): Promise<null> {
  return call('remove_connector', { workspace, name });
}

export function testConnector(workspace: string, name: string): Promise<Diagnosis> {
  return call('test_connector', { workspace, name });
}

/** Queues a check of one connector, or of all with `null`; results arrive as status events. */
export function checkNow(connectorId: string | null): Promise<null> {
  return call('check_now', { connectorId });
}

// OAuth sign-in. Rust opens the browser, waits for the redirect (Patchbay's deep link, or a
// loopback listener), exchanges the code and keeps the tokens: the webview only ever sees the
// authorization URL (to offer "copy link") and where the browser comes back to.

/**
 * Signs in, tests the connection and saves the new connector; nothing is saved on failure.
 * Waits (up to `AUTHORIZE_TIMEOUT_SECONDS`) for the browser; `EVENTS.authorizeWaiting` says where
 * the browser was sent.
 * `client` is a pre-registered client, for servers without dynamic client registration; `flow`
 * names this sign-in (for Cancel) and picks the redirect. A server that offers no way to
 * register rejects with `NeedsClientId` and the redirect URI to register.
 */
export function authorizeConnector(
  workspace: string,
  input: ConnectorInput,
  client: OAuthClientInput | null,
  flow: SignInInput,
): Promise<Saved> {
  return call('authorize_connector', { workspace, input, client, flow });
}

/**
 * Signs in again to an existing OAuth connector (expired or revoked tokens, or a step-up: it
 * asks for the grant's scopes plus those a server refused a request for). `not_granted` names
 * the scopes it asked for that the server left out.
 */
export function reauthorizeConnector(
  workspace: string,
  name: string,
  client: OAuthClientInput | null,
  flow: SignInInput,
): Promise<Reauthorized> {
  return call('reauthorize_connector', { workspace, name, client, flow });
}

/**
 * What Re-authenticate will ask for beyond the grant: scopes a server refused a request for
 * (403 insufficient_scope), and those it did not grant last time. Both empty without a step-up.
 */
export function connectorStepUp(workspace: string, name: string): Promise<StepUpView> {
  return call('connector_step_up', { workspace, name });
}

/** Stops sign-in `flowId` if it still waits; its call then rejects with "sign-in cancelled". */
export function cancelAuthorization(flowId: string): Promise<null> {
  return call('cancel_authorization', { flowId });
}

/** The redirect URIs a person registers for a pre-registered client (the app's link, loopback). */
export function oauthRedirectUris(): Promise<RedirectUris> {
  return call('oauth_redirect_uris', {});
}

/** Forgets a connector's tokens and client registration; it then needs authentication. */
export function forgetCredentials(workspace: string, name: string): Promise<ConnectorView> {
  return call('forget_credentials', { workspace, name });
}

// Machine connectors: their own client gets the tokens with the client-credentials grant. No
// browser, no flow id; the secret or key goes to Rust and never comes back.

/**
 * Gets a token for `client`, tests the connection and saves the new OAuth connector; nothing is
 * saved on failure (a rejected client rejects with `NeedsAuth` and core's explanation).
 */
export function addMachineConnector(
  workspace: string,
  input: ConnectorInput,
  client: MachineClientInput,
): Promise<Saved> {
  return call('add_machine_connector', { workspace, input, client });
}

/**
 * Renews a machine connector's token now: with its stored client (`client` null), or with a new
 * secret or key. The connector changes only once the new token works.
 */
export function renewMachineConnector(
  workspace: string,
  name: string,
  client: MachineClientInput | null,
): Promise<Saved> {
  return call('renew_machine_connector', { workspace, name, client });
}

/** The OAuth client a connector's tokens come from (never its secret); null when none is stored. */
export function oauthClient(workspace: string, name: string): Promise<OAuthClientView | null> {
  return call('oauth_client', { workspace, name });
}

// The connector workbench: one connector's tools, resources, prompts, server and history, and
// pausing, muting or copying it. The catalogs, reads and calls open a session with the server
// each time; nothing is cached here.

/** A connector's tools with their enabled switch and size, and the budget they add up to. */
export function toolCatalog(workspace: string, name: string): Promise<ToolCatalog> {
  return call('tool_catalog', { workspace, name });
}

/**
 * Switches `tools` of a connector on or off and answers the new catalog. Switching off a name the
 * server does not list is refused; switching on any name clears it from the switched-off list.
 */
export function setToolsEnabled(
  workspace: string,
  name: string,
  tools: string[],
  enabled: boolean,
): Promise<ToolCatalog> {
  return call('set_tools_enabled', { workspace, name, tools, enabled });
}

/**
 * Calls a tool for the person under `callId` (chosen by the page, which listens for its
 * `onToolProgress` events). A tool's own failure resolves with `is_error`; Cancel
 * (`cancelToolCall`) rejects with `Cancelled`.
 */
export function callTool(
  workspace: string,
  name: string,
  tool: string,
  args: Record<string, unknown> | null,
  callId: string,
): Promise<CallOutcome> {
  return call('call_tool', { workspace, name, tool, arguments: args, callId });
}

/** Ends tool call `callId`; a late cancel does nothing. */
export function cancelToolCall(callId: string): Promise<null> {
  return call('cancel_tool_call', { callId });
}

/**
 * Keeps a session open with the connector and sends `onToolsChanged` events when its tool list
 * changes. Resolves only once `unwatchTools(watchId)` is called (or rejects when the session
 * ends with an error): callers do not await it.
 */
export function watchTools(workspace: string, name: string, watchId: string): Promise<null> {
  return call('watch_tools', { workspace, name, watchId });
}

export function unwatchTools(watchId: string): Promise<null> {
  return call('unwatch_tools', { watchId });
}

export function resourceCatalog(workspace: string, name: string): Promise<ResourceCatalog> {
  return call('resource_catalog', { workspace, name });
}

/** A resource's contents as shown parts (text, or binary by size with an image preview). */
export function readResource(workspace: string, name: string, uri: string): Promise<ResourceRead> {
  return call('read_resource', { workspace, name, uri });
}

export function promptCatalog(workspace: string, name: string): Promise<PromptItem[]> {
  return call('prompt_catalog', { workspace, name });
}

/** Prompt `prompt` filled in with `args` by the server. */
export function getPrompt(
  workspace: string,
  name: string,
  prompt: string,
  args: Record<string, string> | null,
): Promise<PromptFilled> {
  return call('get_prompt', { workspace, name, prompt, arguments: args });
}

/** What the server says of itself, from a session opened now. */
export function serverDetails(workspace: string, name: string): Promise<ServerDetails> {
  return call('server_details', { workspace, name });
}

/** The connector's recorded checks, newest first. */
export function checkHistory(workspace: string, name: string): Promise<CheckView[]> {
  return call('check_history', { workspace, name });
}

/** A plain-text report about the connector for a bug report; secrets are redacted by Rust. */
export function diagnosticsReport(workspace: string, name: string): Promise<string> {
  return call('diagnostics_report', { workspace, name });
}

/** A paused connector is not checked and not offered to steps until resumed. */
export function pauseConnector(workspace: string, name: string): Promise<ConnectorView> {
  return call('pause_connector', { workspace, name });
}

/** Resumes a paused connector; Rust checks it again at once (a status event follows). */
export function resumeConnector(workspace: string, name: string): Promise<ConnectorView> {
  return call('resume_connector', { workspace, name });
}

/** Switches the desktop notifications of a connector's status changes on or off (`muted`). */
export function setConnectorNotifications(
  workspace: string,
  name: string,
  on: boolean,
): Promise<ConnectorView> {
  return call('set_connector_notifications', { workspace, name, on });
}

/** Copies a connector under `newName`, or a free "(copy)" name with `null`. */
export function duplicateConnector(
  workspace: string,
  name: string,
  newName: string | null,
): Promise<ConnectorView> {
  return call('duplicate_connector', { workspace, name, newName });
}

// Model providers. An API key goes to Rust in an input and never comes back: views say only
// `key_set`.

export function listProviders(workspace: string): Promise<ProviderView[]> {
  return call('list_providers', { workspace });
}

/** Tests the provider first (by listing its models); nothing is saved if that fails. */
export function addProvider(workspace: string, input: ProviderInput): Promise<ProviderView> {
  return call('add_provider', { workspace, input });
}

/** `name` is the provider's current name; `null` fields (and an empty key) keep what is stored. */
export function editProvider(
  workspace: string,
  name: string,
  input: ProviderEditInput,
): Promise<ProviderView> {
  return call('edit_provider', { workspace, name, input });
}

export function removeProvider(workspace: string, name: string): Promise<null> {
  return call('remove_provider', { workspace, name });
}

/** The provider's models and whether each can call tools (and who says so); asks the provider. */
export function listModels(workspace: string, provider: string): Promise<ModelView[]> {
  return call('list_models', { workspace, provider });
}

/** The person's verdict on whether `model` can call tools; `null` forgets it. */
export function setModelTools(
  workspace: string,
  provider: string,
  model: string,
  tools: boolean | null,
): Promise<null> {
  return call('set_model_tools', { workspace, provider, model, tools });
}

/** Model servers running on this computer (127.0.0.1 only; takes up to a couple of seconds). */
export function discoverLocalProviders(): Promise<LocalProvider[]> {
  return call('discover_local_providers', {});
}

// Steps and their runs.

export function listSteps(workspace: string): Promise<StepView[]> {
  return call('list_steps', { workspace });
}

/** Saves `spec` as step `name`, replacing a step of that name. */
export function saveStep(workspace: string, name: string, spec: StepSpec): Promise<StepView> {
  return call('save_step', { workspace, name, spec: onTheWire(spec) });
}

export function removeStep(workspace: string, name: string): Promise<null> {
  return call('remove_step', { workspace, name });
}

/** What `spec` would offer its model: tools and tokens per connector and in all. */
export function stepBudget(workspace: string, spec: StepSpec): Promise<StepBudget> {
  return call('step_budget', { workspace, spec: onTheWire(spec) });
}

/**
 * Runs `spec` (saved as `step`, or a one-off with `null`) under `runId`, which the page chose
 * and listens for (`onStepRun`). Resolves with the saved run; a run that started and then failed
 * or was cancelled rejects with `run_id` set (its transcript so far is saved).
 */
export function runStep(
  workspace: string,
  step: string | null,
  spec: StepSpec,
  runId: string,
): Promise<RunRecord> {
  return call('run_step', { workspace, step, spec: onTheWire(spec), runId });
}

export function answerApproval(
  runId: string,
  requestId: string,
  answer: ApprovalAnswer,
): Promise<null> {
  return call('answer_approval', { runId, requestId, answer });
}

/** Stops the run at once; its `run_step` then rejects with `Cancelled`. A late cancel does nothing. */
export function cancelRun(runId: string): Promise<null> {
  return call('cancel_run', { runId });
}

/** The runs of `step`, or of every step and one-off run with `null`; newest first. */
export function listRuns(workspace: string, step: string | null): Promise<RunSummary[]> {
  return call('list_runs', { workspace, step });
}

export function runRecord(workspace: string, id: string): Promise<RunRecord> {
  return call('run_record', { workspace, id });
}

/** The tools a person answered "always" for, which run without asking. */
export function alwaysAllowed(workspace: string): Promise<AlwaysAllowed[]> {
  return call('always_allowed', { workspace });
}

export function revokeAlways(workspace: string, connector: string, tool: string): Promise<null> {
  return call('revoke_always', { workspace, connector, tool });
}

// Other clients' files and install links. A file's text goes to Rust whole and is read there;
// nothing is added until the person picks what to import, and each import tests its server
// before saving, like Add. Secrets typed for a file's placeholders only travel UI → Rust.

/**
 * What importing `text` (a Claude Desktop, VS Code or Cursor `mcp.json`, up to 1 MiB) would add,
 * and what it skips and why; `format` null detects the shape. Adds nothing; a file that cannot be
 * read rejects with what is wrong.
 */
export function importPlan(
  workspace: string,
  text: string,
  format: ConfigFormat | null,
): Promise<ImportPlan> {
  return call('import_plan', { workspace, text, format });
}

/**
 * Imports server `name` of `text`: fills its placeholders with `values` (one per reference it
 * has), tests it and saves it; rejects with the diagnosis when the test fails, like `addConnector`.
 */
export function importConnector(
  workspace: string,
  text: string,
  format: ConfigFormat | null,
  name: string,
  values: PlaceholderValue[],
): Promise<Saved> {
  return call('import_connector', { workspace, text, format, name, values });
}

/**
 * The workspace's connectors as another client's file (pretty JSON). Without `includeSecrets`,
 * tokens and header values are placeholders the other client asks for.
 */
export function exportWorkspace(
  workspace: string,
  format: ConfigFormat,
  includeSecrets: boolean,
): Promise<string> {
  return call('export_workspace', { workspace, format, includeSecrets });
}

/**
 * The install link the OS handed the app last (kept from a cold start too), once: a later call
 * answers null until another arrives (`onInstallOffer`).
 */
export function takeInstallOffer(): Promise<LinkOffer | null> {
  return call('take_install_offer', {});
}

// The app's own settings and the window's way out.

export function getSettings(): Promise<AppSettings> {
  return call('get_settings', {});
}

/**
 * Saves the whole settings object and answers it as stored; values out of range reject with
 * `InvalidInput` and nothing is saved. Pass `tray_notice_shown` back as it was read.
 * `proxyCredentials` (`user:password`) are new credentials for the app's explicit proxy, sealed
 * by Rust (absent or empty keeps the stored ones; Rust drops them when the proxy changes).
 */
export function saveSettings(
  settings: AppSettings,
  proxyCredentials?: string | null,
): Promise<AppSettings> {
  return call('save_settings', { settings, proxyCredentials: proxyCredentials ?? null });
}

/** The version, where Patchbay keeps its data and logs, and whether the desktop shows a tray. */
export function appInfo(): Promise<AppInfo> {
  return call('app_info', {});
}

/** Opens Patchbay's data or log folder in the file manager. */
export function openFolder(which: 'data' | 'logs'): Promise<null> {
  return call('open_folder', { which });
}

/** Quits Patchbay (the window, the tray and the status monitor). */
export function quitApp(): Promise<null> {
  return call('quit_app', {});
}

let painted = false;

/**
 * Tells the shell, once, that the connector list has painted (after the frame that drew it):
 * the start-to-paint mark of `cargo xtask bench`, logged by the app. Failures are ignored.
 */
export function markListPainted(): void {
  if (painted) return;
  painted = true;
  const frame = globalThis.requestAnimationFrame;
  if (typeof frame !== 'function') return;
  frame(() => frame(() => void call('ui_ready', {}).catch(() => undefined)));
}

/** The step as Rust reads it: a whole number of seconds, or none. */
function onTheWire(spec: StepSpec): StepSpec {
  const seconds = spec.tool_timeout_seconds;
  return {
    ...spec,
    tool_timeout_seconds: seconds === null ? null : Math.round(Number(seconds)),
  };
}

// Events

/** A connector was checked; sent by the status monitor in Rust. */
export function onConnectorStatus(handler: (event: StatusEvent) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.connectorStatus, handler);
}

/** The user picked a connector in the tray menu. */
export function onFocusConnector(handler: (event: FocusConnector) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.focusConnector, handler);
}

/** The OS handed the app an install link; `takeInstallOffer` reads it. */
export function onInstallOffer(handler: () => void): Promise<UnlistenFn> {
  return subscribe<null>(EVENTS.installOffer, () => handler());
}

/** A sign-in sent the browser to this URL and is waiting for the redirect. */
export function onAuthorizeWaiting(
  handler: (event: AuthorizeWaiting) => void,
): Promise<UnlistenFn> {
  return subscribe(EVENTS.authorizeWaiting, handler);
}

/** A connector's server asks the person something while one of its tools runs. */
export function onInputRequested(handler: (event: InputRequested) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.inputRequested, handler);
}

/** A question no longer waits (answered, timed out, or its call ended). */
export function onInputClosed(handler: (event: InputClosed) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.inputClosed, handler);
}

/** Answers a question a server asked (`onInputRequested`); a late answer does nothing. */
export function answerInput(id: string, answer: InputAnswer): Promise<null> {
  return call('answer_input', { id, answer });
}

/** Progress of a tool call the person started; `call_id` says which. */
export function onToolProgress(handler: (event: ToolProgress) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.toolProgress, handler);
}

/** A watched connector's tool list changed (`watchTools`). */
export function onToolsChanged(handler: (event: ToolsChanged) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.toolsChanged, handler);
}

/** Something happened in a step run; `run_id` says which (the page listens for its own). */
export function onStepRun(handler: (event: StepRunEvent) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.stepRun, handler);
}

async function call<C extends CommandName>(
  command: C,
  args: CommandArgs<C>,
): Promise<CommandResult<C>> {
  try {
    return await invoke<CommandResult<C>>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

async function subscribe<T>(event: EventName, handler: (payload: T) => void): Promise<UnlistenFn> {
  try {
    return await listen<T>(event, (message) => handler(message.payload));
  } catch (error) {
    throw toIpcError(error);
  }
}

/**
 * Commands reject with `{ code, message, hint?, diagnosis?, redirect_uri?, run_id? }`; anything else (a
 * missing command, a panic, no Tauri at all) becomes `Internal` so the UI has one error shape.
 */
export function toIpcError(error: unknown): IpcError {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message, hint, diagnosis, redirect_uri, run_id } = error as Record<
      string,
      unknown
    >;
    if (ERROR_CODES.includes(code as ErrorCode) && typeof message === 'string') {
      return {
        code: code as ErrorCode,
        message,
        hint: typeof hint === 'string' && hint !== '' ? hint : null,
        diagnosis: isDiagnosis(diagnosis) ? diagnosis : null,
        redirect_uri: typeof redirect_uri === 'string' && redirect_uri !== '' ? redirect_uri : null,
        run_id: typeof run_id === 'string' && run_id !== '' ? run_id : null,
      };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'Internal',
    message,
    hint: null,
    diagnosis: null,
    redirect_uri: null,
    run_id: null,
  };
}

function isDiagnosis(value: unknown): value is Diagnosis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Diagnosis).stage === 'string' &&
    typeof (value as Diagnosis).ok === 'boolean'
  );
}
