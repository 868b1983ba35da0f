// A connector's own network settings in the window: the Add/Edit dialog's Network section
// (timeouts, proxy and its credentials, extra CA certificates), checked at each field before
// anything reaches Rust; the route a diagnosis went out by; a TLS failure's "Trust a CA
// certificate…"; and the settings shown in the Server tab. Against a fake Rust side
// (test-support.ts).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConnectorView, EVENTS, type ServerDetails } from './lib/types';
import {
  calls,
  connector,
  diagnosis,
  emit,
  ipcError,
  openAddDialog,
  openWorkbench,
  renderWith,
  renderWorkbench,
  resetTauri,
  row,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const PEM = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUQ29ycCBDQSBmb3IgdGVzdHMwCgYIKoZIzj0EAwIwFDES
-----END CERTIFICATE-----
`;

function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function input(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

function section(): HTMLElement {
  return screen.getByTestId('network-section');
}

function sectionOpen(): boolean {
  return screen.getByTestId('network-toggle').getAttribute('aria-expanded') === 'true';
}

/** The error shown under a field, found through the field's aria-describedby. */
function fieldError(testid: string): string | null {
  const field = screen.getByTestId(testid);
  if (field.getAttribute('aria-invalid') !== 'true') return null;
  const described = field.getAttribute('aria-describedby') ?? '';
  const error = document.getElementById(described)?.querySelector('.field-error') ??
    document.getElementById(described);
  return error ? text(error) : null;
}

const NOT_WHOLE = 'Enter whole seconds (digits only), or leave it empty for the default.';

const saved = () => ({ connector: connector({ name: 'Docs' }), diagnosis: diagnosis() });

/** The Add dialog filled with a name and URL (no authentication), its Network section open. */
async function addDialog(extra: Parameters<typeof renderWith>[1] = {}) {
  await renderWith([], { add_connector: saved, ...extra });
  await openAddDialog();
  await type(screen.getByTestId('field-name'), 'Docs');
  await type(screen.getByTestId('field-url'), 'https://docs.corp.example/mcp');
  await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
  expect(sectionOpen(), 'the section starts closed for a new connector').toBe(false);
  await fireEvent.click(screen.getByTestId('network-toggle'));
  expect(sectionOpen()).toBe(true);
}

async function save() {
  await fireEvent.click(screen.getByTestId('save-connector'));
}

async function chooseFile(name: string, content: string) {
  const file = new File([content], name, { type: 'application/x-pem-file' });
  await fireEvent.change(screen.getByTestId('ca-file'), { target: { files: [file] } });
}

describe('adding a connector with its own network settings', () => {
  it('sends a request timeout as the connector’s own, and says what it governs', async () => {
    await addDialog();
    const request = input('request-timeout');
    expect(request.placeholder).toBe('Default (30 s)');
    expect(input('connect-timeout').placeholder).toBe('Default (10 s)');
    expect(text(section())).toContain(
      'A tool call may stay silent this long; progress updates from the server extend it.',
    );
    await type(request, '120');
    expect(text(screen.getByTestId('network-toggle')), 'the summary says what is set').toContain(
      'request 120 s',
    );
    await save();

    await screen.findByTestId('toast');
    expect(calls('add_connector')[0]?.input).toEqual({
      name: 'Docs',
      url: 'https://docs.corp.example/mcp',
      auth: 'none',
      token: null,
      headers: [],
      network: { request_timeout_secs: 120 },
    });
  });

  it('sends no network settings when everything is the app’s default', async () => {
    await addDialog();
    await type(input('request-timeout'), '  ');
    await fireEvent.click(screen.getByTestId('proxy-mode-direct'));
    await fireEvent.click(screen.getByTestId('proxy-mode-system'));
    await save();

    await screen.findByTestId('toast');
    const sent = calls('add_connector')[0]?.input as Record<string, unknown>;
    expect(sent.name).toBe('Docs');
    expect('network' in sent, 'defaults are left to the app').toBe(false);
    expect('proxy_credentials' in sent).toBe(false);
  });

  it.each([
    ['request-timeout', '0', 'Enter at least 1 second, or leave it empty for the default.'],
    ['request-timeout', '99999', 'Enter at most 3600 seconds (1 hour).'],
    ['request-timeout', 'abc', NOT_WHOLE],
    ['connect-timeout', '301', 'Enter at most 300 seconds (5 minutes).'],
    ['connect-timeout', '2.5', NOT_WHOLE],
  ])('refuses %s “%s” at the field and sends nothing', async (testid, value, message) => {
    await addDialog();
    await type(input(testid), value);
    await fireEvent.change(input(testid));
    expect(fieldError(testid), 'checked once the field is left').toBe(message);
    await save();

    expect(calls('add_connector'), 'nothing reaches Rust').toHaveLength(0);
    expect(document.activeElement, 'focus goes to the field to fix').toBe(input(testid));
  });

  it('opens a closed section to show a problem found on save', async () => {
    await addDialog();
    await type(input('connect-timeout'), '0');
    await fireEvent.click(screen.getByTestId('network-toggle'));
    expect(sectionOpen()).toBe(false);
    await save();

    expect(sectionOpen(), 'the problem is shown, not hidden in a closed section').toBe(true);
    expect(fieldError('connect-timeout')).toBe(
      'Enter at least 1 second, or leave it empty for the default.',
    );
    expect(calls('add_connector')).toHaveLength(0);
  });

  it('refuses a proxy URL with credentials in it, or one that is not http(s)', async () => {
    await addDialog();
    expect(screen.queryByTestId('proxy-url'), 'no URL field until Custom').toBeNull();
    await fireEvent.click(screen.getByTestId('proxy-mode-explicit'));
    await type(input('proxy-url'), 'http://alice:secret@proxy.corp:3128');
    await save();

    expect(fieldError('proxy-url')).toBe(
      'Put the user name and password in the fields below, not in the URL.',
    );
    expect(calls('add_connector')).toHaveLength(0);

    await type(input('proxy-url'), 'socks5://proxy.corp:1080');
    expect(fieldError('proxy-url')).toBe('The proxy URL must start with http:// or https://.');
    await type(input('proxy-url'), '');
    expect(fieldError('proxy-url')).toBe(
      'Enter the proxy’s URL, such as http://proxy.example.com:3128.',
    );
    await save();
    expect(calls('add_connector')).toHaveLength(0);
  });

  it('sends a custom proxy’s user name and password apart, never in the settings', async () => {
    await addDialog();
    await fireEvent.click(screen.getByTestId('proxy-mode-explicit'));
    await type(input('proxy-url'), ' http://proxy.corp:3128 ');
    await type(input('proxy-user'), 'alice');
    const password = input('proxy-password');
    expect(password.type, 'the password is masked').toBe('password');
    await type(password, 'pa:ss');
    await save();

    await screen.findByTestId('toast');
    const sent = calls('add_connector')[0]?.input as Record<string, unknown>;
    expect(sent.network).toEqual({ proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' } });
    expect(sent.proxy_credentials).toBe('alice:pa:ss');
    expect(JSON.stringify(sent.network)).not.toContain('pa:ss');
    expect(JSON.stringify(sent.network)).not.toContain('alice');
  });

  it('asks for the user name that goes with a password', async () => {
    await addDialog();
    await fireEvent.click(screen.getByTestId('proxy-mode-explicit'));
    await type(input('proxy-url'), 'http://proxy.corp:3128');
    await type(input('proxy-password'), 'secret');
    await save();

    expect(fieldError('proxy-user')).toBe('Enter the user name that goes with this password.');
    expect(calls('add_connector')).toHaveLength(0);
  });

  it('sends no proxy at all with No proxy', async () => {
    await addDialog();
    await fireEvent.click(screen.getByTestId('proxy-mode-direct'));
    await save();

    await screen.findByTestId('toast');
    expect(calls('add_connector')[0]?.input).toMatchObject({
      network: { proxy: { mode: 'direct' } },
    });
  });

  it('reads a CA file, says how many certificates it holds, and sends them', async () => {
    await addDialog();
    const chooser = input('ca-file');
    expect(chooser.type).toBe('file');
    expect(chooser.accept).toBe('.pem,.crt,.cer');
    await chooseFile('corp-ca.pem', PEM);

    const count = await screen.findByTestId('ca-count');
    expect(text(count)).toContain('1 certificate from corp-ca.pem');
    expect(input('ca-pem').value, 'what was read can be seen').toBe(PEM);
    await save();

    await screen.findByTestId('toast');
    expect(calls('add_connector')[0]?.input).toMatchObject({ network: { ca_pem: PEM } });
  });

  it('counts every certificate in a bundle, and Remove takes them out', async () => {
    await addDialog();
    await chooseFile('bundle.crt', PEM + PEM);
    expect(text(await screen.findByTestId('ca-count'))).toContain('2 certificates from bundle.crt');

    await fireEvent.click(screen.getByTestId('ca-remove'));
    expect(screen.queryByTestId('ca-count')).toBeNull();
    expect(input('ca-pem').value).toBe('');
    await save();

    await screen.findByTestId('toast');
    expect('network' in (calls('add_connector')[0]?.input as object)).toBe(false);
  });

  it('refuses a file that holds no PEM certificate at the field', async () => {
    await addDialog();
    await chooseFile('key.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');

    await waitFor(() =>
      expect(fieldError('ca-pem')).toBe(
        'That is a private key: choose the certificate authority’s certificate instead.',
      ),
    );
    expect(screen.queryByTestId('ca-count')).toBeNull();
    await save();
    expect(calls('add_connector')).toHaveLength(0);
  });

  it('refuses pasted text that is not a certificate', async () => {
    await addDialog();
    await type(input('ca-pem'), 'hello');
    await save();

    expect(fieldError('ca-pem')).toMatch(/^That holds no PEM certificate/);
    expect(calls('add_connector')).toHaveLength(0);

    await type(input('ca-pem'), PEM);
    expect(fieldError('ca-pem')).toBeNull();
    expect(text(screen.getByTestId('ca-count'))).toContain('1 certificate');
    await save();
    await screen.findByTestId('toast');
    expect(calls('add_connector')[0]?.input).toMatchObject({ network: { ca_pem: PEM } });
  });

  it('sends the network settings with an OAuth sign-in too', async () => {
    await renderWith([], {
      authorize_connector: saved,
    });
    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Docs');
    await type(screen.getByTestId('field-url'), 'https://docs.corp.example/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'oauth' } });
    await fireEvent.click(screen.getByTestId('network-toggle'));
    await type(input('connect-timeout'), '20');
    await save();

    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));
    expect(calls('authorize_connector')[0]?.input).toMatchObject({
      network: { connect_timeout_secs: 20 },
    });
  });
});

describe('editing a connector’s network settings', () => {
  const stored = connector({
    name: 'Search',
    url: 'https://search.corp.example/mcp',
    status: 'connected',
    network: {
      connect_timeout_secs: 5,
      request_timeout_secs: 120,
      proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
      proxy_credentials_set: true,
      ca_pem: PEM,
    },
  });

  async function editDialog(target: ConnectorView = stored) {
    await renderWith([target], {
      edit_connector: () => ({ connector: target, diagnosis: diagnosis() }),
    });
    await fireEvent.click(within(row(target.name)).getByTestId('edit-connector'));
    return screen.getByRole('dialog', { name: `Edit ${target.name}` });
  }

  it('opens the section filled in when the connector has settings of its own', async () => {
    await editDialog();
    expect(sectionOpen()).toBe(true);
    expect(input('connect-timeout').value).toBe('5');
    expect(input('request-timeout').value).toBe('120');
    expect(input('proxy-mode-explicit').checked).toBe(true);
    expect(input('proxy-url').value).toBe('http://proxy.corp:3128');
    expect(input('proxy-user').value, 'credentials are never shown').toBe('');
    expect(text(screen.getByTestId('proxy-credentials-help'))).toBe(
      'Credentials stored — leave empty to keep them.',
    );
    expect(text(screen.getByTestId('ca-count'))).toContain('1 certificate');
  });

  it('sends the settings without a timeout reset to the default', async () => {
    await editDialog();
    await type(input('request-timeout'), '');
    await save();

    await screen.findByTestId('toast');
    expect(calls('edit_connector')[0]?.input).toEqual({
      name: null,
      url: null,
      token: null,
      headers: null,
      network: {
        connect_timeout_secs: 5,
        proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
        ca_pem: PEM,
      },
    });
  });

  it('leaves the network settings out when nothing in the section changed', async () => {
    await editDialog();
    await type(screen.getByTestId('field-name'), 'Search 2');
    // Touched, but back as it was.
    await type(input('connect-timeout'), '6');
    await type(input('connect-timeout'), '5');
    await save();

    await screen.findByTestId('toast');
    expect(calls('edit_connector')[0]?.input).toEqual({
      name: 'Search 2',
      url: null,
      token: null,
      headers: null,
    });
  });

  it('sends new proxy credentials with the settings, even when nothing else changed', async () => {
    await editDialog();
    await type(input('proxy-user'), 'bob');
    await type(input('proxy-password'), 'hunter2');
    await save();

    await screen.findByTestId('toast');
    const sent = calls('edit_connector')[0]?.input as Record<string, unknown>;
    expect(sent.proxy_credentials).toBe('bob:hunter2');
    expect(sent.network).toEqual({
      connect_timeout_secs: 5,
      request_timeout_secs: 120,
      proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
      ca_pem: PEM,
    });
  });

  it('warns another proxy drops stored credentials; sends the system’s as absent', async () => {
    await editDialog();
    await type(input('proxy-url'), 'http://other.corp:8080');
    expect(text(screen.getByTestId('proxy-credentials-help'))).toContain(
      'A different proxy: its stored credentials will be dropped.',
    );
    await fireEvent.click(screen.getByTestId('proxy-mode-system'));
    await fireEvent.click(screen.getByTestId('ca-remove'));
    await save();

    await screen.findByTestId('toast');
    expect(calls('edit_connector')[0]?.input).toMatchObject({
      network: { connect_timeout_secs: 5, request_timeout_secs: 120 },
    });
    const network = (calls('edit_connector')[0]?.input as { network: object }).network;
    expect('proxy' in network, 'the system proxy is the default').toBe(false);
    expect('ca_pem' in network, 'the CA was removed').toBe(false);
  });

  it('keeps the section closed for a connector without settings of its own', async () => {
    await editDialog(connector({ name: 'Plain', status: 'connected' }));
    expect(sectionOpen()).toBe(false);
    expect(screen.getByTestId('proxy-mode-system')).toHaveProperty('checked', true);
  });
});

describe('the route and a TLS failure', () => {
  const route =
    'through the proxy http://127.0.0.1:3128 (with its stored credentials), ' +
    'trusting 1 extra CA certificate as well as the system’s';

  function tlsFailure(withRoute: string | null = null) {
    const failed = diagnosis({
      ok: false,
      stage: 'tls',
      http_status: null,
      server_name: null,
      tool_count: null,
      detail: 'invalid peer certificate: UnknownIssuer',
      hint:
        'the server’s TLS certificate is not trusted: ' +
        'add that CA’s certificate to the connector’s network settings',
      route: withRoute,
    });
    return ipcError({ code: 'Unreachable', message: 'TLS handshake failed.', diagnosis: failed });
  }

  it('shows the route a failed test went out by', async () => {
    await addDialog({
      add_connector: () => {
        throw tlsFailure(route);
      },
    });
    await fireEvent.click(screen.getByTestId('proxy-mode-explicit'));
    await type(input('proxy-url'), 'http://127.0.0.1:3128');
    await save();

    const error = await screen.findByTestId('dialog-error');
    expect(text(within(error).getByTestId('diagnosis-route'))).toBe(`Network: ${route}`);
  });

  it('shows the route of a passing check in the row', async () => {
    const docs = connector({ name: 'Docs', status: 'connected' });
    await renderWith([docs]);
    await emit(EVENTS.connectorStatus, {
      connector_id: docs.id,
      workspace: 'Default',
      name: 'Docs',
      previous: 'connected',
      current: 'connected',
      diagnosis: diagnosis({ route: 'without a proxy' }),
      error: null,
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    expect(text(within(row('Docs')).getByTestId('diagnosis-route'))).toBe(
      'Network: without a proxy',
    );
  });

  it('shows no route line when the check went out as the system says', async () => {
    await addDialog({
      add_connector: () => {
        throw tlsFailure(null);
      },
    });
    await save();
    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('TLS failed');
    expect(within(error).queryByTestId('diagnosis-route')).toBeNull();
  });

  it('offers to trust a CA after a TLS failure, opening the section at the CA field', async () => {
    let attempt = 0;
    await addDialog({
      add_connector: () => {
        attempt += 1;
        if (attempt === 1) throw tlsFailure();
        return saved();
      },
    });
    await fireEvent.click(screen.getByTestId('network-toggle'));
    expect(sectionOpen()).toBe(false);
    await save();

    const error = await screen.findByTestId('dialog-error');
    const trust = within(error).getByTestId('trust-ca');
    expect(text(trust)).toBe('Trust a CA certificate…');
    await fireEvent.click(trust);
    await waitFor(() => expect(document.activeElement).toBe(input('ca-file')));
    expect(sectionOpen()).toBe(true);

    await chooseFile('corp-ca.pem', PEM);
    await screen.findByTestId('ca-count');
    expect(
      within(screen.getByTestId('dialog-error')).queryByTestId('trust-ca'),
      'not offered once a CA is set',
    ).toBeNull();
    await save();
    await screen.findByTestId('toast');
    expect(calls('add_connector')[1]?.input).toMatchObject({ network: { ca_pem: PEM } });
  });

  it('offers no CA after a failure at another stage', async () => {
    await addDialog({
      add_connector: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'Refused.',
          diagnosis: diagnosis({ ok: false, stage: 'connect', hint: 'Is it running?' }),
        });
      },
    });
    await save();
    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('Connection failed');
    expect(within(error).queryByTestId('trust-ca')).toBeNull();
  });

  it('offers it from a row’s TLS failure, opening Edit at the CA field', async () => {
    const docs = connector({ name: 'Docs', status: 'connected' });
    await renderWith([docs], {
      edit_connector: () => ({ connector: docs, diagnosis: diagnosis() }),
    });
    await emit(EVENTS.connectorStatus, {
      connector_id: docs.id,
      workspace: 'Default',
      name: 'Docs',
      previous: 'connected',
      current: 'error',
      diagnosis: tlsFailure().diagnosis,
      error: 'TLS handshake failed',
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Docs')).getByTestId('trust-ca'));

    expect(screen.getByRole('dialog', { name: 'Edit Docs' })).toBeTruthy();
    expect(sectionOpen()).toBe(true);
    await waitFor(() => expect(document.activeElement).toBe(input('ca-file')));

    await type(input('ca-pem'), PEM);
    await save();
    await screen.findByTestId('toast');
    expect(calls('edit_connector')[0]?.input).toMatchObject({ network: { ca_pem: PEM } });
  });

  it('opens the section when editing a connector whose last test failed at TLS', async () => {
    const docs = connector({ name: 'Docs', status: 'error' });
    await renderWith([docs]);
    await emit(EVENTS.connectorStatus, {
      connector_id: docs.id,
      workspace: 'Default',
      name: 'Docs',
      previous: 'connected',
      current: 'error',
      diagnosis: tlsFailure().diagnosis,
      error: 'TLS handshake failed',
    });
    await fireEvent.click(within(row('Docs')).getByTestId('edit-connector'));
    expect(sectionOpen()).toBe(true);
    expect(document.activeElement, 'an ordinary Edit still starts at the name').toBe(
      screen.getByTestId('field-name'),
    );
  });

  it('does not offer a CA in the row when the connector already has one', async () => {
    const docs = connector({ name: 'Docs', status: 'error', network: { ca_pem: PEM } });
    await renderWith([docs]);
    await emit(EVENTS.connectorStatus, {
      connector_id: docs.id,
      workspace: 'Default',
      name: 'Docs',
      previous: 'error',
      current: 'error',
      diagnosis: tlsFailure().diagnosis,
      error: 'TLS handshake failed',
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    expect(text(row('Docs'))).toContain('TLS failed');
    expect(within(row('Docs')).queryByTestId('trust-ca')).toBeNull();
  });
});

describe('the Server tab', () => {
  const details: ServerDetails = {
    name: 'docs',
    title: null,
    version: '1.0.0',
    description: null,
    website_url: null,
    icon: null,
    icon_sources: [],
    protocol_version: '2025-06-18',
    capabilities: {},
    instructions: null,
    transport: 'streamable_http',
    connected_in_ms: 40,
  };

  async function serverTab(docs: ConnectorView, extra: Parameters<typeof renderWith>[1] = {}) {
    await renderWorkbench([docs], [], { server_details: () => details, ...extra });
    const detail = await openWorkbench('Docs');
    await fireEvent.click(within(detail).getByRole('tab', { name: 'Server' }));
    return within(detail).getByRole('tabpanel', { name: 'Server' });
  }

  it('lists the connector’s own network settings, read-only', async () => {
    const panel = await serverTab(
      connector({
        name: 'Docs',
        network: {
          request_timeout_secs: 120,
          proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
          proxy_credentials_set: true,
          ca_pem: PEM,
        },
      }),
    );
    await within(panel).findByTestId('server-details');
    const own = within(panel).getByTestId('connector-network');
    expect(within(own).getAllByRole('listitem').map(text)).toEqual([
      'Request timeout 120 s (its own)',
      'Proxy: http://proxy.corp:3128 with stored credentials',
      'Trusts 1 extra CA certificate',
    ]);
    expect(own.querySelector('input, textarea, select'), 'nothing to edit here').toBeNull();
  });

  it('shows them also when the server cannot be reached', async () => {
    const panel = await serverTab(
      connector({ name: 'Docs', network: { proxy: { mode: 'direct' }, connect_timeout_secs: 3 } }),
      {
        server_details: () => {
          throw ipcError({ code: 'Unreachable', message: 'Connection refused.' });
        },
      },
    );
    await within(panel).findByTestId('server-error');
    expect(within(panel).getAllByRole('listitem').map(text)).toEqual([
      'Connect timeout 3 s (its own)',
      'Proxy: none (straight to the server)',
    ]);
  });

  it('says nothing of the network for a connector that uses the app’s settings', async () => {
    const panel = await serverTab(connector({ name: 'Docs' }));
    await within(panel).findByTestId('server-details');
    expect(within(panel).queryByTestId('connector-network')).toBeNull();
  });
});
