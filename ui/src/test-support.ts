// Test helpers: a fake Rust side behind the mocked `invoke`, captured `listen` handlers so a test
// can send events, and sample data. Test files call `vi.mock` for the two Tauri modules
// (vi.mock is hoisted per file, so it cannot live here).
import { act, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { expect, vi } from 'vitest';
import App from './App.svelte';
import { preloadAll } from './lib/deferred.svelte';
import type { EventName } from './lib/ipc';
import type { AppSettingsWithNetwork } from './lib/settings';
import {
  type AppInfo,
  type AuthorizeWaiting,
  type CallRecord,
  type CommandName,
  type ConnectorView,
  type Diagnosis,
  EVENTS,
  type FocusConnector,
  type InputClosed,
  type InputRequested,
  type IpcError,
  type ModelView,
  type OAuthClientView,
  type ProviderView,
  type RunRecord,
  type StatusEvent,
  type StepRunEvent,
  type StepView,
  type ToolCatalog,
  type ToolProgress,
  type ToolsChanged,
  type ToolView,
  type Turn,
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
    paused: false,
    muted: false,
    tool_count: null,
    recent: [],
    network: {},
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
    route: null,
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

/** Rust's default settings (`AppSettings::default`); `overrides` changes some. */
export function appSettings(
  overrides: Partial<AppSettingsWithNetwork> = {},
): AppSettingsWithNetwork {
  return {
    monitor_interval_secs: 60,
    notifications: true,
    theme: 'system',
    connect_timeout_secs: 10,
    request_timeout_secs: 30,
    tray_notice_shown: false,
    proxy: { mode: 'system' },
    proxy_credentials_set: false,
    ca_pem: null,
    ...overrides,
  };
}

/** What a Linux desktop with a tray says of this Patchbay. */
export function appInformation(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: '0.4.2',
    data_dir: '/home/ada/.local/share/dev.patchbay.desktop',
    log_dir: '/home/ada/.local/state/dev.patchbay.desktop/logs',
    tray: true,
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
    run_id: null,
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
    // No install link brought the window up.
    take_install_offer: () => null,
    // The window reads the settings at start for its theme.
    get_settings: () => appSettings(),
    app_info: () => appInformation(),
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
export async function emit(
  event: typeof EVENTS.inputRequested,
  payload: InputRequested,
): Promise<void>;
export async function emit(event: typeof EVENTS.inputClosed, payload: InputClosed): Promise<void>;
export async function emit(event: typeof EVENTS.toolProgress, payload: ToolProgress): Promise<void>;
export async function emit(event: typeof EVENTS.toolsChanged, payload: ToolsChanged): Promise<void>;
export async function emit(event: typeof EVENTS.installOffer, payload: null): Promise<void>;
// Last: `Parameters<typeof emit>` reads the last overload (Steps.test.ts relies on it).
export async function emit(event: typeof EVENTS.stepRun, payload: StepRunEvent): Promise<void>;
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
  await started();
}

/**
 * What the window does once its list has painted: it reads the saved theme, and loads the code
 * of the other pages and dialogs (lib/deferred.svelte.ts), which then open at once.
 */
export async function started() {
  await waitFor(() => expect(calls('get_settings').length).toBeGreaterThan(0));
  await preloadAll();
}

export async function openAddDialog() {
  const button = screen.getByTestId('add-connector');
  // A real click focuses the button; jsdom's synthetic click does not.
  button.focus();
  await fireEvent.click(button);
  return screen.getByRole('dialog', { name: 'Add connector' });
}

// Model providers, steps and runs.

/** Rust's u64 as it arrives through JSON (and as the bindings type it): a number. */
export function u64(value: number): number {
  return value;
}

export function providerView(overrides: Partial<ProviderView> = {}): ProviderView {
  const name = overrides.name ?? 'Local';
  return {
    id: `p-${name}`,
    workspace: 'Default',
    name,
    kind: 'openai-compatible',
    base_url: 'http://127.0.0.1:11434/v1',
    key_set: false,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

/** The models of the usual provider: one that calls tools, one that cannot, one nobody knows. */
export function standardModels(): ModelView[] {
  return [
    { id: 'tool-model', display_name: null, tools: true, tools_source: 'known_models' },
    { id: 'chat-only', display_name: null, tools: false, tools_source: 'known_models' },
    { id: 'mystery', display_name: null, tools: null, tools_source: 'unknown' },
  ];
}

export function stepView(overrides: Partial<StepView> = {}): StepView {
  return {
    id: 's-1',
    workspace: 'Default',
    name: 'Digest',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    provider: 'Local',
    model: 'tool-model',
    system: null,
    prompt: 'Summarise the docs.',
    connectors: [],
    max_rounds: 10,
    approval: 'ask',
    tool_timeout_seconds: null,
    temperature: null,
    seed: null,
    ...overrides,
  };
}

export function callRecord(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id: 'call-1',
    name: 'Docs__get-sum',
    connector: 'Docs',
    tool: 'get-sum',
    arguments: { a: 17, b: 25 },
    approval: 'allowed_once',
    is_error: false,
    result: [{ type: 'text', text: 'The sum is 42.' }],
    truncated: false,
    duration_ms: u64(120),
    ...overrides,
  };
}

export function turn(overrides: Partial<Turn> = {}): Turn {
  return {
    round: 1,
    text: '',
    calls: [],
    usage: { input: u64(100), output: u64(20) },
    duration_ms: u64(900),
    final_without_tools: false,
    ...overrides,
  };
}

/** A run that called get-sum once and answered. */
export function runRecord(overrides: Partial<RunRecord['transcript']> = {}, id = 'run-1'): RunRecord {
  return {
    id,
    workspace: 'Default',
    step: null,
    transcript: {
      provider: 'Local',
      model: 'tool-model',
      system: null,
      prompt: 'What is 17 + 25?',
      tools: [{ name: 'Docs__get-sum', connector: 'Docs', tool: 'get-sum' }],
      turns: [
        turn({ round: 1, calls: [callRecord()] }),
        turn({ round: 2, text: 'It is 42.', usage: { input: u64(1134), output: u64(36) } }),
      ],
      answer: 'It is 42.',
      outcome: { kind: 'answered' },
      rounds: 2,
      usage: { input: u64(1234), output: u64(56) },
      started_at: '2025-01-01T10:00:00Z',
      duration_ms: u64(4200),
      ...overrides,
    },
  };
}

/**
 * Renders the window and opens the Steps page, once its providers are read: provider Local with
 * `standardModels`, no saved steps, runs or "always" answers unless `extra` says otherwise.
 */
export async function renderSteps(connectors: ConnectorView[] = [], extra: Backend = {}) {
  await renderWith(connectors, {
    list_providers: () => [providerView()],
    list_models: () => standardModels(),
    list_steps: () => [],
    list_runs: () => [],
    always_allowed: () => [],
    ...extra,
  });
  await fireEvent.click(screen.getByTestId('nav-steps'));
  await waitFor(() => {
    expect(screen.getByTestId('steps-page')).toBeTruthy();
    expect(screen.queryByText('Loading model providers…')).toBeNull();
  });
}

// The connector workbench.

export function toolView(overrides: Partial<ToolView> = {}): ToolView {
  return {
    name: 'echo',
    title: null,
    description: null,
    input_schema: { type: 'object', properties: {} },
    output_schema: null,
    hints: { read_only: null, destructive: null, idempotent: null, open_world: null },
    enabled: true,
    tokens: 40,
    ...overrides,
  };
}

/** A catalog of `tools` with the budget they add up to; `extra` overrides its parts. */
export function toolCatalog(
  tools: ToolView[],
  extra: { warning?: string | null; missing_disabled?: string[] } = {},
): ToolCatalog {
  const enabled = tools.filter((tool) => tool.enabled);
  return {
    tools,
    budget: {
      enabled_tools: enabled.length,
      total_tools: tools.length,
      enabled_tokens: enabled.reduce((sum, tool) => sum + tool.tokens, 0),
      total_tokens: tools.reduce((sum, tool) => sum + tool.tokens, 0),
      warning: extra.warning ?? null,
      method: 'estimated: characters ÷ 4',
    },
    missing_disabled: extra.missing_disabled ?? [],
  };
}

/**
 * The list with `connectors` and a workbench behind them: `tools` in the catalog (switches kept
 * in memory), a watch that waits until unwatched, and whatever `extra` adds or overrides.
 */
export async function renderWorkbench(
  connectors: ConnectorView[],
  tools: ToolView[] = [],
  extra: Backend = {},
) {
  let current = tools.map((tool) => ({ ...tool }));
  await renderWith(connectors, {
    tool_catalog: () => toolCatalog(current),
    set_tools_enabled: (args) => {
      const names = args.tools as string[];
      current = current.map((tool) =>
        names.includes(tool.name) ? { ...tool, enabled: args.enabled as boolean } : tool,
      );
      return toolCatalog(current);
    },
    watch_tools: () => new Promise(() => {}),
    unwatch_tools: () => null,
    ...extra,
  });
}

/** Opens the workbench of connector `name` from its row; resolves once its tools are read. */
export async function openWorkbench(name: string, waitForTools = true) {
  await fireEvent.click(
    document.querySelector<HTMLElement>(
      `[data-testid="connector-row"][data-name="${name}"] [data-testid="open-connector"]`,
    )!,
  );
  const detail = screen.getByTestId('connector-detail');
  if (waitForTools) {
    await waitFor(() => expect(screen.queryByText(/^Reading the tools/)).toBeNull());
  }
  return detail;
}
