// Test helpers: a fake Rust side behind the mocked `invoke`, captured `listen` handlers so a test
// can send events, and sample data. Test files call `vi.mock` for the two Tauri modules
// (vi.mock is hoisted per file, so it cannot live here).
import { act, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { expect, vi } from 'vitest';
import App from './App.svelte';
import type { EventName } from './lib/ipc';
import {
  type AuthorizeWaiting,
  type CommandName,
  type ConnectorView,
  type Diagnosis,
  EVENTS,
  type FocusConnector,
  type IpcError,
  type OAuthClientView,
  type StatusEvent,
  type Workspace,
} from './lib/types';

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * The commands the page may call, by their generated names (a misspelled one is a type error);
 * a test overrides the ones it is about.
 */
export type Backend = { [command in CommandName]?: Handler };

export const invokeMock = vi.mocked(invoke);
export const listenMock = vi.mocked(listen);
const listeners = new Map<string, (event: { event: string; id: number; payload: unknown }) => void>();

export function workspace(name: string): Workspace {
  return { id: `w-${name}`, name, created_at: '2025-01-01T00:00:00Z' };
}

export function connector(overrides: Partial<ConnectorView>): ConnectorView {
  const name = overrides.name ?? 'Docs';
  return {
    id: `c-${name}`,
    workspace: 'Default',
    name,
    url: 'https://docs.example.com/mcp',
    auth: 'none',
    token_set: false,
    header_names: [],
    status: 'unknown',
    last_checked_at: null,
    last_error: null,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

export function diagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    ok: true,
    stage: 'ready',
    transport: 'streamable_http',
    http_status: 200,
    server_name: 'Everything',
    server_version: '1.0.0',
    protocol_version: '2025-06-18',
    tool_count: 11,
    latency_ms: 42,
    timed_out: false,
    detail: 'Connected.',
    hint: '',
    remedy: null,
    ...overrides,
  };
}

/** The client of an OAuth connector signed in through the browser (dynamic registration). */
export function browserClient(overrides: Partial<OAuthClientView> = {}): OAuthClientView {
  return {
    client_id: 'pb_7f3a9c2e',
    method: 'dynamic',
    machine: false,
    authentication: 'none',
    issuer: 'https://auth.linear.app',
    ...overrides,
  };
}

/** The client of a machine connector (client-credentials grant with a secret). */
export function machineClient(overrides: Partial<OAuthClientView> = {}): OAuthClientView {
  return {
    client_id: 'billing-service',
    method: 'client_credentials',
    machine: true,
    authentication: 'client_secret',
    issuer: 'https://auth.billing.example',
    ...overrides,
  };
}

export function ipcError(overrides: Partial<IpcError>): IpcError {
  return {
    code: 'Internal',
    message: 'Something broke.',
    hint: null,
    diagnosis: null,
    redirect_uri: null,
    ...overrides,
  };
}

/**
 * Routes `invoke` to `backend`. Unknown commands reject like a missing Tauri command would, so a
 * test notices a call it did not expect.
 */
export function fakeBackend(backend: Backend): void {
  invokeMock.mockImplementation(async (command: string, args?: unknown) => {
    const handler = backend[command as CommandName];
    if (!handler) throw new Error(`unexpected command ${command}`);
    return handler((args ?? {}) as Record<string, unknown>);
  });
}

/**
 * The usual page: workspaces Default and Work, and `connectors` in Default. OAuth connectors
 * were signed in through the browser unless `extra` says otherwise (`oauth_client`).
 */
export function standardBackend(connectors: ConnectorView[] = [], extra: Backend = {}): Backend {
  const backend: Backend = {
    list_workspaces: () => [workspace('Default'), workspace('Work')],
    list_connectors: (args) => (args.workspace === 'Default' ? connectors : []),
    check_now: () => null,
    oauth_client: (args) =>
      connectors.some((c) => c.name === args.name && c.auth === 'oauth') ? browserClient() : null,
    connector_step_up: () => ({ needed: [], refused: [] }),
    oauth_redirect_uris: () => ({
      deep_link: 'dev.patchbay.desktop:/oauth/callback',
      loopback: 'http://127.0.0.1/callback',
    }),
    ...extra,
  };
  fakeBackend(backend);
  return backend;
}

export function resetTauri(): void {
  invokeMock.mockReset();
  listenMock.mockReset();
  listeners.clear();
  listenMock.mockImplementation(async (event, handler) => {
    listeners.set(event, handler as never);
    return () => listeners.delete(event);
  });
}

export async function emit(
  event: typeof EVENTS.connectorStatus,
  payload: StatusEvent,
): Promise<void>;
export async function emit(
  event: typeof EVENTS.focusConnector,
  payload: FocusConnector,
): Promise<void>;
export async function emit(
  event: typeof EVENTS.authorizeWaiting,
  payload: AuthorizeWaiting,
): Promise<void>;
export async function emit(event: EventName, payload: unknown): Promise<void> {
  const handler = listeners.get(event);
  if (!handler) throw new Error(`nothing listens to ${event}`);
  await act(() => handler({ event, id: 1, payload }));
}

/** Whether something listens to `event` right now. */
export function listening(event: EventName): boolean {
  return listeners.has(event);
}

/**
 * Puts a fake clipboard on `navigator` (jsdom has none); `works: false` makes it refuse, as a
 * webview without clipboard permission does.
 */
export function fakeClipboard(works = true) {
  const writeText = vi.fn(async (_text: string) => {
    if (!works) throw new DOMException('Write permission denied.', 'NotAllowedError');
  });
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  return writeText;
}

export function calls(command: CommandName): Record<string, unknown>[] {
  return invokeMock.mock.calls
    .filter(([name]) => name === command)
    .map(([, args]) => (args ?? {}) as Record<string, unknown>);
}

/** A promise the test settles when it wants, to look at the page while work is in progress. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

// The page as a user meets it.

/** The row of connector `name`. */
export function row(name: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid="connector-row"][data-name="${name}"]`,
  );
  if (!element) throw new Error(`no row for ${name}`);
  return element;
}

export function type(element: HTMLElement, value: string) {
  return fireEvent.input(element, { target: { value } });
}

export async function renderWith(connectors: ConnectorView[], extra: Backend = {}) {
  standardBackend(connectors, extra);
  render(App);
  // Workspaces load first, then the page and its connectors.
  await waitFor(() => {
    expect(screen.queryByRole('heading', { name: 'MCP Connectors' })).toBeTruthy();
    expect(screen.queryByText(/^Loading/)).toBeNull();
  });
}

export async function openAddDialog() {
  const button = screen.getByTestId('add-connector');
  // A real click focuses the button; jsdom's synthetic click does not.
  button.focus();
  await fireEvent.click(button);
  return screen.getByRole('dialog', { name: 'Add connector' });
}
