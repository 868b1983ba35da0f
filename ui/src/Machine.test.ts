// Machine connectors in the window: Add connector with OAuth and "Machine client (client
// credentials)" (Connect: Rust gets a token with the client's secret or key, tests and saves; no
// browser), Re-authenticate as "Renew now" with an optional new secret or key, and the OAuth
// client in a row's details. Rust is faked; the secret must only ever travel to it.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorView, Saved } from './lib/types';
import {
  type Backend,
  browserClient,
  calls,
  connector,
  deferred,
  diagnosis,
  ipcError,
  listening,
  machineClient,
  openAddDialog,
  renderWith,
  resetTauri,
  row,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const SECRET = 'SNTL-ui-machine-secret';
/** A throwaway P-256 key made for tests with `openssl genpkey`; it protects nothing. */
const EC_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsG2hC163I0Pl8xfD
0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk
woMS+upnbaCWu49U+vJ92Wvp5YIH8NWyfpyIdcsfOVvAF9kTtHRmdZNZ
-----END PRIVATE KEY-----`;

const billing = (overrides: Partial<ConnectorView> = {}) =>
  connector({
    name: 'Billing',
    url: 'https://mcp.billing.example/mcp',
    auth: 'oauth',
    status: 'connected',
    ...overrides,
  });

/** The text as a person reads it: runs of white space are one space. */
function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function field(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

/** Add connector → OAuth → Machine client, with name and URL filled. */
async function openMachineForm() {
  const dialog = await openAddDialog();
  await type(screen.getByTestId('field-name'), 'Billing');
  await type(screen.getByTestId('field-url'), 'https://mcp.billing.example/mcp');
  await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'oauth' } });
  await fireEvent.click(within(dialog).getByRole('radio', { name: /Machine client/ }));
  return dialog;
}

/** The page with `connectors`, whose OAuth clients are `clients` by name. */
async function renderWithClients(
  connectors: ConnectorView[],
  clients: Record<string, ReturnType<typeof machineClient> | null>,
  extra: Backend = {},
) {
  await renderWith(connectors, {
    oauth_client: (args) => clients[String(args.name)] ?? null,
    ...extra,
  });
}

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

describe('adding a machine connector', () => {
  it('offers the browser and a machine client, and connects with a client ID and secret', async () => {
    const add = deferred<Saved>();
    await renderWith([], { add_machine_connector: () => add.promise });
    const dialog = await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Billing');
    await type(screen.getByTestId('field-url'), 'https://mcp.billing.example/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'oauth' } });

    const browser = within(dialog).getByRole('radio', { name: /Sign in with a browser/ });
    const machine = within(dialog).getByRole('radio', { name: /Machine client \(client credentials\)/ });
    expect((browser as HTMLInputElement).checked, 'the browser is the usual way').toBe(true);
    expect(screen.getByTestId('save-connector').textContent).toContain('Authorize');
    await fireEvent.click(machine);

    const primary = screen.getByTestId('save-connector');
    expect(primary.textContent, 'no browser: the button connects').toContain('Connect');
    expect(primary.textContent).not.toContain('Authorize');
    expect(screen.queryByTestId('oauth-note'), 'the browser explanation is gone').toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: /Advanced/ }));
    expect(
      screen.queryByTestId('redirect-uri'),
      'a machine client has no redirect URI or pre-registered browser client',
    ).toBeNull();
    expect(field('field-machine-client-secret').type, 'the secret is masked').toBe('password');

    await fireEvent.click(primary);
    expect(screen.getByText('Enter the client ID the provider gave you.')).toBeTruthy();
    expect(screen.getByText('Enter the client secret.')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(field('field-machine-client-id')));
    expect(calls('add_machine_connector'), 'nothing goes to Rust half-filled').toHaveLength(0);

    await type(field('field-machine-client-id'), ' billing-service ');
    await type(field('field-machine-client-secret'), `${SECRET}\n`);
    await fireEvent.click(primary);
    const progress = await within(dialog).findByRole('status');
    expect(progress.textContent).toContain('Getting a token and testing the connection…');
    expect(primary.textContent).toContain('Connecting…');
    expect((primary as HTMLButtonElement).disabled).toBe(true);
    expect(field('field-machine-client-id').matches(':disabled'), 'the form is locked').toBe(true);
    expect(listening('authorize-waiting'), 'no browser sign-in to listen for').toBe(false);
    expect(calls('add_machine_connector')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Billing',
          url: 'https://mcp.billing.example/mcp',
          auth: 'oauth',
          token: null,
          headers: [],
        },
        client: {
          client_id: 'billing-service',
          credential: { kind: 'client_secret', secret: SECRET },
        },
      },
    ]);
    expect(calls('authorize_connector')).toHaveLength(0);

    add.resolve({
      connector: billing(),
      diagnosis: diagnosis({ server_name: 'Billing MCP', tool_count: 4 }),
    });
    expect((await screen.findByTestId('toast')).textContent).toContain(
      'Connected to Billing MCP — 4 tools',
    );
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row('Billing').dataset.status).toBe('connected');
    expect(document.body.innerHTML, 'the secret is not left in the page').not.toContain(SECRET);
  });

  it('connects with a private key, hidden until shown, and the algorithm the key needs', async () => {
    await renderWith([], {
      add_machine_connector: () => ({ connector: billing(), diagnosis: diagnosis() }),
    });
    await openMachineForm();
    await type(field('field-machine-client-id'), 'billing-service');
    await fireEvent.click(screen.getByRole('radio', { name: 'Private key (JWT)' }));
    expect(screen.queryByTestId('field-machine-client-secret')).toBeNull();

    const key = screen.getByTestId('field-private-key') as HTMLTextAreaElement;
    expect(key.classList.contains('masked'), 'the key is hidden by default').toBe(true);
    const toggle = screen.getByTestId('toggle-private-key');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(toggle);
    expect(key.classList.contains('masked')).toBe(false);
    expect(toggle.textContent).toContain('Hide key');

    await fireEvent.click(screen.getByTestId('save-connector'));
    expect(screen.getByText('Paste the private key (PEM).')).toBeTruthy();
    await type(key, 'MIGHAgEAMBMGByqGSM49AgEG');
    expect(screen.getByText('Paste the whole key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.')).toBeTruthy();
    const algorithm = field('field-signing-algorithm');
    expect(algorithm.value).toBe('RS256');

    await type(key, EC_KEY);
    expect(algorithm.value, 'an EC P-256 key signs with ES256').toBe('ES256');
    expect(screen.getByText('Chosen to match the key. The provider must accept it.')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('save-connector'));

    await screen.findByTestId('toast');
    expect(calls('add_machine_connector')[0]?.client).toEqual({
      client_id: 'billing-service',
      credential: { kind: 'private_key', pem: EC_KEY, algorithm: 'ES256' },
    });
  });

  it('keeps a chosen algorithm when the key changes', async () => {
    await renderWith([]);
    await openMachineForm();
    await fireEvent.click(screen.getByRole('radio', { name: 'Private key (JWT)' }));
    await fireEvent.change(field('field-signing-algorithm'), { target: { value: 'ES384' } });
    await type(screen.getByTestId('field-private-key'), EC_KEY);
    expect(field('field-signing-algorithm').value, 'the person chose: leave it').toBe('ES384');
  });

  it('shows a rejected client in the form, saves nothing, and connects once fixed', async () => {
    let attempt = 0;
    await renderWith([], {
      add_machine_connector: () => {
        attempt += 1;
        if (attempt === 1) {
          throw ipcError({
            code: 'NeedsAuth',
            message:
              'the authorization server rejected the client credentials (invalid_client): check the client ID, and whether the secret or key was rotated or the client revoked',
          });
        }
        return { connector: billing(), diagnosis: diagnosis() };
      },
    });
    const dialog = await openMachineForm();
    await type(field('field-machine-client-id'), 'billing-service');
    await type(field('field-machine-client-secret'), 'old-secret');
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await within(dialog).findByTestId('dialog-error');
    expect(error.textContent).toContain('Couldn’t get a token');
    expect(error.textContent).toContain('rejected the client credentials (invalid_client)');
    expect(dialog.textContent).toContain('Nothing was saved. Fix the problem and connect again.');
    expect(field('field-machine-client-id').value, 'what was typed stays').toBe('billing-service');
    expect(screen.queryByTestId('connector-row'), 'nothing was added').toBeNull();

    await type(field('field-machine-client-secret'), SECRET);
    await fireEvent.click(screen.getByTestId('save-connector'));
    await screen.findByTestId('toast');
    expect(calls('add_machine_connector').map((call) => call.client)).toEqual([
      { client_id: 'billing-service', credential: { kind: 'client_secret', secret: 'old-secret' } },
      { client_id: 'billing-service', credential: { kind: 'client_secret', secret: SECRET } },
    ]);
  });
});

describe('re-authenticating a machine connector', () => {
  it('renews with the stored client: no browser, a Renew now button and progress', async () => {
    const renew = deferred<Saved>();
    await renderWithClients(
      [billing({ status: 'needs_auth', last_error: 'the client was rejected' })],
      { Billing: machineClient() },
      { renew_machine_connector: () => renew.promise },
    );
    await fireEvent.click(within(row('Billing')).getByTestId('reauthorize-connector'));

    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Billing”' });
    const lede = text(within(dialog).getByTestId('machine-renewal'));
    expect(lede).toContain('Billing is a machine connector');
    expect(lede).toContain('from auth.billing.example as client billing-service');
    expect(lede).toContain('with no browser and no one signing in');
    expect(lede).toContain('Renew now gets a new token at once with the stored secret.');
    expect(screen.queryByTestId('authorize-waiting'), 'no browser waiting state').toBeNull();
    expect(calls('reauthorize_connector')).toHaveLength(0);
    const toggle = within(dialog).getByTestId('toggle-new-credentials');
    expect(
      toggle.getAttribute('aria-expanded'),
      'it needs authentication, so a new secret is likely: the fields are open',
    ).toBe('true');
    expect(field('field-machine-client-id').value).toBe('billing-service');
    expect(field('field-machine-client-secret').placeholder).toBe(
      'Leave empty to keep the stored secret',
    );

    const primary = within(dialog).getByTestId('renew-now');
    expect(primary.textContent).toContain('Renew now');
    await fireEvent.click(primary);
    expect(calls('renew_machine_connector')).toEqual([
      { workspace: 'Default', name: 'Billing', client: null },
    ]);
    expect(primary.textContent).toContain('Renewing…');
    expect(within(dialog).getByRole('status').textContent).toContain(
      'Getting a new token and testing the connection…',
    );

    renew.resolve({ connector: billing(), diagnosis: diagnosis({ server_name: 'Billing MCP' }) });
    expect((await screen.findByTestId('toast')).textContent).toContain('Connected to Billing MCP');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row('Billing').dataset.status).toBe('connected');
  });

  it('after a failed renewal, renews with the new secret entered', async () => {
    let attempt = 0;
    await renderWithClients([billing()], { Billing: machineClient() }, {
      renew_machine_connector: () => {
        attempt += 1;
        if (attempt === 1) {
          throw ipcError({
            code: 'NeedsAuth',
            message: 'the authorization server rejected the client credentials (invalid_client)',
          });
        }
        return { connector: billing(), diagnosis: diagnosis() };
      },
    });
    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Billing')).getByTestId('reauthorize-connector'));
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Billing”' });
    const toggle = within(dialog).getByTestId('toggle-new-credentials');
    expect(toggle.getAttribute('aria-expanded'), 'connected: nothing to enter yet').toBe('false');

    await fireEvent.click(within(dialog).getByTestId('renew-now'));
    const error = await within(dialog).findByTestId('dialog-error');
    expect(error.textContent).toContain('Couldn’t get a token');
    expect(text(dialog)).toContain(
      'The connector is unchanged. If the provider rotated the secret or replaced the key, enter the new one below.',
    );
    expect(toggle.getAttribute('aria-expanded'), 'the fields open after a failure').toBe('true');

    await type(field('field-machine-client-id'), 'billing-service-2');
    await fireEvent.click(within(dialog).getByTestId('renew-now'));
    expect(
      screen.getByText('Enter the secret that goes with this client ID.'),
      'another client needs its own secret',
    ).toBeTruthy();
    expect(calls('renew_machine_connector')).toHaveLength(1);

    await type(field('field-machine-client-secret'), ` ${SECRET} `);
    await fireEvent.click(within(dialog).getByTestId('renew-now'));
    await screen.findByTestId('toast');
    expect(calls('renew_machine_connector').map((call) => call.client)).toEqual([
      null,
      { client_id: 'billing-service-2', credential: { kind: 'client_secret', secret: SECRET } },
    ]);
  });

  it('names Re-authenticate and Renew now after a hint for a new secret, but not in the dialog', async () => {
    const rotated = diagnosis({
      ok: false,
      stage: 'auth',
      http_status: 401,
      detail: 'the authorization server rejected the client credentials (invalid_client)',
      hint: "enter the machine client's new secret or key (it was rotated or revoked)",
      remedy: 'new_client_credentials',
    });
    const rejected = () => {
      throw ipcError({ code: 'NeedsAuth', message: rotated.detail, diagnosis: rotated });
    };
    await renderWithClients(
      [billing({ status: 'needs_auth', last_error: rotated.detail })],
      { Billing: machineClient() },
      { test_connector: rejected, renew_machine_connector: rejected },
    );
    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Billing')).getByRole('button', { name: /Run diagnostics/ }));

    const hint = await within(row('Billing')).findByTestId('diagnosis-hint');
    expect(text(hint)).toBe(
      "Try: enter the machine client's new secret or key (it was rotated or revoked) — use Re-authenticate, then Renew now",
    );

    await fireEvent.click(within(row('Billing')).getByTestId('reauthorize-connector'));
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Billing”' });
    expect(
      within(dialog).getByTestId('toggle-new-credentials').getAttribute('aria-expanded'),
      'the remedy’s fields are open',
    ).toBe('true');
    await fireEvent.click(within(dialog).getByTestId('renew-now'));
    const error = await within(dialog).findByTestId('dialog-error');
    expect(text(error)).toContain("Try: enter the machine client's new secret or key");
    expect(text(error), 'the dialog is where it happens: no button to point to').not.toContain(
      'use Re-authenticate',
    );
  });

  it('renews a private-key client with a new key', async () => {
    await renderWithClients(
      [billing({ status: 'needs_auth' })],
      { Billing: machineClient({ authentication: 'private_key_jwt' }) },
      { renew_machine_connector: () => ({ connector: billing(), diagnosis: diagnosis() }) },
    );
    await fireEvent.click(within(row('Billing')).getByTestId('reauthorize-connector'));
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Billing”' });
    expect(text(within(dialog).getByTestId('machine-renewal'))).toContain('with the stored key.');
    const key = screen.getByTestId('field-private-key') as HTMLTextAreaElement;
    expect(key.placeholder).toBe('Leave empty to keep the stored key');
    await type(key, EC_KEY);
    await fireEvent.click(within(dialog).getByTestId('renew-now'));
    await screen.findByTestId('toast');
    expect(calls('renew_machine_connector')[0]?.client).toEqual({
      client_id: 'billing-service',
      credential: { kind: 'private_key', pem: EC_KEY, algorithm: 'ES256' },
    });
  });

  it('asks how to sign in when no client is stored, and starts nothing until asked', async () => {
    await renderWithClients(
      [billing({ status: 'needs_auth' })],
      { Billing: null },
      { renew_machine_connector: () => ({ connector: billing(), diagnosis: diagnosis() }) },
    );
    await fireEvent.click(within(row('Billing')).getByTestId('reauthorize-connector'));
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Billing”' });
    expect(dialog.textContent).toContain('No sign-in is stored for Billing.');
    expect(screen.queryByTestId('authorize-waiting'), 'no browser opened unasked').toBeNull();
    expect(within(dialog).getByTestId('retry-authorize').textContent).toContain('Authorize');

    await fireEvent.click(within(dialog).getByRole('radio', { name: /Machine client/ }));
    const connect = within(dialog).getByTestId('renew-now');
    expect(connect.textContent).toContain('Connect');
    await fireEvent.click(connect);
    expect(screen.getByText('Enter the client secret.'), 'a new client needs its secret').toBeTruthy();
    await type(field('field-machine-client-id'), 'billing-service');
    await type(field('field-machine-client-secret'), SECRET);
    await fireEvent.click(connect);
    await screen.findByTestId('toast');
    expect(calls('renew_machine_connector')[0]?.client).toEqual({
      client_id: 'billing-service',
      credential: { kind: 'client_secret', secret: SECRET },
    });
    expect(calls('reauthorize_connector')).toHaveLength(0);
  });
});

describe('the OAuth client in the details', () => {
  it('shows a machine client: its ID, how it authenticates and its issuer', async () => {
    await renderWithClients([billing()], { Billing: machineClient() });
    expect(calls('oauth_client'), 'not read until the details open').toHaveLength(0);
    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));

    const client = within(row('Billing')).getByTestId('oauth-client');
    await waitFor(() => expect(client.textContent).toContain('billing-service'));
    expect(client.textContent).toContain('Machine client (client credentials)');
    expect(client.textContent).toContain('client secret, stored encrypted');
    expect(client.textContent).toContain('Patchbay renews its token by itself');
    expect(within(row('Billing')).getByTestId('oauth-issuer').textContent).toBe(
      'https://auth.billing.example',
    );
    expect(calls('oauth_client')).toEqual([{ workspace: 'Default', name: 'Billing' }]);

    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));
    expect(calls('oauth_client'), 'read once, not on every expand').toHaveLength(1);
  });

  it('shows a browser sign-in, a missing client, and a client that cannot be read', async () => {
    await renderWithClients(
      [
        billing({ name: 'Linear' }),
        billing({ name: 'Fresh', status: 'needs_auth' }),
        billing({ name: 'Locked' }),
      ],
      { Linear: browserClient() },
      {
        oauth_client: (args) => {
          if (args.name === 'Linear') return browserClient();
          if (args.name === 'Locked') {
            throw ipcError({ code: 'KeychainUnavailable', message: 'The keychain is locked.' });
          }
          return null;
        },
      },
    );
    for (const name of ['Linear', 'Fresh', 'Locked']) {
      await fireEvent.click(within(row(name)).getByTestId('expand-connector'));
    }
    await waitFor(() =>
      expect(text(within(row('Linear')).getByTestId('oauth-client'))).toBe(
        'pb_7f3a9c2e · Registered automatically · public client (PKCE)',
      ),
    );
    expect(within(row('Linear')).getByTestId('oauth-client').textContent).not.toContain(
      'renews its token by itself',
    );
    await waitFor(() =>
      expect(within(row('Fresh')).getByTestId('oauth-client').textContent).toContain(
        'None stored — Re-authenticate to sign in.',
      ),
    );
    await waitFor(() =>
      expect(within(row('Locked')).getByTestId('oauth-client').textContent).toContain(
        'Unavailable: The keychain is locked.',
      ),
    );
  });

  it('reads the client again after the credentials were forgotten', async () => {
    let forgotten = false;
    await renderWithClients([billing()], {}, {
      oauth_client: () => (forgotten ? null : machineClient()),
      forget_credentials: () => {
        forgotten = true;
        return billing({ status: 'needs_auth' });
      },
    });
    await fireEvent.click(within(row('Billing')).getByTestId('expand-connector'));
    const client = within(row('Billing')).getByTestId('oauth-client');
    await waitFor(() => expect(client.textContent).toContain('billing-service'));

    await fireEvent.click(within(row('Billing')).getByTestId('forget-credentials'));
    await fireEvent.click(screen.getByTestId('confirm-forget'));
    await waitFor(() =>
      expect(within(row('Billing')).getByTestId('oauth-client').textContent).toContain(
        'None stored',
      ),
    );
    expect(calls('oauth_client')).toHaveLength(2);
  });

  it('shows no OAuth client for token connectors', async () => {
    await renderWith([connector({ name: 'Docs', auth: 'token', token_set: true })]);
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    expect(within(row('Docs')).queryByTestId('oauth-client')).toBeNull();
    expect(calls('oauth_client')).toHaveLength(0);
  });
});
