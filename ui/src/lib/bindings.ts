// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p patchbay-desktop bindings` after changing them.

export type AuthKind = "none" | "token" | "oauth";

export type ConnectorStatus = "unknown" | "connected" | "disconnected" | "needs_auth" | "error";

export type Workspace = { id: string, name: string, created_at: string, };

export type ConnectorView = { id: string, workspace: string, name: string, url: string, auth: AuthKind, 
/**
 * Whether an access token is stored (the token itself never leaves the core).
 */
token_set: boolean, 
/**
 * Names of the custom headers; their values are secrets.
 */
header_names: Array<string>, status: ConnectorStatus, last_checked_at: string | null, last_error: string | null, created_at: string, updated_at: string, };

export type Stage = "resolve" | "connect" | "tls" | "http" | "auth" | "initialize" | "list_tools" | "ready";

export type TransportKind = "streamable_http" | "legacy_sse";

export type Diagnosis = { ok: boolean, stage: Stage, transport: TransportKind | null, http_status: number | null, server_name: string | null, server_version: string | null, protocol_version: string | null, tool_count: number | null, latency_ms: number, 
/**
 * The server accepted the connection but never answered in time.
 */
timed_out: boolean, 
/**
 * What went wrong, in one line (empty when ok).
 */
detail: string, 
/**
 * What to do about it, in one line (empty when ok). Plain words, never a front end's.
 */
hint: string, 
/**
 * The action behind the hint, when a front end offers one.
 */
remedy: Remedy | null, };

export type Saved = { connector: ConnectorView, diagnosis: Diagnosis | null, };

export type HeaderInput = { name: string, value: string, };

export type ConnectorInput = { name: string, url: string, auth: AuthKind, token: string | null, headers: Array<HeaderInput>, };

export type ConnectorEditInput = { name: string | null, url: string | null, token: string | null, headers: Array<HeaderInput> | null, };

export type ErrorCode = "InvalidInput" | "NotFound" | "KeychainUnavailable" | "Unreachable" | "NeedsAuth" | "NeedsClientId" | "ServerError" | "Cancelled" | "Internal";

export type IpcError = { code: ErrorCode, message: string, hint: string | null, diagnosis: Diagnosis | null, 
/**
 * With `NeedsClientId`: the redirect URI to register the client with.
 */
redirect_uri: string | null, 
/**
 * A step run that failed or was cancelled after it started: its saved record's id (the
 * transcript so far is kept).
 */
run_id: string | null, };

export type StatusEvent = { connector_id: string, workspace: string, name: string, previous: ConnectorStatus, current: ConnectorStatus, diagnosis: Diagnosis | null, error: string | null, };

export type FocusConnector = { connector_id: string, workspace: string, };

export type OAuthClientInput = { client_id: string, client_secret: string | null, };

export type RedirectChoice = "DeepLink" | "Loopback";

export type SignInInput = { flow_id: string, redirect: RedirectChoice, };

export type AuthorizeWaiting = { flow_id: string, authorize_url: string, redirect_uri: string, };

export type RedirectUris = { 
/**
 * The app's own link (RFC 8252 §7.1).
 */
deep_link: string, 
/**
 * The loopback redirect; any port (RFC 8252 §7.3).
 */
loopback: string, };

export type SigningAlgorithm = "RS256" | "RS384" | "RS512" | "ES256" | "ES384";

export type MachineCredentialInput = { "kind": "client_secret", secret: string, } | { "kind": "private_key", pem: string, algorithm: SigningAlgorithm, };

export type MachineClientInput = { client_id: string, credential: MachineCredentialInput, };

export type RegistrationMethod = "pre_registered" | "metadata_document" | "dynamic" | "client_credentials";

export type ClientAuthentication = "none" | "client_secret" | "private_key_jwt";

export type OAuthClientView = { client_id: string, method: RegistrationMethod, 
/**
 * A machine connector: nobody signs in; Patchbay renews its token with the
 * client-credentials grant.
 */
machine: boolean, authentication: ClientAuthentication, issuer: string | null, };

export type Remedy = "sign_in_again" | "new_client_credentials";

export type StepUpView = { 
/**
 * Scopes a server refused a request for (`403 insufficient_scope`) that the grant lacks;
 * Re-authenticate asks for them too.
 */
needed: Array<string>, 
/**
 * Scopes the last re-authentication asked for that the server did not grant. Patchbay
 * does not ask for them by itself again; Re-authenticate, chosen on purpose, does.
 */
refused: Array<string>, };

export type Reauthorized = { saved: Saved, not_granted: Array<string>, };

export type ProviderKind = "openai-compatible" | "anthropic";

export type ProviderView = { id: string, workspace: string, name: string, kind: ProviderKind, base_url: string, 
/**
 * Whether an API key is stored (the key itself never leaves the core).
 */
key_set: boolean, created_at: string, updated_at: string, };

export type ToolsSource = "override" | "provider" | "known_models" | "unknown";

export type ModelView = { id: string, display_name: string | null, 
/**
 * `None`: nobody knows; a step may still try it.
 */
tools: boolean | null, tools_source: ToolsSource, };

export type LocalProvider = { kind: ProviderKind, 
/**
 * What the server is usually called ("Ollama"); the person may pick another name.
 */
suggested_name: string, base_url: string, 
/**
 * The ids of the models it serves now (possibly none: nothing downloaded yet).
 */
models: Array<string>, };

export type ProviderInput = { name: string, kind: ProviderKind, base_url: string, 
/**
 * Local servers need none; an empty one is none.
 */
api_key: string | null, };

export type ProviderEditInput = { name: string | null, base_url: string | null, api_key: string | null, };

export type ApprovalPolicy = "ask" | "read-only" | "auto";

export type StepConnector = { name: string, 
/**
 * The tools the model may call; empty: every tool the connector lists.
 */
tools: Array<string>, 
/**
 * Tools never offered, even when `tools` is empty.
 */
disabled_tools: Array<string>, 
/**
 * Read-only tools of a trusted connector run without asking under
 * [`ApprovalPolicy::ReadOnly`].
 */
trusted: boolean, };

export type StepSpec = { provider: string, model: string, system: string | null, prompt: string, connectors: Array<StepConnector>, max_rounds: number, approval: ApprovalPolicy, 
/**
 * How long a tool may stay silent (progress restarts it); `None`: the runner's default.
 */
tool_timeout_seconds: number | null, temperature: number | null, seed: number | null, };

export type StepView = { id: string, workspace: string, name: string, created_at: string, updated_at: string, provider: string, model: string, system: string | null, prompt: string, connectors: Array<StepConnector>, max_rounds: number, approval: ApprovalPolicy, 
/**
 * How long a tool may stay silent (progress restarts it); `None`: the runner's default.
 */
tool_timeout_seconds: number | null, temperature: number | null, seed: number | null, };

export type Approval = "allowed_once" | "always_allowed" | "auto_approved" | "read_only" | "denied" | "not_run";

export type ResultPart = { "type": "text", text: string, } | { "type": "image", media_type: string, bytes: number, } | { "type": "structured", value: unknown, };

export type CallRecord = { 
/**
 * The provider's call id.
 */
id: string, 
/**
 * The name the model used.
 */
name: string, 
/**
 * The connector and tool it stands for; `None` for a name Patchbay never offered.
 */
connector: string | null, tool: string | null, 
/**
 * The arguments as the model sent them (a string when they were not valid JSON).
 */
arguments: unknown, approval: Approval, is_error: boolean, result: Array<ResultPart>, 
/**
 * The result was cut before it went to the model.
 */
truncated: boolean, duration_ms: number, };

export type TokenUsage = { input: number, output: number, };

export type Turn = { round: number, 
/**
 * What the model said (empty when it only called tools).
 */
text: string, calls: Array<CallRecord>, usage: TokenUsage, duration_ms: number, 
/**
 * This turn was the last request, sent without tools, for a final answer.
 */
final_without_tools: boolean, };

export type OfferedTool = { name: string, connector: string, tool: string, };

export type Outcome = { "kind": "answered" } | { "kind": "max_rounds" } | { "kind": "repeated_call", tool: string, } | { "kind": "cancelled" } | { "kind": "failed", message: string, };

export type Transcript = { provider: string, model: string, system: string | null, prompt: string, tools: Array<OfferedTool>, turns: Array<Turn>, 
/**
 * The final answer, when there is one.
 */
answer: string | null, outcome: Outcome, rounds: number, usage: TokenUsage, started_at: string, duration_ms: number, };

export type RunRecord = { id: string, workspace: string, step: string | null, transcript: Transcript, };

export type RunSummary = { id: string, step: string | null, provider: string, model: string, 
/**
 * `answered`, `max_rounds`, `repeated_call`, `cancelled` or `failed`.
 */
outcome: string, started_at: string, duration_ms: number, rounds: number, tool_calls: number, input_tokens: number, output_tokens: number, };

export type AlwaysAllowed = { connector: string, tool: string, since: string, };

export type ApprovalAnswer = "once" | "always" | "deny";

export type StepRunEventKind = { "kind": "round_started", round: number, } | { "kind": "text", delta: string, } | { "kind": "call_requested", id: string, name: string, connector: string | null, tool: string | null, arguments: unknown, } | { "kind": "approval_needed", request_id: string, connector: string, tool: string, arguments: unknown, read_only: boolean, destructive: boolean, } | { "kind": "call_finished", call: CallRecord, } | { "kind": "turn_finished", turn: Turn, };

export type StepRunEvent = { run_id: string, event: StepRunEventKind, };

export type InputRequested = { id: string, connector: string, message: string, schema: unknown, url: string | null, limit_secs: number, };

export type InputClosed = { id: string, };

export type InputAction = "accept" | "decline" | "cancel";

export type InputAnswer = { action: InputAction, content: Record<string, unknown> | null, };

/** Every command the webview may invoke. */
export const COMMANDS = [
  'list_workspaces',
  'add_workspace',
  'rename_workspace',
  'remove_workspace',
  'list_connectors',
  'add_connector',
  'edit_connector',
  'remove_connector',
  'test_connector',
  'check_now',
  'authorize_connector',
  'reauthorize_connector',
  'cancel_authorization',
  'oauth_redirect_uris',
  'forget_credentials',
  'connector_step_up',
  'add_machine_connector',
  'renew_machine_connector',
  'oauth_client',
  'list_providers',
  'add_provider',
  'edit_provider',
  'remove_provider',
  'list_models',
  'set_model_tools',
  'discover_local_providers',
  'list_steps',
  'save_step',
  'remove_step',
  'run_step',
  'answer_approval',
  'answer_input',
  'cancel_run',
  'list_runs',
  'run_record',
  'always_allowed',
  'revoke_always',
] as const;

export type CommandName = (typeof COMMANDS)[number];

/** Every error code a command can fail with. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'InvalidInput',
  'NotFound',
  'KeychainUnavailable',
  'Unreachable',
  'NeedsAuth',
  'NeedsClientId',
  'ServerError',
  'Cancelled',
  'Internal',
];

/** The events the shell emits. */
export const EVENTS = {
  authorizeWaiting: 'authorize-waiting',
  connectorStatus: 'connector-status',
  focusConnector: 'focus-connector',
  stepRun: 'step-run',
  inputRequested: 'input-requested',
  inputClosed: 'input-closed',
} as const;

/** How long a browser sign-in waits for the person, in seconds. */
export const AUTHORIZE_TIMEOUT_SECONDS = 300;
