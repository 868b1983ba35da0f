// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p patchbay-desktop bindings` after changing them.

export type AuthKind = "none" | "token" | "oauth";

export type ConnectorStatus = "unknown" | "connected" | "disconnected" | "needs_auth" | "error";

export type Workspace = { id: string, name: string, created_at: string, };

export type ProxySetting = { "mode": "system" } | { "mode": "direct" } | { "mode": "explicit", url: string, };

export type ConnectorNetwork = { 
/**
 * Seconds to set up the TCP and TLS connection.
 */
connect_timeout_secs?: number | null, 
/**
 * Seconds one request may take (or a tool call stay silent).
 */
request_timeout_secs?: number | null, 
/**
 * Its proxy; absent: the system's.
 */
proxy?: ProxySetting | null, 
/**
 * Whether the explicit proxy's credentials are stored (sealed; never shown).
 */
proxy_credentials_set?: boolean, 
/**
 * Extra CA certificates (PEM) this connector's server may be signed by, besides the
 * system's trust store. Certificates are public: kept in clear.
 */
ca_pem?: string | null, };

export type ConnectorView = { id: string, workspace: string, name: string, url: string, auth: AuthKind, 
/**
 * Whether an access token is stored (the token itself never leaves the core).
 */
token_set: boolean, 
/**
 * Names of the custom headers; their values are secrets.
 */
header_names: Array<string>, status: ConnectorStatus, last_checked_at: string | null, last_error: string | null, created_at: string, updated_at: string, 
/**
 * Paused: not checked, not offered to steps, until resumed.
 */
paused: boolean, 
/**
 * Its status changes are not announced by a desktop notification.
 */
muted: boolean, 
/**
 * How many tools the server listed at its last check that listed them.
 */
tool_count: number | null, 
/**
 * The last few checks, newest first (the whole history: [`Patchbay::check_history`]).
 */
recent: Array<CheckView>, 
/**
 * Its own timeouts (absent: the app's).
 */
network: ConnectorNetwork, };

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
remedy: Remedy | null, 
/**
 * The proxy and extra CA the check went out with, when not the system's defaults.
 */
route: string | null, };

export type Saved = { connector: ConnectorView, diagnosis: Diagnosis | null, };

export type HeaderInput = { name: string, value: string, };

export type ConnectorInput = { name: string, url: string, auth: AuthKind, token: string | null, headers: Array<HeaderInput>, 
/**
 * Its own timeouts, proxy and CA; absent: the app's.
 */
network?: ConnectorNetwork, 
/**
 * The explicit proxy's `user:password` (sealed).
 */
proxy_credentials?: string, };

export type ConnectorEditInput = { name: string | null, url: string | null, token: string | null, headers: Array<HeaderInput> | null, 
/**
 * A new auth type (`none`, or `token` with `token`); absent keeps it.
 */
auth?: AuthKind, 
/**
 * Its own timeouts as they should be (a field left out goes back to the app's); absent
 * keeps them.
 */
network?: ConnectorNetwork, 
/**
 * New `user:password` for the explicit proxy; absent or empty keeps the stored ones.
 */
proxy_credentials?: string, 
/**
 * Moves a credential from the URL's query into a sealed header.
 */
query_to_header?: QueryToHeader, };

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

export type CheckView = { checked_at: string, status: ConnectorStatus, latency_ms: number | null, tool_count: number | null, 
/**
 * What went wrong (never a secret: URL credentials are masked), `None` when it passed.
 */
detail: string | null, };

export type ToolHints = { read_only: boolean | null, destructive: boolean | null, idempotent: boolean | null, open_world: boolean | null, };

export type ToolView = { name: string, title: string | null, 
/**
 * Plain text from the server: front ends must show it as text, never as markup.
 */
description: string | null, input_schema: Record<string, unknown>, output_schema: Record<string, unknown> | null, hints: ToolHints, 
/**
 * Offered to models and listed as enabled; switched per connector.
 */
enabled: boolean, 
/**
 * Its definition's size in tokens ([`ESTIMATE_METHOD`]).
 */
tokens: number, };

export type Budget = { enabled_tools: number, total_tools: number, enabled_tokens: number, total_tokens: number, 
/**
 * Set past [`TOOL_COUNT_WARNING`] tools or [`TOKEN_WARNING`] tokens: what is wrong and
 * the fix.
 */
warning: string | null, method: string, };

export type ToolCatalog = { tools: Array<ToolView>, budget: Budget, 
/**
 * Names switched off that the server no longer lists (kept, in case they come back).
 */
missing_disabled: Array<string>, };

export type ShownPart = { "kind": "text", text: string, } | { "kind": "image", mime_type: string, data: string, } | { "kind": "audio", mime_type: string, data: string, } | { "kind": "resource", uri: string, mime_type: string | null, text: string | null, 
/**
 * Base64, when the contents are binary.
 */
blob: string | null, 
/**
 * The binary's size in bytes.
 */
blob_bytes: number | null, } | { "kind": "resource_link", uri: string, name: string, description: string | null, mime_type: string | null, } | { "kind": "omitted", what: string, };

export type CallOutcome = { parts: Array<ShownPart>, structured: unknown, 
/**
 * The tool said it failed (`isError`); its parts say why.
 */
is_error: boolean, duration_ms: number, 
/**
 * Set when the result was cut to fit ([`SHOWN_TEXT_LIMIT`], [`SHOWN_BINARY_LIMIT`]) or
 * the server's tool list changed during the call.
 */
notes: Array<string>, };

export type Progress = { progress: number, total: number | null, message: string | null, };

export type ToolProgress = { call_id: string, progress: Progress, };

export type ToolsChanged = { workspace: string, connector: string, };

export type ResourceItem = { uri: string, name: string, title: string | null, description: string | null, mime_type: string | null, size: number | null, };

export type TemplateItem = { uri_template: string, name: string, title: string | null, description: string | null, mime_type: string | null, };

export type ResourceCatalog = { resources: Array<ResourceItem>, templates: Array<TemplateItem>, };

export type ResourceRead = { uri: string, parts: Array<ShownPart>, notes: Array<string>, };

export type PromptArgumentItem = { name: string, title: string | null, description: string | null, required: boolean, };

export type PromptItem = { name: string, title: string | null, description: string | null, arguments: Array<PromptArgumentItem>, };

export type PromptMessageView = { 
/**
 * `user` or `assistant`.
 */
role: string, part: ShownPart, };

export type PromptFilled = { description: string | null, messages: Array<PromptMessageView>, };

export type ServerDetails = { name: string | null, title: string | null, version: string | null, description: string | null, website_url: string | null, 
/**
 * The first icon the server offers as a `data:` URI (others would be fetched from the
 * network by the window; they are listed in `icon_sources` instead).
 */
icon: string | null, icon_sources: Array<string>, protocol_version: string | null, 
/**
 * The capabilities object, as the server sent it.
 */
capabilities: Record<string, unknown>, 
/**
 * Plain text from the server: front ends show it as text.
 */
instructions: string | null, transport: TransportKind, connected_in_ms: number, };

export type ConnectorBudget = { connector: string, budget: Budget, };

export type StepBudget = { connectors: Array<ConnectorBudget>, total: Budget, };

export type ConfigFormat = "claude" | "vscode" | "cursor";

export type Placeholder = { 
/**
 * As written, e.g. `${input:api-key}`.
 */
reference: string, 
/**
 * `input` or `env`.
 */
kind: string, id: string, 
/**
 * The VS Code input's description, when the file has one.
 */
description: string | null, 
/**
 * Whether the file marks it secret (a VS Code `password` input; every header value and
 * token is treated as secret anyway).
 */
secret: boolean, };

export type CandidateView = { name: string, 
/**
 * The URL with query credentials masked.
 */
url: string, auth: AuthKind, header_names: Array<string>, transport: string | null, placeholders: Array<Placeholder>, ignored: Array<string>, };

export type Skipped = { name: string, reason: string, };

export type ImportPlan = { format: ConfigFormat, candidates: Array<CandidateView>, skipped: Array<Skipped>, };

export type InstallOffer = { name: string, url: string, 
/**
 * The server's host, for the confirmation to show plainly.
 */
host: string, auth: AuthKind, };

export type LinkOffer = { offer: InstallOffer | null, 
/**
 * Why the link was refused, as a sentence.
 */
refused: string | null, };

export type PlaceholderValue = { 
/**
 * As written in the file, e.g. `${input:api-key}`.
 */
reference: string, value: string, };

export type QueryToHeader = { parameter: string, header: string, };

export type Theme = "system" | "light" | "dark";

export type AppSettings = { 
/**
 * Seconds between checks of a connected connector.
 */
monitor_interval_secs: number, 
/**
 * A desktop notification when a connector stops working.
 */
notifications: boolean, theme: Theme, 
/**
 * Seconds to connect, for connectors without their own.
 */
connect_timeout_secs: number, 
/**
 * Seconds a request may take, for connectors without their own.
 */
request_timeout_secs: number, 
/**
 * The person was told, once, that closing the window keeps Patchbay in the tray.
 */
tray_notice_shown: boolean, 
/**
 * The proxy for connectors without their own.
 */
proxy: ProxySetting, 
/**
 * Whether the explicit proxy's credentials are stored (sealed; set on their own).
 */
proxy_credentials_set: boolean, 
/**
 * Extra CA certificates (PEM) every connector trusts besides the system's.
 */
ca_pem: string | null, };

export type AppInfo = { version: string, data_dir: string | null, log_dir: string | null, 
/**
 * Whether the desktop shows Patchbay's tray icon (closing the window then keeps it
 * running; otherwise closing quits).
 */
tray: boolean, };

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
  'step_budget',
  'run_step',
  'answer_approval',
  'answer_input',
  'cancel_run',
  'list_runs',
  'run_record',
  'tool_catalog',
  'set_tools_enabled',
  'call_tool',
  'cancel_tool_call',
  'watch_tools',
  'unwatch_tools',
  'resource_catalog',
  'read_resource',
  'prompt_catalog',
  'get_prompt',
  'server_details',
  'check_history',
  'diagnostics_report',
  'pause_connector',
  'resume_connector',
  'set_connector_notifications',
  'duplicate_connector',
  'always_allowed',
  'revoke_always',
  'import_plan',
  'import_connector',
  'export_workspace',
  'take_install_offer',
  'get_settings',
  'save_settings',
  'app_info',
  'open_folder',
  'quit_app',
  'ui_ready',
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
  toolProgress: 'tool-progress',
  toolsChanged: 'tools-changed',
  inputRequested: 'input-requested',
  inputClosed: 'input-closed',
  installOffer: 'install-offer',
} as const;

/** How long a browser sign-in waits for the person, in seconds. */
export const AUTHORIZE_TIMEOUT_SECONDS = 300;
