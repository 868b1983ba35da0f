// OAuth in the window: Authorize in the Add dialog, Re-authenticate and "Forget credentials and
// registration" on a row. Rust (faked here) opens the browser and waits for the redirect; the
// page only hears where the browser went (`authorize-waiting`) and how it ended.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CommandName,
  type ConnectorView,
  EVENTS,
  type Saved,
  type SignInInput,
} from './lib/types';
import {
  type Backend,
  calls,
  connector,
  deferred,
  diagnosis,
  emit,
  fakeClipboard,
  invokeMock,
  ipcError,
  listening,
  openAddDialog,
  renderWith,
  resetTauri,
  row,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const AUTHORIZE_URL =
  'https://auth.linear.app/authorize?response_type=code&client_id=pb_1&state=xyz&code_challenge=abc';
const APP_LINK = 'dev.patchbay.desktop:/oauth/callback';
const LOOPBACK = 'http://127.0.0.1/callback';

/** The flow the page gave its latest call of `command`. */
function flowOf(command: CommandName): SignInInput {
  const flow = calls(command).at(-1)?.flow as SignInInput | undefined;
  if (!flow) throw new Error(`no ${command} call with a flow`);
  return flow;
}

/** Rust says where it sent the browser for the page's latest `command`. */
async function announce(command: CommandName, redirectUri = APP_LINK) {
  await emit('authorize-waiting', {
    flow_id: flowOf(command).flow_id,
    authorize_url: AUTHORIZE_URL,
    redirect_uri: redirectUri,
  });
}

/**
 * A sign-in that waits until the test settles it, the way Rust waits for the browser; Cancel
 * (`cancel_authorization`) makes the pending call reject with "sign-in cancelled", as Rust does.
 */
function pendingSignIn(command: 'authorize_connector' | 'reauthorize_connector') {
  const handle: { result: ReturnType<typeof deferred<Saved>>; calls: number; backend: Backend } = {
    /** The current sign-in; each call starts a new one. */
    result: deferred<Saved>(),
    calls: 0,
    backend: {
      [command]: () => {
        handle.calls += 1;
        handle.result = deferred<Saved>();
        // Re-authenticate also says which scopes the server left out: none here.
        return command === 'reauthorize_connector'
          ? handle.result.promise.then((saved) => ({ saved, not_granted: [] }))
          : handle.result.promise;
      },
      cancel_authorization: () => {
        if (handle.calls > 0) {
          handle.result.reject(ipcError({ code: 'Cancelled', message: 'sign-in cancelled' }));
        }
        return null;
      },
    } satisfies Backend,
  };
  return handle;
}

function input(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

async function fillOAuthForm(name = 'Linear', url = 'https://mcp.linear.app/mcp') {
  await type(screen.getByTestId('field-name'), name);
  await type(screen.getByTestId('field-url'), url);
  await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'oauth' } });
}

const linear = (overrides: Partial<ConnectorView> = {}) =>
  connector({
    name: 'Linear',
    url: 'https://mcp.linear.app/mcp',
    auth: 'oauth',
    status: 'needs_auth',
    last_error: 'HTTP 401 Unauthorized',
    ...overrides,
  });

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
  Reflect.deleteProperty(navigator, 'clipboard');
});

describe('authorizing a new OAuth connector', () => {
  it('keeps a sign-in the server then wants more scope for, and says so in a warning', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('authorize'));
    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));

    const message = 'needs more permissions: scope files:write — re-authenticate to grant them';
    signIn.result.resolve({
      connector: linear({ status: 'needs_auth', last_error: message }),
      diagnosis: diagnosis({
        ok: false,
        stage: 'auth',
        http_status: 403,
        detail: 'needs more permissions: scope files:write',
        hint: 're-authenticate to grant them',
        remedy: 'sign_in_again',
        tool_count: null,
      }),
    });
    const toast = await screen.findByTestId('toast');
    expect(toast.dataset.tone, 'a warning, not a success').toBe('warning');
    expect(toast.textContent).toContain('Saved Linear, but it can’t be used yet');
    expect(toast.textContent).toContain('scope files:write');
    expect(screen.queryByRole('dialog'), 'the dialog closes: the connector is saved').toBeNull();
    expect(row('Linear').dataset.status).toBe('needs_auth');
    expect(
      within(row('Linear')).getByTestId('reauthorize-connector'),
      'Re-authenticate is where the missing scope is asked for',
    ).toBeTruthy();
  });

  it('waits for the browser with the link to copy, then saves, toasts and closes', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    const clipboard = fakeClipboard();
    const dialog = await openAddDialog();
    await fillOAuthForm();

    const primary = screen.getByTestId('save-connector');
    expect(primary.contains(screen.getByTestId('authorize')), 'one primary button').toBe(true);
    expect(primary.textContent).toContain('Authorize');
    expect(screen.queryByTestId('field-token'), 'OAuth has no token to paste').toBeNull();
    await fireEvent.click(screen.getByTestId('authorize'));

    const waiting = within(dialog).getByTestId('authorize-waiting');
    const title = within(waiting).getByText('Finish signing in in your browser…');
    expect(title.getAttribute('role'), 'screen readers hear it').toBe('status');
    expect(waiting.textContent).toContain('0:00');
    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));
    expect(listening('authorize-waiting'), 'listens before Rust can announce the URL').toBe(true);
    expect(calls('authorize_connector')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Linear',
          url: 'https://mcp.linear.app/mcp',
          auth: 'oauth',
          token: null,
          headers: [],
        },
        client: null,
        flow: { flow_id: expect.any(String), redirect: 'DeepLink' },
      },
    ]);
    expect(input('field-name').matches(':disabled'), 'the form is locked while waiting').toBe(true);
    expect((primary as HTMLButtonElement).disabled).toBe(true);
    expect(primary.textContent).toContain('Waiting for sign-in…');
    const copy = within(waiting).getByTestId('copy-authorize-link') as HTMLButtonElement;
    expect(copy.disabled, 'nothing to copy until Rust says where the browser went').toBe(true);

    await emit('authorize-waiting', {
      flow_id: 'another-dialogs-sign-in',
      authorize_url: 'https://elsewhere.example/authorize',
      redirect_uri: APP_LINK,
    });
    expect(copy.disabled, "another sign-in's link is not ours").toBe(true);
    await announce('authorize_connector');
    expect(copy.disabled).toBe(false);
    await fireEvent.click(copy);
    await waitFor(() => expect(copy.textContent).toContain('Copied'));
    expect(clipboard).toHaveBeenCalledWith(AUTHORIZE_URL);
    expect(screen.queryByTestId('authorize-link'), 'the clipboard worked: no fallback').toBeNull();

    signIn.result.resolve({
      connector: linear({ status: 'connected', last_error: null }),
      diagnosis: diagnosis({ server_name: 'Linear MCP', tool_count: 23 }),
    });
    const toast = await screen.findByTestId('toast');
    expect(toast.textContent).toContain('Connected to Linear MCP — 23 tools');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row('Linear').dataset.status).toBe('connected');
    expect(listening('authorize-waiting'), 'stops listening when the sign-in ends').toBe(false);
  });

  it('shows the link in a selectable field when the clipboard refuses', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    fakeClipboard(false);
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));
    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));
    await announce('authorize_connector');

    await fireEvent.click(screen.getByTestId('copy-authorize-link'));
    const link = (await screen.findByTestId('authorize-link')) as HTMLTextAreaElement;
    expect(link.value).toBe(AUTHORIZE_URL);
    expect(link.readOnly).toBe(true);
    expect(document.activeElement, 'the link is focused, ready to copy by hand').toBe(link);
  });

  it('counts the time it has been waiting', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));

    await vi.advanceTimersByTimeAsync(65_000);
    expect(screen.getByTestId('authorize-elapsed').textContent).toBe('1:05');
    await vi.advanceTimersByTimeAsync(200_000);
    expect(screen.getByTestId('authorize-waiting').textContent).toContain(
      'Patchbay stops waiting at 5:00.',
    );
  });

  it('cancels from the waiting state: the form stays filled and nothing is saved', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    const dialog = await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));
    expect(
      document.activeElement,
      'focus moves to Cancel, since the form behind is disabled',
    ).toBe(screen.getByTestId('cancel-authorization'));

    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));
    await fireEvent.click(screen.getByTestId('cancel-authorization'));
    expect(calls('cancel_authorization'), 'Cancel names this sign-in').toEqual([
      { flowId: flowOf('authorize_connector').flow_id },
    ]);

    const notice = await screen.findByTestId('dialog-error');
    expect(notice.textContent).toContain('Sign-in cancelled');
    expect(notice.textContent).toContain('Nothing was saved');
    expect(screen.queryByTestId('authorize-waiting')).toBeNull();
    expect(screen.getByRole('dialog', { name: 'Add connector' })).toBe(dialog);
    expect(input('field-name').value).toBe('Linear');
    expect(input('field-name').disabled).toBe(false);
    expect((screen.getByTestId('field-auth') as HTMLSelectElement).value).toBe('oauth');
    expect((screen.getByTestId('save-connector') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryAllByTestId('connector-row')).toHaveLength(0);
  });

  it('cancels on Escape instead of closing the dialog', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    const dialog = await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));
    expect(
      (within(dialog).getByRole('button', { name: 'Close' }) as HTMLButtonElement).disabled,
      'the dialog cannot be closed with a sign-in pending',
    ).toBe(true);

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(calls('cancel_authorization')).toHaveLength(1);
    expect((await screen.findByTestId('dialog-error')).textContent).toContain('Sign-in cancelled');
    expect(screen.getByRole('dialog', { name: 'Add connector' })).toBeTruthy();

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog'), 'with nothing pending, Escape closes again').toBeNull();
    expect(calls('cancel_authorization')).toHaveLength(1);
  });

  it('says the sign-in was cancelled when Rust stopped it, with no error', async () => {
    await renderWith([], {
      authorize_connector: () => {
        throw ipcError({ code: 'Cancelled', message: 'sign-in cancelled' });
      },
    });
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));

    const notice = await screen.findByTestId('dialog-error');
    expect(notice.getAttribute('role'), 'news, not an alarm').toBe('status');
    expect(notice.textContent).toContain('Sign-in cancelled');
    expect(notice.textContent).toContain('Nothing was saved');
    expect(calls('cancel_authorization'), 'the page did not cancel it').toHaveLength(0);
    expect(input('field-name').value).toBe('Linear');
  });

  it('shows why the sign-in failed, keeps the form and saves nothing', async () => {
    await renderWith([], {
      authorize_connector: () => {
        throw ipcError({
          code: 'NeedsAuth',
          message: 'The authorization server refused: access_denied.',
          hint: 'Sign in again and approve the access Patchbay asks for.',
        });
      },
    });
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Sign-in failed');
    expect(error.textContent).toContain('The authorization server refused: access_denied.');
    expect(error.textContent).toContain('Sign in again and approve the access Patchbay asks for.');
    expect(screen.getByText(/Nothing was saved\. Fix the problem and authorize again\./)).toBeTruthy();
    expect(input('field-name').value).toBe('Linear');
    expect(input('field-url').value).toBe('https://mcp.linear.app/mcp');
    expect(input('field-url').disabled).toBe(false);
    expect(screen.queryAllByTestId('connector-row')).toHaveLength(0);
  });

  it('shows the diagnosis when the connection test after sign-in fails', async () => {
    await renderWith([], {
      authorize_connector: () => {
        throw ipcError({
          code: 'ServerError',
          message: 'The server broke the MCP handshake.',
          diagnosis: diagnosis({ ok: false, stage: 'initialize', hint: 'Update the server.' }),
        });
      },
    });
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('MCP handshake failed');
    expect(error.textContent).toContain('Update the server.');
  });

  it('passes a pre-registered client entered under Advanced', async () => {
    await renderWith([], {
      authorize_connector: () => ({ connector: linear({ status: 'connected' }), diagnosis: diagnosis() }),
    });
    const clipboard = fakeClipboard();
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByRole('button', { name: /Advanced/ }));

    const redirect = input('redirect-uri');
    await waitFor(() => expect(redirect.value, "Patchbay's own link comes first").toBe(APP_LINK));
    expect(redirect.readOnly).toBe(true);
    expect(screen.getByText(/your browser hands the sign-in back to the app/i)).toBeTruthy();
    await fireEvent.click(screen.getByTestId('copy-redirect-uri'));
    expect(clipboard).toHaveBeenCalledWith(APP_LINK);

    const loopback = screen.getByRole('checkbox', { name: 'Use a loopback redirect instead' });
    expect((loopback as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(loopback);
    expect(redirect.value).toBe(LOOPBACK);
    expect(screen.getByText(/any port — Patchbay listens on a random local port \(RFC 8252\)/i)).toBeTruthy();
    expect(screen.getByRole('button', { name: /Advanced/ }).textContent).toContain(
      'loopback redirect',
    );
    await fireEvent.click(screen.getByTestId('copy-redirect-uri'));
    expect(clipboard).toHaveBeenLastCalledWith(LOOPBACK);

    const secret = input('field-client-secret');
    expect(secret.type, 'the client secret is masked').toBe('password');
    await type(secret, 's3cret');
    await fireEvent.click(screen.getByTestId('save-connector'));
    expect(screen.getByText('Enter the client ID that goes with this secret.')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(input('field-client-id')));
    expect(calls('authorize_connector'), 'a secret without its client ID never reaches Rust').toHaveLength(0);

    await type(input('field-client-id'), '  patchbay-desktop ');
    await fireEvent.click(screen.getByTestId('save-connector'));
    await screen.findByTestId('toast');
    expect(calls('authorize_connector')[0]?.client).toEqual({
      client_id: 'patchbay-desktop',
      client_secret: 's3cret',
    });
    expect(flowOf('authorize_connector').redirect, 'the loopback choice reaches Rust').toBe(
      'Loopback',
    );
  });

  it('sends a client ID without a secret as a public client', async () => {
    await renderWith([], {
      authorize_connector: () => ({ connector: linear({ status: 'connected' }), diagnosis: diagnosis() }),
    });
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByRole('button', { name: /Advanced/ }));
    await type(input('field-client-id'), 'public-client');
    await fireEvent.click(screen.getByTestId('save-connector'));

    await screen.findByTestId('toast');
    expect(calls('authorize_connector')[0]?.client).toEqual({
      client_id: 'public-client',
      client_secret: null,
    });
  });
});

describe('OAuth connectors in the list', () => {
  it('puts Re-authenticate up front when the connector needs sign-in, and signs in again', async () => {
    const signIn = pendingSignIn('reauthorize_connector');
    await renderWith([linear()], signIn.backend);

    const button = within(row('Linear')).getByTestId('reauthorize-connector');
    expect(button.closest('.details'), 'not hidden in the details').toBeNull();
    expect(button.classList.contains('primary')).toBe(true);
    button.focus();
    await fireEvent.click(button);

    // The page reads the stored client first (a browser sign-in here), then signs in at once.
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Linear”' });
    expect(within(dialog).getByText('Finish signing in in your browser…')).toBeTruthy();
    await waitFor(() => expect(calls('reauthorize_connector')).toHaveLength(1));
    expect(calls('reauthorize_connector')).toEqual([
      {
        workspace: 'Default',
        name: 'Linear',
        client: null,
        flow: { flow_id: expect.any(String), redirect: 'DeepLink' },
      },
    ]);
    await announce('reauthorize_connector');
    expect(
      (within(dialog).getByTestId('copy-authorize-link') as HTMLButtonElement).disabled,
    ).toBe(false);

    signIn.result.resolve({
      connector: linear({ status: 'connected', last_error: null }),
      diagnosis: diagnosis({ server_name: 'Linear MCP', tool_count: 23 }),
    });
    expect((await screen.findByTestId('toast')).textContent).toContain(
      'Connected to Linear MCP — 23 tools',
    );
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row('Linear').dataset.status).toBe('connected');
    expect(
      within(row('Linear')).getByTestId('reauthorize-connector').closest('.details'),
      'once connected, Re-authenticate moves into the details',
    ).toBeTruthy();
    expect(document.activeElement).toBe(within(row('Linear')).getByTestId('expand-connector'));
  });

  it('keeps a failed re-authentication in the dialog and retries with a pre-registered client', async () => {
    let attempt = 0;
    await renderWith([linear()], {
      reauthorize_connector: () => {
        attempt += 1;
        if (attempt === 1) {
          throw ipcError({
            code: 'NeedsAuth',
            message: 'The server offers no dynamic client registration; enter a client ID.',
          });
        }
        return {
          saved: { connector: linear({ status: 'connected' }), diagnosis: diagnosis() },
          not_granted: [],
        };
      },
    });
    await fireEvent.click(within(row('Linear')).getByTestId('reauthorize-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('Sign-in failed');
    expect(error.textContent).toContain('enter a client ID');
    await fireEvent.click(screen.getByRole('button', { name: 'Advanced' }));
    await type(input('field-client-id'), 'my-client');
    await fireEvent.click(screen.getByTestId('retry-authorize'));

    await screen.findByTestId('toast');
    expect(calls('reauthorize_connector').map(({ client }) => client)).toEqual([
      null,
      { client_id: 'my-client', client_secret: null },
    ]);
    const [first, second] = calls('reauthorize_connector').map((call) => call.flow as SignInInput);
    expect(first?.flow_id, 'each attempt is its own flow').not.toBe(second?.flow_id);
    expect(row('Linear').dataset.status).toBe('connected');
  });

  it('closes the re-authenticate dialog on Cancel and leaves the connector as it was', async () => {
    const signIn = pendingSignIn('reauthorize_connector');
    await renderWith([linear()], signIn.backend);
    await fireEvent.click(within(row('Linear')).getByTestId('reauthorize-connector'));
    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Linear”' });

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(calls('cancel_authorization')).toHaveLength(1);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(row('Linear').dataset.status).toBe('needs_auth');
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('closes the re-authenticate dialog when Rust says the sign-in was cancelled', async () => {
    await renderWith([linear()], {
      reauthorize_connector: () => {
        throw ipcError({ code: 'Cancelled', message: 'sign-in cancelled' });
      },
    });
    await fireEvent.click(within(row('Linear')).getByTestId('reauthorize-connector'));
    await screen.findByRole('dialog', { name: 'Re-authenticate “Linear”' });

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.queryByRole('alert'), 'a cancel is no error').toBeNull();
    expect(row('Linear').dataset.status).toBe('needs_auth');
  });

  it('names Re-authenticate after a hint to sign in again, and only then', async () => {
    await renderWith([linear({ status: 'connected', last_error: null })]);
    const expired = diagnosis({
      ok: false,
      stage: 'auth',
      http_status: 401,
      detail: 'the refresh token was rejected',
      hint: 'sign in again',
      remedy: 'sign_in_again',
    });
    await emit(EVENTS.connectorStatus, {
      connector_id: 'c-Linear',
      workspace: 'Default',
      name: 'Linear',
      previous: 'connected',
      current: 'needs_auth',
      diagnosis: expired,
      error: 'the refresh token was rejected',
    });
    await fireEvent.click(within(row('Linear')).getByTestId('expand-connector'));

    const hint = within(row('Linear')).getByTestId('diagnosis-hint');
    expect(hint.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Try: sign in again — use Re-authenticate',
    );
    expect(
      within(row('Linear')).getByTestId('reauthorize-connector').textContent,
      'the button it names is on the row',
    ).toContain('Re-authenticate');

    await emit(EVENTS.connectorStatus, {
      connector_id: 'c-Linear',
      workspace: 'Default',
      name: 'Linear',
      previous: 'needs_auth',
      current: 'error',
      diagnosis: diagnosis({
        ok: false,
        stage: 'http',
        detail: 'the authorization server answered 503',
        hint: 'the authorization server could not renew the access token; Patchbay retries',
      }),
      error: 'the authorization server answered 503',
    });
    expect(
      within(row('Linear')).getByTestId('diagnosis-hint').textContent,
      'no remedy, no button named',
    ).not.toContain('Re-authenticate');
  });

  it('forgets credentials and registration after a confirmation', async () => {
    const forget = deferred<ConnectorView>();
    await renderWith([linear({ status: 'connected', last_error: null })], {
      forget_credentials: () => forget.promise,
    });
    await fireEvent.click(within(row('Linear')).getByTestId('expand-connector'));
    const button = within(row('Linear')).getByTestId('forget-credentials');
    expect(button.textContent).toContain('Forget credentials and registration');

    await fireEvent.click(button);
    let confirm = screen.getByRole('alertdialog', { name: 'Forget credentials for “Linear”?' });
    expect(confirm.textContent).toContain('sign in again');
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(calls('forget_credentials'), 'nothing is forgotten without confirming').toHaveLength(0);

    await fireEvent.click(within(row('Linear')).getByTestId('forget-credentials'));
    confirm = screen.getByRole('alertdialog');
    await fireEvent.click(within(confirm).getByTestId('confirm-forget'));
    expect(within(confirm).getByTestId('confirm-forget').textContent).toContain('Forgetting…');
    expect(calls('forget_credentials')).toEqual([{ workspace: 'Default', name: 'Linear' }]);

    forget.resolve(linear({ status: 'needs_auth', last_error: null }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(row('Linear').dataset.status).toBe('needs_auth');
    expect((await screen.findByTestId('toast')).textContent).toContain(
      'Forgot the credentials of Linear',
    );
    const reauthorize = within(row('Linear')).getByTestId('reauthorize-connector');
    expect(reauthorize.closest('.details'), 'Re-authenticate is now up front').toBeNull();
  });

  it('shows a failed forget in the confirmation', async () => {
    await renderWith([linear({ status: 'connected' })], {
      forget_credentials: () => {
        throw ipcError({ code: 'KeychainUnavailable', message: 'The keychain is locked.' });
      },
    });
    await fireEvent.click(within(row('Linear')).getByTestId('forget-credentials'));
    await fireEvent.click(screen.getByTestId('confirm-forget'));

    const alert = await within(screen.getByRole('alertdialog')).findByRole('alert');
    expect(alert.textContent).toContain('The keychain is locked.');
    expect(row('Linear').dataset.status).toBe('connected');
  });

  it('offers no OAuth actions on token and no-auth connectors', async () => {
    await renderWith([
      connector({ name: 'Docs', auth: 'token', token_set: true, status: 'needs_auth' }),
      connector({ name: 'Open', auth: 'none' }),
    ]);
    for (const name of ['Docs', 'Open']) {
      expect(within(row(name)).queryByTestId('reauthorize-connector')).toBeNull();
      expect(within(row(name)).queryByTestId('forget-credentials')).toBeNull();
    }
  });

  it('stops a waiting sign-in when the dialog goes away with the workspace', async () => {
    const signIn = pendingSignIn('reauthorize_connector');
    await renderWith([linear()], signIn.backend);
    await fireEvent.click(within(row('Linear')).getByTestId('reauthorize-connector'));
    expect(await screen.findByTestId('authorize-waiting')).toBeTruthy();
    invokeMock.mockClear();

    // The tray asks for a connector in another workspace: the page switches, the dialog goes.
    await emit('focus-connector', { connector_id: 'c-elsewhere', workspace: 'Work' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls('cancel_authorization')).toHaveLength(1);
  });
});

describe('servers that need a client ID, and the redirect', () => {
  it('explains what to do, opens Advanced at the client ID, and authorizes with it', async () => {
    let attempt = 0;
    await renderWith([], {
      authorize_connector: () => {
        attempt += 1;
        if (attempt === 1) {
          throw ipcError({
            code: 'NeedsClientId',
            message: 'this server needs a client ID: it does not let apps register themselves.',
            redirect_uri: APP_LINK,
          });
        }
        return { connector: linear({ status: 'connected' }), diagnosis: diagnosis() };
      },
    });
    await openAddDialog();
    await fillOAuthForm();
    const advanced = screen.getByRole('button', { name: /Advanced/ });
    expect(advanced.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(screen.getByTestId('save-connector'));

    const notice = await screen.findByTestId('needs-client-id');
    expect(notice.getAttribute('role'), 'announced').toBe('alert');
    expect(notice.textContent).toContain('This server needs a client ID');
    expect(notice.textContent).toContain('Register Patchbay with the provider');
    expect(notice.textContent).toContain('enter the client ID');
    expect(notice.textContent).toContain('Nothing was saved.');
    expect(
      notice.compareDocumentPosition(input('field-client-id')) & Node.DOCUMENT_POSITION_FOLLOWING,
      'the explanation sits right above the field it asks for',
    ).toBeTruthy();
    expect(screen.queryByText(/Sign-in failed/), 'not shown as a failure to retry').toBeNull();
    expect(advanced.getAttribute('aria-expanded'), 'Advanced opens by itself').toBe('true');
    await waitFor(() =>
      expect(document.activeElement, 'ready to type the client ID').toBe(input('field-client-id')),
    );
    expect(input('redirect-uri').value, 'the URI Rust said to register').toBe(APP_LINK);

    await type(input('field-client-id'), 'registered-by-hand');
    await fireEvent.click(screen.getByTestId('save-connector'));
    await screen.findByTestId('toast');
    expect(calls('authorize_connector')[1]?.client).toEqual({
      client_id: 'registered-by-hand',
      client_secret: null,
    });
  });

  it('shows the loopback URI when the server refused the app link', async () => {
    await renderWith([], {
      authorize_connector: () => {
        throw ipcError({
          code: 'NeedsClientId',
          message: 'this server needs a client ID: it refused to register Patchbay (HTTP 400).',
          redirect_uri: LOOPBACK,
        });
      },
    });
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));
    await screen.findByTestId('needs-client-id');

    const loopback = screen.getByRole('checkbox', { name: 'Use a loopback redirect instead' });
    expect((loopback as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(input('redirect-uri').value).toBe(LOOPBACK));
  });

  it('asks for a client ID when re-authenticating too', async () => {
    await renderWith([linear()], {
      reauthorize_connector: () => {
        throw ipcError({
          code: 'NeedsClientId',
          message: 'this server needs a client ID.',
          redirect_uri: APP_LINK,
        });
      },
    });
    await fireEvent.click(within(row('Linear')).getByTestId('reauthorize-connector'));

    const notice = await screen.findByTestId('needs-client-id');
    expect(notice.textContent).toContain('The connector is unchanged.');
    expect(screen.getByRole('button', { name: 'Advanced' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    await waitFor(() => expect(document.activeElement).toBe(input('field-client-id')));
  });

  it('says where the browser comes back when it is a loopback address', async () => {
    const signIn = pendingSignIn('authorize_connector');
    await renderWith([], signIn.backend);
    await openAddDialog();
    await fillOAuthForm();
    await fireEvent.click(screen.getByTestId('save-connector'));
    await waitFor(() => expect(calls('authorize_connector')).toHaveLength(1));

    const waiting = screen.getByTestId('authorize-waiting');
    await announce('authorize_connector');
    expect(waiting.textContent, 'the app link needs no explanation').not.toContain('comes back');
    await announce('authorize_connector', 'http://127.0.0.1:53682/callback');
    expect(waiting.textContent).toContain(
      'The browser comes back through http://127.0.0.1:53682/callback on this computer.',
    );
  });
});
