// Dev only: a fake Rust side so the page renders sample data in a plain browser (screenshots,
// design work). It answers the same commands and sends the same events as src-tauri, from
// memory. `window.patchbayMock` lets a script drive events (status changes, tray focus) and
// finish a pending OAuth sign-in. A sign-in waits for `patchbayMock.finishSignIn()` (or
// `failSignIn()`, or Cancel); a URL with "quick" in it signs in by itself after 3 s, one with
// "denied" fails as if the user refused access. A machine connector (client credentials) connects
// after a short wait unless its secret or key contains "wrong", which the provider rejects.
// Linear needs a step-up (a tool was refused for lack of the scope `issues:write`); signing in
// again grants it, except that `admin` (refused last time) is left out again. Model providers,
// steps and runs live in mock-steps.ts; the connector workbench in mock-workbench.ts; import,
// export and install links in mock-interop.ts.
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { interopHandlers, sendInstallLink } from './mock-interop';
import { type Handler, stepHandlers } from './mock-steps';
import { toolsChanged, workbenchHandlers } from './mock-workbench';
import { type AppSettingsWithNetwork, sameProxy, withNetwork } from '../src/lib/settings';
import {
  type AuthorizeWaiting,
  type CommandName,
  COMMANDS,
  type ConnectorNetwork,
  type ConnectorStatus,
  type ConnectorView,
  type Diagnosis,
  EVENTS,
  type IpcError,
  type LinkOffer,
  type MachineClientInput,
  type OAuthClientView,
  type RedirectUris,
  type SignInInput,
  type StatusEvent,
  type StepUpView,
  type Workspace,
} from '../src/lib/types';

const REDIRECT_URIS: RedirectUris = {
  deep_link: 'dev.patchbay.desktop:/oauth/callback',
  loopback: 'http://127.0.0.1/callback',
};

const params = new URLSearchParams(location.search);
const scenario = params.get('scenario') ?? 'sample';
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const workspaces: Workspace[] = [
  { id: 'w-default', name: 'Default', created_at: minutesAgo(60 * 24 * 30) },
  { id: 'w-work', name: 'Work', created_at: minutesAgo(60 * 24 * 3) },
];

function connector(fields: Partial<ConnectorView> & { name: string; url: string }): ConnectorView {
  return {
    id: `c-${fields.name.toLowerCase().replace(/\W+/g, '-')}`,
    workspace: 'Default',
    auth: 'none',
    token_set: false,
    header_names: [],
    status: 'unknown',
    last_checked_at: null,
    last_error: null,
    created_at: minutesAgo(60 * 24 * 7),
    updated_at: minutesAgo(60 * 24),
    paused: false,
    muted: false,
    tool_count: fields.status === 'connected' ? 8 : null,
    recent: recentChecks(fields.status ?? 'unknown', fields.last_error ?? null),
    network: {},
    ...fields,
  };
}

/** A few checks for the status strip, newest first: mostly as now, with an older wobble. */
function recentChecks(status: ConnectorStatus, error: string | null): ConnectorView['recent'] {
  if (status === 'unknown') return [];
  return Array.from({ length: 12 }, (_, index) => {
    const failed = status === 'connected' ? index === 7 : index < 3;
    const shownStatus: ConnectorStatus = failed ? (status === 'connected' ? 'disconnected' : status) : 'connected';
    return {
      checked_at: minutesAgo(index * 5 + 2),
      status: shownStatus,
      latency_ms: shownStatus === 'connected' ? 70 + index * 3 : null,
      tool_count: shownStatus === 'connected' ? 8 : null,
      detail: shownStatus === 'connected' ? null : (error ?? 'Connection refused (os error 111)'),
    };
  });
}

const connectors: ConnectorView[] =
  scenario === 'empty'
    ? []
    : [
        connector({
          name: 'Everything',
          url: 'http://127.0.0.1:3001/mcp',
          status: 'connected',
          last_checked_at: minutesAgo(2),
        }),
        connector({
          name: 'GitHub',
          url: 'https://api.githubcopilot.com/mcp/',
          auth: 'token',
          token_set: true,
          status: 'connected',
          last_checked_at: minutesAgo(0.2),
        }),
        connector({
          name: 'Linear',
          url: 'https://mcp.linear.app/sse',
          auth: 'oauth',
          status: 'needs_auth',
          last_checked_at: minutesAgo(14),
          last_error:
            'needs more permissions: scope issues:write — re-authenticate to grant them',
        }),
        connector({
          name: 'Internal search',
          url: 'https://search.corp.example.com/mcp',
          auth: 'token',
          token_set: true,
          header_names: ['X-Team', 'X-Api-Key'],
          status: 'disconnected',
          last_checked_at: minutesAgo(3 * 60),
          last_error: 'Connection refused (os error 111) while connecting to search.corp.example.com:443',
        }),
        connector({
          name: 'Staging tools',
          url: 'https://staging.example.dev/mcp',
          auth: 'token',
          token_set: true,
          status: 'error',
          last_checked_at: minutesAgo(60 * 26),
          last_error: 'The server answered the MCP initialize request with an invalid JSON-RPC message.',
        }),
        connector({ name: 'Notes', url: 'https://notes.example.org/mcp', status: 'unknown' }),
        connector({
          name: 'Archive',
          url: 'https://archive.example.org/mcp',
          status: 'connected',
          paused: true,
          last_checked_at: minutesAgo(60 * 24 * 3),
        }),
        connector({
          name: 'Billing',
          url: 'https://mcp.billing.example.com/mcp',
          auth: 'oauth',
          status: 'connected',
          last_checked_at: minutesAgo(1),
        }),
      ];

/** The OAuth client of each OAuth connector, by id (what `oauth_client` reads from the grant). */
const oauthClients = new Map<string, OAuthClientView | null>([
  ['c-linear', { client_id: 'pb_7f3a9c2e', method: 'dynamic', machine: false, authentication: 'none', issuer: 'https://auth.linear.app' }],
  ['c-billing', { client_id: 'billing-reporter', method: 'client_credentials', machine: true, authentication: 'client_secret', issuer: 'https://auth.billing.example.com' }],
]);

/** Each connector's step-up state, by id (what `connector_step_up` reads from the store). */
const stepUps = new Map<string, StepUpView>([['c-linear', { needed: ['issues:write'], refused: ['admin'] }]]);

/** Stands in for the client-credentials grant at the server's authorization server. */
async function machineGrant(url: string, client: MachineClientInput): Promise<OAuthClientView> {
  await delay(1400);
  const credential = client.credential.kind === 'client_secret' ? client.credential.secret : client.credential.pem;
  if (credential.includes('wrong')) {
    throw ipcError(
      'NeedsAuth',
      'the authorization server rejected the client credentials (invalid_client): check the client ID, and whether the secret or key was rotated or the client revoked',
    );
  }
  return {
    client_id: client.client_id,
    method: 'client_credentials',
    machine: true,
    authentication: client.credential.kind === 'client_secret' ? 'client_secret' : 'private_key_jwt',
    issuer: `https://auth.${new URL(url).host}`,
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sign-in waiting for the "browser", if any. */
let pendingSignIn: { finish: () => void; fail: (error: IpcError) => void } | null = null;

function ipcError(code: IpcError['code'], message: string, hint: string | null = null): IpcError {
  return { code, message, hint, diagnosis: null, redirect_uri: null, run_id: null };
}

/** Stands in for discovery, registration, the browser and the redirect. */
async function signIn(url: string, flow: SignInInput): Promise<void> {
  await delay(300);
  if (url.includes('no-dcr')) {
    throw {
      ...ipcError(
        'NeedsClientId',
        'this server needs a client ID: it does not let apps register themselves.',
      ),
      redirect_uri: REDIRECT_URIS.deep_link,
    } satisfies IpcError;
  }
  const host = new URL(url).host;
  const redirectUri =
    flow.redirect === 'Loopback' ? 'http://127.0.0.1:53682/callback' : REDIRECT_URIS.deep_link;
  const waiting: AuthorizeWaiting = {
    flow_id: flow.flow_id,
    redirect_uri: redirectUri,
    authorize_url:
      `https://auth.${host}/authorize?response_type=code&client_id=pb_7f3a9c2e&redirect_uri=` +
      `${encodeURIComponent(redirectUri)}&scope=read%20offline_access&state=q9XbT2kLw0&` +
      'code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&' +
      `resource=${encodeURIComponent(url)}`,
  };
  await emit(EVENTS.authorizeWaiting, waiting);
  await new Promise<void>((resolve, reject) => {
    pendingSignIn = { finish: resolve, fail: reject };
    if (url.includes('quick')) setTimeout(resolve, 3000);
    if (url.includes('denied')) {
      setTimeout(
        () =>
          reject(
            ipcError(
              'NeedsAuth',
              'The authorization server refused: access_denied (the request was denied).',
              'Sign in again and approve the access Patchbay asks for.',
            ),
          ),
        2500,
      );
    }
  }).finally(() => (pendingSignIn = null));
  await delay(600);
}

function diagnosis(fields: Partial<Diagnosis>): Diagnosis {
  return {
    ok: true,
    stage: 'ready',
    transport: 'streamable_http',
    http_status: 200,
    server_name: 'example-server',
    server_version: '1.4.2',
    protocol_version: '2025-06-18',
    tool_count: 12,
    latency_ms: 84,
    timed_out: false,
    detail: 'Connected.',
    hint: '',
    remedy: null,
    route: null,
    ...fields,
  };
}

function failure(input: { url: string; network?: ConnectorNetwork }): IpcError | null {
  // A server signed by a private CA ("private-ca" in its URL) fails at TLS until one is trusted.
  if (input.url.includes('private-ca') && !input.network?.ca_pem) {
    const proxy = input.network?.proxy;
    const d = diagnosis({
      ok: false,
      stage: 'tls',
      transport: null,
      http_status: null,
      server_name: null,
      server_version: null,
      protocol_version: null,
      tool_count: null,
      detail: 'invalid peer certificate: UnknownIssuer',
      hint: "the server's TLS certificate is not trusted: if it is signed by a private certificate authority (a company's own), add that CA's certificate (PEM) to the connector's network settings",
      route: proxy?.mode === 'explicit' ? `through the proxy ${proxy.url}` : null,
    });
    return { code: 'Unreachable', message: `TLS handshake with ${new URL(input.url).host} failed`, hint: d.hint, diagnosis: d, redirect_uri: null, run_id: null };
  }
  if (input.url.includes('wrong') || input.url.includes(':9')) {
    const d = diagnosis({
      ok: false,
      stage: 'connect',
      transport: null,
      http_status: null,
      server_name: null,
      server_version: null,
      protocol_version: null,
      tool_count: null,
      detail: 'Connection refused (os error 111)',
      hint: 'Is the server running? Check the host and port in the URL.',
    });
    return {
      code: 'Unreachable',
      message: `Couldn’t connect to ${input.url}`,
      hint: d.hint,
      diagnosis: d,
      redirect_uri: null,
      run_id: null,
    };
  }
  if (input.url.includes('auth')) {
    const d = diagnosis({
      ok: false,
      stage: 'auth',
      http_status: 401,
      server_name: null,
      tool_count: null,
      detail: 'The server answered 401 Unauthorized.',
      hint: 'Check that the access token is valid and has not expired.',
    });
    return {
      code: 'NeedsAuth',
      message: 'The server rejected the access token.',
      hint: d.hint,
      diagnosis: d,
      redirect_uri: null,
      run_id: null,
    };
  }
  return null;
}

function find(workspace: string, name: string): ConnectorView {
  const found = connectors.find((c) => c.workspace === workspace && c.name === name);
  if (!found) throw ipcError('NotFound', `no connector named “${name}”`);
  return found;
}

/**
 * An OAuth connector that needs authentication fails its test at the auth stage, with the remedy
 * core gives: sign in again (Linear's step-up), or a machine client's new secret or key.
 */
function signInFailure(target: ConnectorView): IpcError | null {
  if (target.auth !== 'oauth' || target.status !== 'needs_auth') return null;
  const machine = oauthClients.get(target.id)?.machine === true;
  const stepUp = stepUps.get(target.id)?.needed ?? [];
  const d = diagnosis({
    ok: false,
    stage: 'auth',
    http_status: machine ? 401 : 403,
    server_name: null,
    tool_count: null,
    detail: machine
      ? 'the authorization server rejected the client credentials (invalid_client)'
      : stepUp.length > 0
        ? `needs more permissions: scope ${stepUp.join(' ')}`
        : 'the sign-in expired or was revoked',
    hint: machine
      ? "enter the machine client's new secret or key (it was rotated or revoked)"
      : stepUp.length > 0
        ? 're-authenticate to grant them'
        : 'sign in again',
    remedy: machine ? 'new_client_credentials' : 'sign_in_again',
  });
  return {
    code: 'NeedsAuth',
    message: d.detail,
    hint: null,
    diagnosis: d,
    redirect_uri: null,
    run_id: null,
  };
}

async function sendStatus(target: ConnectorView, current: ConnectorStatus, error: string | null) {
  const event: StatusEvent = {
    connector_id: target.id,
    workspace: target.workspace,
    name: target.name,
    previous: target.status,
    current,
    diagnosis: null,
    error,
  };
  target.status = current;
  target.last_error = error;
  target.last_checked_at = new Date().toISOString();
  await emit(EVENTS.connectorStatus, event);
}

/**
 * One handler per command, keyed by the generated names: a command Rust gained and the mock
 * lacks, or a misspelled one, is a type error, as is an answer of the wrong shape.
 */
let settings: AppSettingsWithNetwork = {
  monitor_interval_secs: 60,
  notifications: true,
  theme: 'system',
  connect_timeout_secs: 10,
  request_timeout_secs: 30,
  tray_notice_shown: false,
  proxy: { mode: 'system' },
  proxy_credentials_set: false,
  ca_pem: null,
};

const handlers: { [C in CommandName]: Handler<C> } = {
  // The mock's servers never ask questions (input-requested), so no answer has a question.
  answer_input: () => null,
  list_workspaces: () => workspaces,
  add_workspace: ({ name }) => {
    const workspace = { id: `w-${Date.now()}`, name, created_at: new Date().toISOString() };
    workspaces.push(workspace);
    return workspace;
  },
  rename_workspace: ({ oldName, newName }) => {
    const workspace = workspaces.find((w) => w.name === oldName);
    if (!workspace) throw ipcError('NotFound', `no workspace named “${oldName}”`);
    workspace.name = newName;
    return workspace;
  },
  remove_workspace: ({ name }) => {
    workspaces.splice(workspaces.findIndex((w) => w.name === name), 1);
    return null;
  },
  list_connectors: ({ workspace }) => {
    if (scenario === 'error') {
      throw ipcError(
        'KeychainUnavailable',
        'Secure storage is unavailable: no Secret Service answered on the session bus.',
        'Start gnome-keyring (or another Secret Service) and try again.',
      );
    }
    return connectors.filter((c) => c.workspace === workspace);
  },
  add_connector: async ({ workspace, input }) => {
    // A URL with "slow" in it shows what a server that takes its time looks like.
    await delay(input.url.includes('slow') ? 15_000 : 1200);
    const problem = failure(input);
    if (problem) throw problem;
    const { proxy_credentials: credentials, ...fields } = input;
    const created = connector({
      ...fields,
      network: { ...input.network, proxy_credentials_set: !!credentials },
      id: `c-${Date.now()}`,
      workspace,
      token_set: input.token !== null,
      header_names: input.headers.map((h) => h.name),
      status: 'connected',
      last_checked_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
    });
    connectors.push(created);
    return { connector: created, diagnosis: diagnosis({ server_name: 'mcp-servers/everything', tool_count: 11 }) };
  },
  edit_connector: async ({ workspace, name, input }) => {
    const target = find(workspace, name);
    await delay(900);
    const problem = failure({ url: input.url ?? target.url, network: input.network ?? target.network });
    if (problem) throw problem;
    if (input.name !== null) target.name = input.name;
    if (input.url !== null) target.url = input.url;
    if (input.token !== null) target.token_set = true;
    if (input.headers !== null) target.header_names = input.headers.map((h) => h.name);
    if (input.network) {
      // As core does: new credentials replace the stored ones; another proxy drops them.
      const same = JSON.stringify(input.network.proxy) === JSON.stringify(target.network.proxy);
      const kept = same && target.network.proxy_credentials_set === true;
      target.network = { ...input.network, proxy_credentials_set: !!input.proxy_credentials || kept };
    }
    target.updated_at = new Date().toISOString();
    return { connector: { ...target }, diagnosis: diagnosis({}) };
  },
  authorize_connector: async ({ workspace, input, flow }) => {
    const problem = failure(input);
    await signIn(input.url, flow);
    if (problem) throw problem;
    const created = connector({
      ...input,
      id: `c-${Date.now()}`,
      workspace,
      header_names: input.headers.map((h) => h.name),
      status: 'connected',
      last_checked_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
    });
    connectors.push(created);
    oauthClients.set(created.id, { client_id: 'pb_7f3a9c2e', method: 'dynamic', machine: false, authentication: 'none', issuer: `https://auth.${new URL(input.url).host}` });
    return { connector: created, diagnosis: diagnosis({ server_name: new URL(input.url).host, tool_count: 23 }) };
  },
  reauthorize_connector: async ({ workspace, name, flow }) => {
    const target = find(workspace, name);
    await signIn(target.url, flow);
    oauthClients.set(target.id, { client_id: 'pb_7f3a9c2e', method: 'dynamic', machine: false, authentication: 'none', issuer: `https://auth.${new URL(target.url).host}` });
    target.status = 'connected';
    target.last_error = null;
    target.last_checked_at = new Date().toISOString();
    const refused = stepUps.get(target.id)?.refused ?? [];
    stepUps.set(target.id, { needed: [], refused });
    return {
      saved: { connector: { ...target }, diagnosis: diagnosis({ server_name: target.name.toLowerCase(), tool_count: 23 }) },
      not_granted: refused,
    };
  },
  connector_step_up: ({ workspace, name }) => {
    const target = find(workspace, name);
    return stepUps.get(target.id) ?? { needed: [], refused: [] };
  },
  add_machine_connector: async ({ workspace, input, client: entered }) => {
    const client = await machineGrant(input.url, entered);
    const problem = failure(input);
    if (problem) throw problem;
    const created = connector({
      ...input,
      id: `c-${Date.now()}`,
      workspace,
      header_names: input.headers.map((h) => h.name),
      status: 'connected',
      last_checked_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
    });
    connectors.push(created);
    oauthClients.set(created.id, client);
    return { connector: created, diagnosis: diagnosis({ server_name: new URL(input.url).host, tool_count: 6 }) };
  },
  renew_machine_connector: async ({ workspace, name, client: entered }) => {
    const target = find(workspace, name);
    const stored = oauthClients.get(target.id);
    if (!entered && !stored?.machine) {
      throw ipcError('NeedsAuth', 'no machine client is stored with this connector; enter its client ID and secret (or key)');
    }
    const client = entered ? await machineGrant(target.url, entered) : (await delay(1200), stored);
    oauthClients.set(target.id, client ?? null);
    target.status = 'connected';
    target.last_error = null;
    target.last_checked_at = new Date().toISOString();
    return { connector: { ...target }, diagnosis: diagnosis({ server_name: target.name.toLowerCase(), tool_count: 6 }) };
  },
  oauth_client: ({ workspace, name }) => {
    const target = find(workspace, name);
    return oauthClients.get(target.id) ?? null;
  },
  oauth_redirect_uris: () => REDIRECT_URIS,
  cancel_authorization: () => {
    pendingSignIn?.fail(ipcError('Cancelled', 'sign-in cancelled'));
    return null;
  },
  forget_credentials: ({ workspace, name }) => {
    const target = find(workspace, name);
    oauthClients.delete(target.id);
    target.status = 'needs_auth';
    target.updated_at = new Date().toISOString();
    return { ...target };
  },
  remove_connector: ({ workspace, name }) => {
    const target = find(workspace, name);
    connectors.splice(connectors.indexOf(target), 1);
    return null;
  },
  test_connector: async ({ workspace, name }) => {
    const target = find(workspace, name);
    await delay(700);
    const problem = failure(target) ?? signInFailure(target);
    if (problem) throw problem;
    return diagnosis({ server_name: target.name.toLowerCase(), tool_count: 7 });
  },
  check_now: ({ connectorId }) => {
    const targets = connectorId === null ? connectors : connectors.filter((c) => c.id === connectorId);
    for (const [index, target] of targets.entries()) {
      setTimeout(() => void sendStatus(target, target.status === 'unknown' ? 'connected' : target.status, target.last_error), 1500 + index * 400);
    }
    return null;
  },
  // App settings, kept in memory for the Settings page; Open and Quit only log in the browser.
  get_settings: () => ({ ...settings }),
  // As Rust: new credentials are kept for an explicit proxy; a changed proxy drops the old ones.
  save_settings: ({ settings: next, proxyCredentials }) => {
    const wanted = withNetwork(next);
    const explicit = wanted.proxy.mode === 'explicit';
    const kept = sameProxy(wanted.proxy, settings.proxy) && settings.proxy_credentials_set;
    settings = { ...wanted, proxy_credentials_set: explicit && (!!proxyCredentials || kept) };
    return { ...settings };
  },
  app_info: () => ({
    version: '0.0.0-mock',
    data_dir: '/home/you/.local/share/dev.patchbay.desktop',
    log_dir: '/home/you/.local/state/dev.patchbay.desktop/logs',
    tray: true,
  }),
  open_folder: ({ which }) => {
    console.info(`[mock] would open the ${which} folder`);
    return null;
  },
  quit_app: () => {
    console.info('[mock] would quit Patchbay');
    return null;
  },
  ui_ready: () => null,
  ...stepHandlers,
  ...workbenchHandlers(
    connectors,
    (workspace, name) => find(workspace, name),
    () => `c-${Date.now()}`,
  ),
  ...interopHandlers(connectors, (workspace, name, url, auth, headerNames) => {
    const created = connector({
      name,
      url,
      auth,
      id: `c-${Date.now()}`,
      workspace,
      token_set: auth === 'token',
      header_names: headerNames,
      status: 'connected',
      last_checked_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
    });
    connectors.push(created);
    return { connector: created, diagnosis: diagnosis({ tool_count: 9 }) };
  }),
};

function isCommand(command: string): command is CommandName {
  return (COMMANDS as readonly string[]).includes(command);
}

mockIPC(
  async (command, payload) => {
    await delay(scenario === 'slow' && command === 'list_connectors' ? 60_000 : 150);
    if (!isCommand(command)) throw ipcError('Internal', `The mock has no command ${command}`);
    // Tauri hands each command the arguments its Rust signature names; so does the page.
    const handler = handlers[command] as (args: unknown) => unknown;
    return handler(payload ?? {});
  },
  { shouldMockEvents: true },
);

declare global {
  interface Window {
    patchbayMock: {
      status: (name: string, current: ConnectorStatus, error?: string | null) => Promise<void>;
      focus: (name: string) => Promise<void>;
      finishSignIn: () => void;
      failSignIn: (message?: string) => void;
      toolsChanged: (name: string) => Promise<void>;
      installLink: (link: LinkOffer) => Promise<void>;
    };
  }
}

window.patchbayMock = {
  status: (name, current, error = null) => sendStatus(find('Default', name), current, error),
  focus: async (name) => {
    const target = connectors.find((c) => c.name === name);
    if (target) await emit(EVENTS.focusConnector, { connector_id: target.id, workspace: target.workspace });
  },
  finishSignIn: () => pendingSignIn?.finish(),
  toolsChanged: (name) => toolsChanged('Default', name),
  installLink: (link) => sendInstallLink(link),
  failSignIn: (message = 'The token endpoint answered invalid_client: the client ID is not registered.') =>
    pendingSignIn?.fail(ipcError('NeedsAuth', message, 'Check the client ID, or leave it empty to register automatically.')),
};

await import('../src/main');
