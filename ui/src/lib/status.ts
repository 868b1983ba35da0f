// How a connector's status and auth kind read on the page. Text always accompanies the colour,
// so the status never depends on colour alone.
import type { AuthKind, ConnectorStatus } from './types';

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
