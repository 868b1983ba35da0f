// How connector states, auth kinds, diagnosis stages and error codes read on the page. Text always
// accompanies colour, so nothing depends on colour alone.
import type {
  AuthKind,
  ConnectorStatus,
  Diagnosis,
  ErrorCode,
  Remedy,
  Stage,
  TransportKind,
} from './types';

export type Tone = 'ok' | 'attention' | 'error' | 'neutral';

export interface StatusLabel {
  label: string;
  tone: Tone;
}

const STATUS_LABELS: Record<ConnectorStatus, StatusLabel> = {
  unknown: { label: 'Not checked', tone: 'neutral' },
  connected: { label: 'Connected', tone: 'ok' },
  disconnected: { label: 'Disconnected', tone: 'error' },
  needs_auth: { label: 'Needs authentication', tone: 'attention' },
  error: { label: 'Error', tone: 'error' },
};

export function statusLabel(status: ConnectorStatus): StatusLabel {
  // A status added in Rust before the UI learns it still renders.
  return STATUS_LABELS[status] ?? { label: status, tone: 'neutral' };
}

const AUTH_LABELS: Record<AuthKind, string> = {
  none: 'No auth',
  token: 'Access token',
  oauth: 'OAuth',
};

export function authLabel(auth: AuthKind): string {
  return AUTH_LABELS[auth] ?? auth;
}

/** The step of a connection test, as a person would name it. */
const STAGE_LABELS: Record<Stage, string> = {
  resolve: 'DNS lookup',
  connect: 'Connection',
  tls: 'TLS',
  http: 'HTTP',
  auth: 'Authentication',
  initialize: 'MCP handshake',
  list_tools: 'Listing tools',
  ready: 'Ready',
};

export function stageLabel(stage: Stage): string {
  return STAGE_LABELS[stage] ?? stage;
}

const TRANSPORT_LABELS: Record<TransportKind, string> = {
  streamable_http: 'Streamable HTTP',
  legacy_sse: 'HTTP + SSE (legacy)',
};

export function transportLabel(transport: TransportKind): string {
  return TRANSPORT_LABELS[transport] ?? transport;
}

/** A headline for a failed command, chosen by code (never by message text). */
const ERROR_TITLES: Record<ErrorCode, string> = {
  InvalidInput: 'Check the form',
  NotFound: 'Not found',
  KeychainUnavailable: 'Secure storage is unavailable',
  Unreachable: 'Couldn’t reach the server',
  NeedsAuth: 'The server needs authentication',
  NeedsClientId: 'This server needs a client ID',
  ServerError: 'The server returned an error',
  Cancelled: 'Cancelled',
  Internal: 'Something went wrong',
};

export function errorTitle(code: ErrorCode): string {
  return ERROR_TITLES[code] ?? code;
}

/**
 * A diagnosis's remedy as the connector row offers it. Core's hint says what to do in plain
 * words and names no button; the app adds where to do it.
 */
const REMEDY_ACTIONS: Record<Remedy, string> = {
  sign_in_again: 'use Re-authenticate',
  new_client_credentials: 'use Re-authenticate, then Renew now',
};

export function remedyAction(remedy: Remedy): string {
  // A remedy added in Rust before the UI learns it: the hint still says what to do.
  return REMEDY_ACTIONS[remedy] ?? '';
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "Connected to Everything — 12 tools", the news after a successful test. */
export function connectedSummary(diagnosis: Diagnosis, fallbackName: string): string {
  const server = diagnosis.server_name ?? fallbackName;
  const tools = diagnosis.tool_count === null ? '' : ` — ${plural(diagnosis.tool_count, 'tool')}`;
  return `Connected to ${server}${tools}`;
}
