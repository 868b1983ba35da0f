// Step-up in the window: a server refused a request for lack of scope (403 insufficient_scope),
// so the connector needs authentication with the scope named. The row says why next to
// Re-authenticate, the dialog says which scopes the sign-in also asks for (`connector_step_up`),
// and scopes the server then leaves out (`not_granted`) come back as a warning toast. Rust is
// faked.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorView, Reauthorized, StepUpView } from './lib/types';
import {
  calls,
  connector,
  deferred,
  diagnosis,
  ipcError,
  renderWith,
  resetTauri,
  row,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

/** Core's message for a refusal that signing in again may cure. */
const STEP_UP_MESSAGE = 'needs more permissions: scope files:write — re-authenticate to grant them';

const drive = (overrides: Partial<ConnectorView> = {}) =>
  connector({
    name: 'Drive',
    url: 'https://mcp.drive.example/mcp',
    auth: 'oauth',
    status: 'needs_auth',
    last_error: STEP_UP_MESSAGE,
    ...overrides,
  });

/** The text as a person reads it: runs of white space are one space. */
function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function reauthorized(notGranted: string[]): Reauthorized {
  return {
    saved: {
      connector: drive({ status: 'connected', last_error: null }),
      diagnosis: diagnosis({ server_name: 'Drive MCP', tool_count: 4 }),
    },
    not_granted: notGranted,
  };
}

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

describe('a connector that needs more permissions', () => {
  it('says why next to Re-authenticate, as a sentence', async () => {
    await renderWith([drive()]);

    const button = within(row('Drive')).getByTestId('reauthorize-connector');
    const reasonId = button.getAttribute('aria-describedby');
    expect(reasonId, 'the button is described by the reason').toBeTruthy();
    const reason = document.getElementById(reasonId ?? '');
    expect(reason, 'the reason is on the page').toBeTruthy();
    expect(row('Drive').contains(reason), 'in the collapsed row itself').toBe(true);
    expect(reason?.closest('[hidden]'), 'visible, not in the hidden details').toBeNull();
    expect(text(reason!)).toBe(
      'Needs more permissions: scope files:write — re-authenticate to grant them',
    );
  });

  it('says what the sign-in also asks for, then warns about a scope the server left out', async () => {
    const result = deferred<Reauthorized>();
    await renderWith([drive()], {
      connector_step_up: (): StepUpView => ({ needed: ['files:write'], refused: [] }),
      reauthorize_connector: () => result.promise,
    });
    await fireEvent.click(within(row('Drive')).getByTestId('reauthorize-connector'));

    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Drive”' });
    expect(calls('connector_step_up')).toEqual([{ workspace: 'Default', name: 'Drive' }]);
    const notice = within(dialog).getByTestId('step-up-scopes');
    expect(text(notice)).toBe('Patchbay will also ask for: files:write');
    expect(
      within(dialog).getByTestId('authorize-waiting'),
      'the browser sign-in still starts at once',
    ).toBeTruthy();

    result.resolve(reauthorized(['files:write']));
    await waitFor(() => expect(screen.getAllByTestId('toast')).toHaveLength(2));
    const [connected, warning] = screen.getAllByTestId('toast');
    expect(text(connected!)).toContain('Connected to Drive MCP — 4 tools');
    expect(warning?.dataset.tone, 'a warning, not a success or an error').toBe('warning');
    expect(text(warning!)).toContain('The server did not grant: files:write');
    expect(row('Drive').dataset.status, 'the sign-in itself was saved').toBe('connected');
  });

  it('warns about nothing when the server granted every scope', async () => {
    await renderWith([drive()], {
      connector_step_up: (): StepUpView => ({ needed: ['files:write'], refused: [] }),
      reauthorize_connector: () => reauthorized([]),
    });
    await fireEvent.click(within(row('Drive')).getByTestId('reauthorize-connector'));

    await screen.findByTestId('toast');
    expect(screen.queryByRole('dialog')).toBeNull();
    const toasts = screen.getAllByTestId('toast');
    expect(toasts.map((toast) => toast.dataset.tone)).toEqual(['success']);
  });

  it('names a scope refused last time, which a chosen re-authentication asks for again', async () => {
    await renderWith([drive({ last_error: 'HTTP 401 Unauthorized' })], {
      connector_step_up: (): StepUpView => ({ needed: ['files:write'], refused: ['admin'] }),
      reauthorize_connector: () => deferred<Reauthorized>().promise,
    });
    await fireEvent.click(within(row('Drive')).getByTestId('reauthorize-connector'));

    const notice = await screen.findByTestId('step-up-scopes');
    expect(text(notice)).toBe(
      'Patchbay will also ask for: files:write, admin (the server did not grant admin last time)',
    );
  });

  it('says nothing extra without a step-up, or when it cannot be read', async () => {
    for (const stepUp of [
      () => ({ needed: [], refused: [] }),
      () => {
        throw ipcError({ code: 'Internal', message: 'the store is locked' });
      },
    ]) {
      resetTauri();
      document.body.innerHTML = '';
      await renderWith([drive({ last_error: 'HTTP 401 Unauthorized' })], {
        connector_step_up: stepUp,
        reauthorize_connector: () => deferred<Reauthorized>().promise,
      });
      await fireEvent.click(within(row('Drive')).getByTestId('reauthorize-connector'));

      const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Drive”' });
      await waitFor(() => expect(calls('reauthorize_connector')).toHaveLength(1));
      expect(within(dialog).queryByTestId('step-up-scopes')).toBeNull();
    }
  });

  it('says nothing of scopes when renewing a machine client', async () => {
    await renderWith([drive({ last_error: 'HTTP 401 Unauthorized' })], {
      oauth_client: () => ({
        client_id: 'drive-bot',
        method: 'client_credentials',
        machine: true,
        authentication: 'client_secret',
        issuer: 'https://auth.drive.example',
      }),
      connector_step_up: (): StepUpView => ({ needed: ['files:write'], refused: [] }),
    });
    await fireEvent.click(within(row('Drive')).getByTestId('reauthorize-connector'));

    const dialog = await screen.findByRole('dialog', { name: 'Re-authenticate “Drive”' });
    expect(within(dialog).getByTestId('machine-renewal')).toBeTruthy();
    expect(
      within(dialog).queryByTestId('step-up-scopes'),
      'a machine client is given scopes where it was issued, not by signing in',
    ).toBeNull();
  });
});
