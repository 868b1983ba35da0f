// Install links (`dev.patchbay.desktop://connect?…`): the window asks Rust for the link a launch
// brought, and again each time the OS hands the running app one; the person confirms what would
// be added before anything is. Against a fake Rust side (test-support.ts).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS, type InstallOffer, type LinkOffer, type Saved } from './lib/types';
import {
  calls,
  connector,
  deferred,
  diagnosis,
  emit,
  ipcError,
  openAddDialog,
  renderSteps,
  renderWith,
  resetTauri,
  row,
  type Backend,
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

function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function offer(overrides: Partial<InstallOffer> = {}): LinkOffer {
  return {
    offer: {
      name: 'Example tools',
      url: 'https://mcp.example.com/v1/mcp?team=blue',
      host: 'mcp.example.com',
      auth: 'none',
      ...overrides,
    },
    refused: null,
  };
}

/** Rust keeps one link, handed out once; `send` puts another there, as the OS does. */
function linkBackend(first: LinkOffer | null, extra: Backend = {}) {
  let waiting = first;
  return {
    send(link: LinkOffer) {
      waiting = link;
      return emit(EVENTS.installOffer, null);
    },
    backend: {
      take_install_offer: () => {
        const link = waiting;
        waiting = null;
        return link;
      },
      ...extra,
    } satisfies Backend,
  };
}

async function installDialog(): Promise<HTMLElement> {
  return screen.findByTestId('install-dialog');
}

describe('an install link', () => {
  it('a launch brought is shown at start: name, server, URL with its host in bold, auth in words', async () => {
    const link = linkBackend(offer({ auth: 'token' }));
    await renderWith([], link.backend);
    const dialog = await installDialog();

    expect(within(dialog).getByRole('heading').textContent).toBe('Add a connector from a link?');
    expect(text(within(dialog).getByTestId('install-name'))).toBe('Example tools');
    expect(text(within(dialog).getByTestId('install-host'))).toBe('mcp.example.com');
    expect(text(dialog)).toContain('Server mcp.example.com');
    const url = within(dialog).getByTestId('install-url');
    expect(text(url)).toBe('https://mcp.example.com/v1/mcp?team=blue');
    expect(url.querySelector('strong')?.textContent, 'the host stands out in the URL').toBe(
      'mcp.example.com',
    );
    expect(text(within(dialog).getByTestId('install-auth'))).toBe(
      'Access token — you paste it in the next step',
    );
    expect(text(dialog)).toContain(
      'Only add servers you trust. Patchbay never accepts tokens in links.',
    );
    expect(text(within(dialog).getByTestId('install-confirm'))).toBe('Continue');
    expect(document.activeElement, 'Enter does not accept a link by accident').toBe(
      within(dialog).getByTestId('install-cancel'),
    );
    expect(calls('take_install_offer')).toHaveLength(1);
    expect(calls('add_connector'), 'nothing is added before the click').toEqual([]);
  });

  it('the OS hands the running app is shown, on the Connectors page', async () => {
    const link = linkBackend(null);
    await renderSteps([], link.backend);
    expect(screen.queryByTestId('install-dialog'), 'no link at start').toBeNull();

    await link.send(offer({ auth: 'oauth' }));

    const dialog = await installDialog();
    expect(calls('take_install_offer')).toHaveLength(2);
    expect(screen.getByTestId('nav-connectors').getAttribute('aria-current')).toBe('page');
    expect(text(within(dialog).getByTestId('install-auth'))).toBe(
      'OAuth — you sign in with the server in your browser',
    );
    expect(text(within(dialog).getByTestId('install-confirm'))).toBe('Continue to Authorize');
    expect(calls('add_connector')).toEqual([]);
    expect(calls('authorize_connector')).toEqual([]);
  });

  it('without auth is added by “Add connector”, which tests it first', async () => {
    const save = deferred<Saved>();
    const link = linkBackend(offer(), { add_connector: () => save.promise });
    await renderWith([], link.backend);
    const dialog = await installDialog();
    expect(text(within(dialog).getByTestId('install-auth'))).toBe(
      'None — the server answers without credentials',
    );

    await fireEvent.click(within(dialog).getByTestId('install-confirm'));
    expect(calls('add_connector')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Example tools',
          url: 'https://mcp.example.com/v1/mcp?team=blue',
          auth: 'none',
          token: null,
          headers: [],
        },
      },
    ]);
    expect(within(dialog).getByRole('status').textContent).toContain('Testing connection…');
    expect((within(dialog).getByTestId('install-cancel') as HTMLButtonElement).disabled).toBe(true);

    save.resolve({
      connector: connector({ name: 'Example tools', status: 'connected' }),
      diagnosis: diagnosis({ server_name: 'example', tool_count: 4 }),
    });
    await waitFor(() => expect(screen.queryByTestId('install-dialog')).toBeNull());
    expect(row('Example tools').dataset.status).toBe('connected');
    expect((await screen.findByTestId('toast')).textContent).toContain('Connected to example — 4 tools');
  });

  it('without auth that fails its test says why in the dialog and saves nothing', async () => {
    const failure = diagnosis({
      ok: false,
      stage: 'connect',
      http_status: null,
      detail: 'Connection refused (os error 111)',
      hint: 'Is the server running?',
    });
    const link = linkBackend(offer(), {
      add_connector: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'couldn’t connect to mcp.example.com',
          hint: failure.hint,
          diagnosis: failure,
        });
      },
    });
    await renderWith([], link.backend);
    const dialog = await installDialog();
    await fireEvent.click(within(dialog).getByTestId('install-confirm'));

    const error = await within(dialog).findByTestId('install-error');
    expect(text(error)).toContain('Connection failed');
    expect(text(error)).toContain('Couldn’t connect to mcp.example.com');
    expect(text(dialog)).toContain('Nothing was saved.');
    expect(text(within(dialog).getByTestId('install-confirm'))).toBe('Try again');
    expect(screen.getByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
  });

  it('with a token continues in the Add dialog, filled in, where the token is pasted', async () => {
    const link = linkBackend(offer({ auth: 'token' }), {
      add_connector: () => ({
        connector: connector({ name: 'Example tools', auth: 'token', token_set: true }),
        diagnosis: diagnosis({}),
      }),
    });
    await renderWith([], link.backend);
    await fireEvent.click(within(await installDialog()).getByTestId('install-confirm'));

    expect(screen.queryByTestId('install-dialog')).toBeNull();
    const dialog = screen.getByRole('dialog', { name: 'Add connector' });
    expect((within(dialog).getByTestId('field-name') as HTMLInputElement).value).toBe('Example tools');
    expect((within(dialog).getByTestId('field-url') as HTMLInputElement).value).toBe(
      'https://mcp.example.com/v1/mcp?team=blue',
    );
    expect((within(dialog).getByTestId('field-auth') as HTMLSelectElement).value).toBe('token');
    expect(text(within(dialog).getByTestId('from-link'))).toContain(
      'From an install link for mcp.example.com',
    );
    const token = within(dialog).getByTestId('field-token');
    expect(document.activeElement, 'the token is what is left to enter').toBe(token);
    expect(calls('add_connector')).toEqual([]);

    await type(token, 'sk-pasted');
    await fireEvent.click(within(dialog).getByTestId('save-connector'));
    expect(calls('add_connector')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Example tools',
          url: 'https://mcp.example.com/v1/mcp?team=blue',
          auth: 'token',
          token: 'sk-pasted',
          headers: [],
        },
      },
    ]);
  });

  it('with OAuth continues in the Add dialog at Authorize', async () => {
    const link = linkBackend(offer({ auth: 'oauth' }));
    await renderWith([], link.backend);
    await fireEvent.click(within(await installDialog()).getByTestId('install-confirm'));

    const dialog = screen.getByRole('dialog', { name: 'Add connector' });
    expect((within(dialog).getByTestId('field-auth') as HTMLSelectElement).value).toBe('oauth');
    expect(within(dialog).getByTestId('authorize')).toBeTruthy();
    expect(calls('authorize_connector'), 'signing in waits for Authorize').toEqual([]);
  });

  it('that was refused says why, as text, and only closes', async () => {
    const reason = 'the link has a parameter Patchbay does not know: "<img src=x onerror=alert(1)>"';
    const link = linkBackend({ offer: null, refused: reason });
    await renderWith([], link.backend);
    const dialog = await installDialog();

    expect(within(dialog).getByRole('heading').textContent).toBe('This install link was refused');
    expect(within(dialog).getByTestId('install-refused').textContent).toBe(
      'The link has a parameter Patchbay does not know: "<img src=x onerror=alert(1)>".',
    );
    expect(document.querySelector('img'), 'the reason is never markup').toBeNull();
    expect(within(dialog).queryByTestId('install-confirm')).toBeNull();
    expect(
      within(dialog)
        .getAllByRole('button')
        .map((button) => button.getAttribute('aria-label') ?? text(button)),
    ).toEqual(['Close', 'Close']);

    await fireEvent.click(within(dialog).getAllByRole('button', { name: 'Close' })[1]!);
    expect(screen.queryByTestId('install-dialog')).toBeNull();
  });

  it('cancelled adds nothing', async () => {
    const link = linkBackend(offer());
    await renderWith([], link.backend);
    await fireEvent.click(within(await installDialog()).getByTestId('install-cancel'));

    expect(screen.queryByTestId('install-dialog')).toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls('add_connector')).toEqual([]);
    expect(screen.getByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
  });

  it('waits for the dialog the person is in to close', async () => {
    const link = linkBackend(null);
    await renderWith([], link.backend);
    const add = await openAddDialog();
    await type(within(add).getByTestId('field-name'), 'Half typed');

    await link.send(offer());
    expect(screen.queryByTestId('install-dialog'), 'the form being typed stays').toBeNull();
    expect((within(add).getByTestId('field-name') as HTMLInputElement).value).toBe('Half typed');

    await fireEvent.click(within(add).getByRole('button', { name: 'Cancel' }));
    expect(text(await installDialog())).toContain('Example tools');
  });
});
