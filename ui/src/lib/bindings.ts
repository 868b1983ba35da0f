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
redirect_uri: string | null, };

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
} as const;

/** How long a browser sign-in waits for the person, in seconds. */
export const AUTHORIZE_TIMEOUT_SECONDS = 300;
