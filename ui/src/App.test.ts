// The Connectors page as a user meets it, against a fake Rust side (test-support.ts).
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import type { Saved } from './lib/types';
import {
  calls,
  connector,
  deferred,
  diagnosis,
  emit,
  ipcError,
  openAddDialog,
  renderWith,
  resetTauri,
  row,
  standardBackend,
  type,
  workspace,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the connector list', () => {
  it('shows a loading state while the connectors are being read', async () => {
    standardBackend([], { list_connectors: () => new Promise(() => {}) });
    render(App);

    const status = await screen.findByText('Loading connectors…');
    expect(status.closest('[role="status"]'), 'the loading state is announced').toBeTruthy();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('MCP Connectors');
    expect(calls('list_connectors')).toEqual([{ workspace: 'Default' }]);
  });

  it('invites adding a connector when the workspace has none', async () => {
    await renderWith([]);

    expect(screen.getByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
    expect(screen.queryByRole('list'), 'an empty workspace must not render an empty list').toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Add your first connector' }));
    expect(screen.getByRole('dialog', { name: 'Add connector' })).toBeTruthy();
  });

  it('shows every status with its words, auth, URL and when it was last checked', async () => {
    const twoMinutesAgo = new Date(Date.now() - 2 * 60_000).toISOString();
    await renderWith([
      connector({ name: 'A', status: 'connected', last_checked_at: twoMinutesAgo }),
      connector({ name: 'B', status: 'disconnected', auth: 'token', token_set: true }),
      connector({ name: 'C', status: 'needs_auth', auth: 'oauth', last_error: 'HTTP 401' }),
      connector({ name: 'D', status: 'error', last_error: 'Bad JSON-RPC' }),
      connector({ name: 'E', status: 'unknown', url: 'https://e.example.com/mcp' }),
    ]);

    const expected = {
      A: ['connected', 'Connected'],
      B: ['disconnected', 'Disconnected'],
      C: ['needs_auth', 'Needs authentication'],
      D: ['error', 'Error'],
      E: ['unknown', 'Not checked'],
    };
    for (const [name, [status, label]] of Object.entries(expected)) {
      expect(row(name).dataset.status).toBe(status);
      expect(row(name).textContent).toContain(label);
    }
    expect(row('B').textContent).toContain('Access token');
    expect(row('C').textContent).toContain('OAuth');
    expect(row('E').textContent).toContain('https://e.example.com/mcp');
    expect(row('E').textContent).toContain('Never checked');

    const time = row('A').querySelector('time');
    expect(time?.textContent?.trim()).toBe('2 min ago');
    expect(time?.getAttribute('title'), 'the absolute time is one hover away').toMatch(/^Last checked /);
    expect(screen.getByText('5 connectors · 1 connected · 3 need attention')).toBeTruthy();
  });

  it('expands a row to show the last error and details', async () => {
    await renderWith([
      connector({
        name: 'Search',
        status: 'disconnected',
        auth: 'token',
        token_set: true,
        header_names: ['X-Team'],
        last_error: 'Connection refused (os error 111)',
      }),
    ]);

    const toggle = within(row('Search')).getByRole('button', { expanded: false });
    await fireEvent.click(toggle);

    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const details = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    expect(details?.hidden).toBe(false);
    expect(within(details!).getByRole('group', { name: 'Last error' }).textContent).toContain(
      'Connection refused (os error 111)',
    );
    expect(details?.textContent).toContain('token stored in the keychain');
    expect(details?.textContent).toContain('X-Team');
  });

  it('runs diagnostics from the details and shows what the test found', async () => {
    await renderWith([connector({ name: 'Docs', status: 'error', last_error: 'Bad JSON' })], {
      test_connector: () => {
        throw ipcError({
          code: 'ServerError',
          message: 'The server broke the MCP handshake.',
          diagnosis: diagnosis({ ok: false, stage: 'initialize', hint: 'Update the server.' }),
        });
      },
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Docs')).getByRole('button', { name: /Run diagnostics/ }));

    const report = await within(row('Docs')).findByRole('group', { name: 'MCP handshake failed' });
    expect(report.textContent).toContain('Update the server.');
    expect(calls('test_connector')).toEqual([{ workspace: 'Default', name: 'Docs' }]);
  });

  it('shows the error code, message and hint when the list cannot be read, and retries', async () => {
    let fail = true;
    standardBackend([], {
      list_connectors: () => {
        if (fail) {
          throw ipcError({
            code: 'KeychainUnavailable',
            message: 'Secure storage is unavailable.',
            hint: 'Start gnome-keyring and try again.',
          });
        }
        return [];
      },
    });
    render(App);

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Secure storage is unavailable.');
    expect(alert.textContent).toContain('Start gnome-keyring and try again.');
    expect(alert.textContent, 'the code tells the user what kind of failure it is').toContain(
      'KeychainUnavailable',
    );

    fail = false;
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
  });
});

describe('adding a connector', () => {
  it('tests first, shows progress, then saves, toasts and closes', async () => {
    const save = deferred<Saved>();
    await renderWith([], { add_connector: () => save.promise });
    const dialog = await openAddDialog();

    await type(screen.getByTestId('field-name'), '  Everything ');
    await type(screen.getByTestId('field-url'), 'http://127.0.0.1:3001/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'token' } });
    await type(screen.getByTestId('field-token'), 'secret');
    await fireEvent.click(screen.getByTestId('save-connector'));

    expect(within(dialog).getByRole('status').textContent).toContain('Testing connection…');
    expect((screen.getByTestId('field-name') as HTMLInputElement).matches(':disabled')).toBe(true);
    expect((screen.getByTestId('save-connector') as HTMLButtonElement).disabled).toBe(true);
    expect(calls('add_connector')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Everything',
          url: 'http://127.0.0.1:3001/mcp',
          auth: 'token',
          token: 'secret',
          headers: [],
        },
      },
    ]);

    save.resolve({
      connector: connector({ name: 'Everything', status: 'connected', auth: 'token', token_set: true }),
      diagnosis: diagnosis({ server_name: 'mcp-servers/everything', tool_count: 11 }),
    });

    const toast = await screen.findByTestId('toast');
    expect(toast.textContent).toContain('Connected to mcp-servers/everything — 11 tools');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row('Everything').dataset.status).toBe('connected');
  });

  it('does not repeat the detail when the message already says it', async () => {
    const detail = 'cannot connect to 127.0.0.1:9: Connection refused (os error 111)';
    const failure = diagnosis({ ok: false, stage: 'connect', http_status: null, detail, hint: 'check the URL' });
    await renderWith([], {
      add_connector: () => {
        throw ipcError({
          code: 'Unreachable',
          message: `connection failed: ${detail}`,
          hint: failure.hint,
          diagnosis: failure,
        });
      },
    });
    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Down');
    await type(screen.getByTestId('field-url'), 'http://127.0.0.1:9/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
    await fireEvent.click(screen.getByTestId('save-connector'));
    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent?.split('Connection refused').length).toBe(2);
  });

  it('shows the failed stage, HTTP status and hint, keeps the form filled and saves nothing', async () => {
    const failure = diagnosis({
      ok: false,
      stage: 'auth',
      http_status: 401,
      server_name: null,
      tool_count: null,
      detail: 'The server answered 401 Unauthorized.',
      hint: 'Check that the access token is valid.',
    });
    await renderWith([], {
      add_connector: () => {
        throw ipcError({
          code: 'NeedsAuth',
          message: 'The server rejected the access token.',
          hint: failure.hint,
          diagnosis: failure,
        });
      },
    });
    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Docs');
    await type(screen.getByTestId('field-url'), 'https://docs.example.com/mcp');
    await type(screen.getByTestId('field-token'), 'expired');
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('Authentication failed');
    expect(error.textContent).toContain('HTTP 401');
    expect(error.textContent).toContain('The server rejected the access token.');
    expect(error.textContent).toContain('Check that the access token is valid.');
    expect(screen.getByRole('dialog', { name: 'Add connector' })).toBeTruthy();
    expect((screen.getByTestId('field-name') as HTMLInputElement).value).toBe('Docs');
    expect((screen.getByTestId('field-url') as HTMLInputElement).value).toBe(
      'https://docs.example.com/mcp',
    );
    expect((screen.getByTestId('field-token') as HTMLInputElement).value).toBe('expired');
    expect((screen.getByTestId('field-name') as HTMLInputElement).disabled).toBe(false);
    expect(screen.queryAllByTestId('connector-row')).toHaveLength(0);
  });

  it.each([
    ['resolve', 'DNS lookup'],
    ['connect', 'Connection'],
    ['tls', 'TLS'],
    ['http', 'HTTP'],
    ['initialize', 'MCP handshake'],
    ['list_tools', 'Listing tools'],
  ] as const)('names the %s stage “%s”', async (stage, label) => {
    await renderWith([], {
      add_connector: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'No luck.',
          diagnosis: diagnosis({ ok: false, stage, http_status: null, hint: 'Try again later.' }),
        });
      },
    });
    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Docs');
    await type(screen.getByTestId('field-url'), 'https://docs.example.com/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain(`${label} failed`);
    expect(error.textContent).toContain('Try again later.');
  });

  it('checks name and URL before calling Rust', async () => {
    await renderWith([]);
    await openAddDialog();
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
    await fireEvent.click(screen.getByTestId('save-connector'));

    expect(screen.getByText('Enter a name for this connector.')).toBeTruthy();
    expect(screen.getByText('Enter the URL of the MCP server.')).toBeTruthy();
    expect(screen.getByTestId('field-name').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement, 'focus goes to the first field to fix').toBe(
      screen.getByTestId('field-name'),
    );

    await type(screen.getByTestId('field-name'), 'Files');
    await type(screen.getByTestId('field-url'), 'ftp://files.example.com');
    await fireEvent.click(screen.getByTestId('save-connector'));
    expect(screen.getByText('The URL must start with http:// or https://.')).toBeTruthy();
    expect(calls('add_connector'), 'invalid input never reaches Rust').toHaveLength(0);
  });

  it('shows a server-side InvalidInput message in the dialog', async () => {
    await renderWith([], {
      add_connector: () => {
        throw ipcError({ code: 'InvalidInput', message: 'A connector named “Docs” already exists.' });
      },
    });
    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Docs');
    await type(screen.getByTestId('field-url'), 'https://docs.example.com/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('A connector named “Docs” already exists.');
    expect(screen.getByRole('dialog', { name: 'Add connector' })).toBeTruthy();
  });

  it('masks the token with a show/hide toggle and sends custom headers', async () => {
    await renderWith([], {
      add_connector: () => ({ connector: connector({ name: 'Docs' }), diagnosis: diagnosis() }),
    });
    await openAddDialog();
    const token = screen.getByTestId('field-token') as HTMLInputElement;
    expect(token.type).toBe('password');
    await fireEvent.click(screen.getByRole('button', { name: 'Show token' }));
    expect(token.type).toBe('text');
    await fireEvent.click(screen.getByRole('button', { name: 'Hide token' }));
    expect(token.type).toBe('password');

    await type(screen.getByTestId('field-name'), 'Docs');
    await type(screen.getByTestId('field-url'), 'https://docs.example.com/mcp');
    await type(token, 'secret');
    await fireEvent.click(screen.getByRole('button', { name: /Advanced/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await type(screen.getByLabelText('Header 1 name'), 'X-Team');
    const value = screen.getByLabelText('Header 1 value') as HTMLInputElement;
    expect(value.type, 'header values are secrets too').toBe('password');
    await type(value, 'platform');
    await fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await type(screen.getByLabelText('Header 2 name'), 'X-Gone');
    await fireEvent.click(screen.getByRole('button', { name: 'Remove header X-Gone' }));
    await fireEvent.click(screen.getByTestId('save-connector'));

    await screen.findByTestId('toast');
    expect(calls('add_connector')[0]?.input).toMatchObject({
      headers: [{ name: 'X-Team', value: 'platform' }],
    });
  });

  it('closes on Escape and keeps Tab inside the dialog', async () => {
    await renderWith([]);
    const dialog = await openAddDialog();
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('field-name'));

    const save = screen.getByTestId('save-connector');
    save.focus();
    await fireEvent.keyDown(save, { key: 'Tab' });
    expect(dialog.contains(document.activeElement), 'Tab from the last control wraps').toBe(true);
    expect(document.activeElement).not.toBe(save);

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement, 'focus returns to the button that opened it').toBe(
      screen.getByTestId('add-connector'),
    );
  });
});

describe('editing a connector', () => {
  const stored = connector({
    name: 'Search',
    url: 'https://search.example.com/mcp',
    auth: 'token',
    token_set: true,
    header_names: ['X-Team'],
    status: 'connected',
  });

  it('prefills the form and sends null for an unchanged token and headers', async () => {
    await renderWith([stored], {
      edit_connector: () => ({
        connector: { ...stored, name: 'Search 2' },
        diagnosis: diagnosis({ server_name: 'search' }),
      }),
    });
    await fireEvent.click(within(row('Search')).getByTestId('edit-connector'));

    const dialog = screen.getByRole('dialog', { name: 'Edit Search' });
    expect((screen.getByTestId('field-name') as HTMLInputElement).value).toBe('Search');
    expect((screen.getByTestId('field-url') as HTMLInputElement).value).toBe(stored.url);
    const token = screen.getByTestId('field-token') as HTMLInputElement;
    expect(token.value).toBe('');
    expect(token.placeholder).toBe('•••••• (unchanged)');
    expect((within(dialog).getByLabelText('Header 1 name') as HTMLInputElement).value).toBe('X-Team');
    expect((within(dialog).getByLabelText('Header 1 value') as HTMLInputElement).placeholder).toBe(
      '(unchanged)',
    );

    await type(screen.getByTestId('field-name'), 'Search 2');
    await fireEvent.click(screen.getByTestId('save-connector'));

    await screen.findByTestId('toast');
    expect(calls('edit_connector')).toEqual([
      {
        workspace: 'Default',
        name: 'Search',
        input: { name: 'Search 2', url: null, token: null, headers: null },
      },
    ]);
    expect(row('Search 2')).toBeTruthy();
  });

  it('sends the full header list once headers are touched, and asks for every value', async () => {
    await renderWith([stored], {
      edit_connector: () => ({ connector: stored, diagnosis: diagnosis() }),
    });
    await fireEvent.click(within(row('Search')).getByTestId('edit-connector'));
    await fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await type(screen.getByLabelText('Header 2 name'), 'X-Region');
    await type(screen.getByLabelText('Header 2 value'), 'eu');
    await fireEvent.click(screen.getByTestId('save-connector'));

    expect(
      screen.getByText('Enter the value again: changing headers replaces all of them.'),
    ).toBeTruthy();
    expect(calls('edit_connector')).toHaveLength(0);

    await type(screen.getByLabelText('Header 1 value'), 'platform');
    await fireEvent.click(screen.getByTestId('save-connector'));
    await screen.findByTestId('toast');
    expect(calls('edit_connector')[0]?.input).toEqual({
      name: null,
      url: null,
      token: null,
      headers: [
        { name: 'X-Team', value: 'platform' },
        { name: 'X-Region', value: 'eu' },
      ],
    });
  });

  it('shows the diagnosis when the edited connector fails its test', async () => {
    await renderWith([stored], {
      edit_connector: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'Could not resolve nowhere.invalid',
          diagnosis: diagnosis({ ok: false, stage: 'resolve', hint: 'Check the host name.' }),
        });
      },
    });
    await fireEvent.click(within(row('Search')).getByTestId('edit-connector'));
    await type(screen.getByTestId('field-url'), 'https://nowhere.invalid/mcp');
    await fireEvent.click(screen.getByTestId('save-connector'));

    const error = await screen.findByTestId('dialog-error');
    expect(error.textContent).toContain('DNS lookup failed');
    expect(error.textContent).toContain('Check the host name.');
    expect((screen.getByTestId('field-url') as HTMLInputElement).value).toBe(
      'https://nowhere.invalid/mcp',
    );
    expect(calls('edit_connector')[0]?.input).toMatchObject({ url: 'https://nowhere.invalid/mcp' });
  });
});

describe('deleting a connector', () => {
  it('asks for confirmation naming the connector, then deletes it', async () => {
    const remove = deferred<null>();
    await renderWith([connector({ name: 'Docs', auth: 'token', token_set: true })], {
      remove_connector: () => remove.promise,
    });
    await fireEvent.click(within(row('Docs')).getByTestId('delete-connector'));

    const dialog = screen.getByRole('alertdialog', { name: 'Delete “Docs”?' });
    expect(dialog.textContent).toContain('access token');
    await fireEvent.click(screen.getByTestId('confirm-delete'));
    expect(screen.getByTestId('confirm-delete').textContent).toContain('Deleting…');
    expect(calls('remove_connector')).toEqual([{ workspace: 'Default', name: 'Docs' }]);

    remove.resolve(null);
    await waitFor(() => expect(screen.queryAllByTestId('connector-row')).toHaveLength(0));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect((await screen.findByTestId('toast')).textContent).toContain('Deleted Docs');
  });

  it('keeps the connector when cancelled, and shows a failed delete in the dialog', async () => {
    await renderWith([connector({ name: 'Docs' })], {
      remove_connector: () => {
        throw ipcError({ code: 'KeychainUnavailable', message: 'The keychain is locked.' });
      },
    });
    await fireEvent.click(within(row('Docs')).getByTestId('delete-connector'));
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(calls('remove_connector')).toHaveLength(0);

    await fireEvent.click(within(row('Docs')).getByTestId('delete-connector'));
    await fireEvent.click(screen.getByTestId('confirm-delete'));
    const alert = await within(screen.getByRole('alertdialog')).findByRole('alert');
    expect(alert.textContent).toContain('The keychain is locked.');
    expect(row('Docs')).toBeTruthy();
  });
});

describe('live status', () => {
  it('updates a row in place when a status event arrives', async () => {
    await renderWith([connector({ name: 'Docs', status: 'connected' })]);

    await emit('connector-status', {
      connector_id: 'c-Docs',
      workspace: 'Default',
      name: 'Docs',
      previous: 'connected',
      current: 'disconnected',
      diagnosis: null,
      error: 'Connection refused (os error 111)',
    });

    expect(row('Docs').dataset.status).toBe('disconnected');
    expect(row('Docs').textContent).toContain('Disconnected');
    expect(row('Docs').textContent).toContain('Connection refused (os error 111)');
    expect(row('Docs').querySelector('time')?.textContent?.trim()).toBe('just now');
    expect(screen.getByTestId('status-announcer').textContent).toBe('Docs is now Disconnected.');
  });

  it('spins on “Check now” until the event for that connector arrives', async () => {
    await renderWith([connector({ name: 'Docs' }), connector({ name: 'Other' })]);
    const check = within(row('Docs')).getByTestId('check-connector');
    await fireEvent.click(check);

    expect(calls('check_now')).toEqual([{ connectorId: 'c-Docs' }]);
    expect(row('Docs').getAttribute('aria-busy')).toBe('true');
    expect(row('Docs').textContent).toContain('Checking…');
    expect(row('Other').getAttribute('aria-busy')).toBe('false');

    await emit('connector-status', {
      connector_id: 'c-Docs',
      workspace: 'Default',
      name: 'Docs',
      previous: 'unknown',
      current: 'connected',
      diagnosis: diagnosis(),
      error: null,
    });
    expect(row('Docs').getAttribute('aria-busy')).toBe('false');
    expect(row('Docs').dataset.status).toBe('connected');
  });

  it('stops spinning after 30 seconds without an event, and re-reads the list', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await renderWith([connector({ name: 'Docs' })]);
    await fireEvent.click(within(row('Docs')).getByTestId('check-connector'));
    expect(row('Docs').getAttribute('aria-busy')).toBe('true');
    const reads = calls('list_connectors').length;

    await vi.advanceTimersByTimeAsync(30_000);
    await waitFor(() => expect(row('Docs').getAttribute('aria-busy')).toBe('false'));
    expect(calls('list_connectors').length).toBe(reads + 1);
  });

  it('checks all connectors at once', async () => {
    await renderWith([connector({ name: 'A' }), connector({ name: 'B' })]);
    await fireEvent.click(screen.getByTestId('check-all'));

    expect(calls('check_now')).toEqual([{ connectorId: null }]);
    expect(row('A').getAttribute('aria-busy')).toBe('true');
    expect(row('B').getAttribute('aria-busy')).toBe('true');
    expect(screen.getByTestId('check-all').textContent).toContain('Checking…');
  });

  it('reports a failed check as a toast with its message', async () => {
    await renderWith([connector({ name: 'Docs' })], {
      check_now: () => {
        throw ipcError({ code: 'Internal', message: 'The monitor is not running.' });
      },
    });
    await fireEvent.click(within(row('Docs')).getByTestId('check-connector'));

    const toast = await screen.findByTestId('toast');
    expect(toast.textContent).toContain('Couldn’t check Docs');
    expect(toast.textContent).toContain('The monitor is not running.');
    expect(row('Docs').getAttribute('aria-busy')).toBe('false');
  });

  it('opens the connector chosen in the tray, switching workspace', async () => {
    standardBackend([], {
      list_connectors: (args) =>
        args.workspace === 'Work'
          ? [connector({ id: 'c-7', name: 'Tracker', workspace: 'Work', last_error: 'HTTP 500' })]
          : [],
    });
    render(App);
    await screen.findByRole('heading', { name: 'No connectors yet' });

    await emit('focus-connector', { connector_id: 'c-7', workspace: 'Work' });

    await waitFor(() => expect(row('Tracker')).toBeTruthy());
    const toggle = within(row('Tracker')).getByTestId('expand-connector');
    await waitFor(() => expect(toggle.getAttribute('aria-expanded')).toBe('true'));
    expect(row('Tracker').classList.contains('highlighted') || document.activeElement === toggle).toBe(
      true,
    );
    expect((screen.getByTestId('workspace-select') as HTMLSelectElement).value).toBe('Work');
  });
});

describe('workspaces', () => {
  it('switches workspace and remembers the choice', async () => {
    await renderWith([connector({ name: 'Docs' })]);
    await fireEvent.change(screen.getByTestId('workspace-select'), { target: { value: 'Work' } });

    await screen.findByRole('heading', { name: 'No connectors yet' });
    expect(calls('list_connectors').at(-1)).toEqual({ workspace: 'Work' });
    expect(localStorage.getItem('patchbay.workspace')).toBe('Work');
  });

  it('opens the workspace chosen last time', async () => {
    localStorage.setItem('patchbay.workspace', 'Work');
    await renderWith([]);
    expect(calls('list_connectors')).toEqual([{ workspace: 'Work' }]);
  });

  it('creates a workspace from the menu and switches to it', async () => {
    await renderWith([], { add_workspace: (args) => workspace(String(args.name)) });
    await fireEvent.click(screen.getByTestId('workspace-menu'));
    const menu = screen.getByRole('menu');
    expect(document.activeElement).toBe(within(menu).getAllByRole('menuitem')[0]);
    await fireEvent.click(within(menu).getByRole('menuitem', { name: /New workspace/ }));

    await type(screen.getByTestId('field-workspace-name'), 'Personal');
    await fireEvent.click(screen.getByTestId('save-workspace'));

    await waitFor(() =>
      expect((screen.getByTestId('workspace-select') as HTMLSelectElement).value).toBe('Personal'),
    );
    expect(calls('add_workspace')).toEqual([{ name: 'Personal' }]);
    expect(calls('list_connectors').at(-1)).toEqual({ workspace: 'Personal' });
    expect(localStorage.getItem('patchbay.workspace')).toBe('Personal');
  });

  it('renames the current workspace', async () => {
    await renderWith([], {
      rename_workspace: (args) => workspace(String(args.newName)),
    });
    await fireEvent.click(screen.getByTestId('workspace-menu'));
    await fireEvent.click(screen.getByRole('menuitem', { name: /Rename/ }));
    await type(screen.getByTestId('field-workspace-name'), 'Main');
    await fireEvent.click(screen.getByTestId('save-workspace'));

    await waitFor(() =>
      expect((screen.getByTestId('workspace-select') as HTMLSelectElement).value).toBe('Main'),
    );
    expect(calls('rename_workspace')).toEqual([{ oldName: 'Default', newName: 'Main' }]);
  });

  it('deletes a workspace after saying its connectors and secrets go with it', async () => {
    await renderWith([connector({ name: 'A' }), connector({ name: 'B' })], {
      remove_workspace: () => null,
    });
    await fireEvent.click(screen.getByTestId('workspace-menu'));
    await fireEvent.click(screen.getByRole('menuitem', { name: /Delete/ }));

    const dialog = screen.getByRole('alertdialog', { name: 'Delete workspace “Default”?' });
    expect(dialog.textContent).toContain('2 connectors');
    expect(dialog.textContent).toContain('secrets');
    await fireEvent.click(screen.getByTestId('confirm-delete-workspace'));

    await waitFor(() =>
      expect((screen.getByTestId('workspace-select') as HTMLSelectElement).value).toBe('Work'),
    );
    expect(calls('remove_workspace')).toEqual([{ name: 'Default' }]);
  });

  it('shows a failed workspace command inline', async () => {
    await renderWith([], {
      add_workspace: () => {
        throw ipcError({ code: 'InvalidInput', message: 'A workspace named “Work” already exists.' });
      },
    });
    await fireEvent.click(screen.getByTestId('workspace-menu'));
    await fireEvent.click(screen.getByRole('menuitem', { name: /New workspace/ }));
    await type(screen.getByTestId('field-workspace-name'), 'Work');
    await fireEvent.click(screen.getByTestId('save-workspace'));

    expect((await screen.findByTestId('workspace-error')).textContent).toContain(
      'A workspace named “Work” already exists.',
    );
  });
});
