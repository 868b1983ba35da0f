import { fireEvent, render, screen } from '@testing-library/svelte';
import { invoke } from '@tauri-apps/api/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import type { ConnectorView } from './lib/types';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const invokeMock = vi.mocked(invoke);

function connector(overrides: Partial<ConnectorView>): ConnectorView {
  return {
    id: crypto.randomUUID(),
    workspace: 'Default',
    name: 'Docs',
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

describe('Connectors page', () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it('shows a loading state while the connectors are being read', () => {
    invokeMock.mockReturnValue(new Promise(() => {}));
    render(App);

    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(
      'Patchbay — MCP Connectors',
    );
    expect(screen.getByRole('status').textContent).toContain('Loading connectors');
    expect(invokeMock).toHaveBeenCalledWith('list_connectors', { workspace: 'Default' });
  });

  it('invites adding a connector when the workspace has none', async () => {
    invokeMock.mockResolvedValue([]);
    render(App);

    expect(await screen.findByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
    expect(screen.queryByRole('list'), 'an empty workspace must not render an empty list').toBeNull();
  });

  it('lists each connector with its URL, auth and status', async () => {
    invokeMock.mockResolvedValue([
      connector({ name: 'Docs', status: 'connected' }),
      connector({
        name: 'Tracker',
        url: 'https://tracker.example.com/mcp',
        auth: 'oauth',
        status: 'needs_auth',
        last_error: 'HTTP 401',
      }),
    ]);
    render(App);

    const items = await screen.findAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain('Docs');
    expect(items[0]?.textContent).toContain('https://docs.example.com/mcp');
    expect(items[0]?.textContent).toContain('Connected');
    expect(items[1]?.textContent).toContain('OAuth');
    expect(items[1]?.textContent).toContain('Needs authentication');
  });

  it('shows the error code and message, and retries on request', async () => {
    invokeMock.mockRejectedValueOnce({
      code: 'KeychainUnavailable',
      message: 'Secure storage is unavailable: start a Secret Service such as gnome-keyring.',
    });
    render(App);

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Secure storage is unavailable');
    expect(alert.textContent, 'the code tells the user what kind of failure it is').toContain(
      'KeychainUnavailable',
    );

    invokeMock.mockResolvedValueOnce([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'No connectors yet' })).toBeTruthy();
    expect(invokeMock).toHaveBeenCalledTimes(2);
  });
});
