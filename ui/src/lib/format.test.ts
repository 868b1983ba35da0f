import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './types';
import { connectedSummary, errorTitle, remedyAction, stageLabel, statusLabel } from './status';
import { relativeTime } from './time';
import { validateHeaderName, validateName, validateUrl } from './validation';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('relativeTime', () => {
  it.each([
    [10_000, 'just now'],
    [60_000, '1 min ago'],
    [2 * 60_000, '2 min ago'],
    [59 * 60_000, '59 min ago'],
    [3 * 3_600_000, '3 h ago'],
    [26 * 3_600_000, 'yesterday'],
    [3 * 86_400_000, '3 days ago'],
  ])('%i ms ago reads “%s”', (elapsed, text) => {
    expect(relativeTime(ago(elapsed), NOW)).toBe(text);
  });

  it('treats a time slightly in the future (clock skew) as just now', () => {
    expect(relativeTime(ago(-5_000), NOW)).toBe('just now');
  });
});

describe('validation', () => {
  it('needs a name and an http(s) URL', () => {
    expect(validateName('  ')).not.toBeNull();
    expect(validateName('Docs')).toBeNull();
    expect(validateUrl('')).not.toBeNull();
    expect(validateUrl('example.com/mcp'), 'a URL without scheme is not a URL').not.toBeNull();
    expect(validateUrl('ws://example.com/mcp')).toBe('The URL must start with http:// or https://.');
    expect(validateUrl('https://example.com/mcp')).toBeNull();
    expect(validateUrl(' http://127.0.0.1:3001/mcp ')).toBeNull();
  });

  it('accepts only token characters in header names', () => {
    expect(validateHeaderName('X-Api-Key')).toBeNull();
    expect(validateHeaderName('X Api')).not.toBeNull();
    expect(validateHeaderName('X-Api:')).not.toBeNull();
  });
});

describe('labels', () => {
  it('words statuses and stages as a person would', () => {
    expect(statusLabel('needs_auth').label).toBe('Needs authentication');
    expect(statusLabel('unknown').label).toBe('Not checked');
    expect(stageLabel('initialize')).toBe('MCP handshake');
  });

  it('has a headline for every error code Rust sends', () => {
    for (const code of ERROR_CODES) expect(errorTitle(code), code).toMatch(/^[A-Z][a-z]/);
    expect(errorTitle('NeedsAuth')).toBe('The server needs authentication');
    expect(errorTitle('Cancelled')).toBe('Cancelled');
  });

  it('names the button behind each remedy', () => {
    expect(remedyAction('sign_in_again')).toBe('use Re-authenticate');
    expect(remedyAction('new_client_credentials')).toBe('use Re-authenticate, then Renew now');
  });

  it('summarises a successful test', () => {
    const diagnosis = {
      ok: true,
      stage: 'ready',
      transport: null,
      http_status: 200,
      server_name: 'Everything',
      server_version: null,
      protocol_version: null,
      tool_count: 1,
      latency_ms: 5,
      timed_out: false,
      detail: '',
      hint: '',
      remedy: null,
      route: null,
    } as const;
    expect(connectedSummary(diagnosis, 'Docs')).toBe('Connected to Everything — 1 tool');
    expect(connectedSummary({ ...diagnosis, server_name: null, tool_count: null }, 'Docs')).toBe(
      'Connected to Docs',
    );
  });
});
