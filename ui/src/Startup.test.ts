// The window's start: the connector list paints with the main chunk's code alone, and what it
// does not need (Rust's saved theme, the other pages' and dialogs' code) comes after it.
// The first test must stay first: it sees the deferred code not loaded yet (each test file has
// its own modules; later tests find it loaded).
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { lazyPages } from './lib/deferred.svelte';
import {
  appSettings,
  calls,
  connector,
  deferred,
  ipcError,
  resetTauri,
  row,
  standardBackend,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
  document.documentElement.removeAttribute('data-theme');
});

describe('the start', () => {
  it('paints the list first; then reads the theme and loads the other pages', async () => {
    standardBackend([connector({ name: 'Docs' })], {
      get_settings: () => appSettings({ theme: 'dark' }),
    });
    render(App);
    await waitFor(() => expect(row('Docs')).toBeTruthy());

    expect(calls('get_settings'), 'the theme is read once the list has painted').toEqual([]);
    expect(lazyPages.settingsPage.component, 'Settings’ code is not needed yet').toBeNull();
    expect(lazyPages.connectorDialog.component, 'nor the Add dialog’s').toBeNull();

    // Opened before its code is there: a spinner, then the page.
    await fireEvent.click(screen.getByTestId('nav-settings'));
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('status').textContent).toContain('Loading…');
    // (The first import of a module in a test compiles it: seconds, not the window's milliseconds.)
    expect(await screen.findByTestId('settings-page', {}, { timeout: 10_000 })).toBeTruthy();

    await waitFor(() => expect(document.documentElement.getAttribute('data-theme')).toBe('dark'));
    await waitFor(
      () => {
        for (const [name, lazy] of Object.entries(lazyPages)) {
          expect(lazy.component, `${name} is preloaded`).not.toBeNull();
        }
      },
      { timeout: 10_000 },
    );
  });

  it('reads the theme when the workspaces can’t be read', async () => {
    standardBackend([], {
      list_workspaces: () => {
        throw ipcError({ code: 'Internal', message: 'The store is locked.' });
      },
      get_settings: () => appSettings({ theme: 'light' }),
    });
    render(App);

    expect((await screen.findByRole('alert')).textContent).toContain('The store is locked.');
    await waitFor(() => expect(document.documentElement.getAttribute('data-theme')).toBe('light'));
  });

  it('reads the theme when the connectors can’t be read', async () => {
    standardBackend([], {
      list_connectors: () => {
        throw ipcError({ code: 'KeychainUnavailable', message: 'Secure storage is unavailable.' });
      },
      get_settings: () => appSettings({ theme: 'dark' }),
    });
    render(App);

    expect((await screen.findByRole('alert')).textContent).toContain('Secure storage');
    await waitFor(() => expect(document.documentElement.getAttribute('data-theme')).toBe('dark'));
  });

  it('reads the theme when there is no workspace', async () => {
    standardBackend([], {
      list_workspaces: () => [],
      get_settings: () => appSettings({ theme: 'dark' }),
    });
    render(App);

    expect(await screen.findByRole('heading', { name: 'No workspace' })).toBeTruthy();
    await waitFor(() => expect(document.documentElement.getAttribute('data-theme')).toBe('dark'));
    expect(calls('get_settings')).toHaveLength(1);
  });

  it('keeps a theme previewed on Settings while the saved one was being read', async () => {
    const startRead = deferred<ReturnType<typeof appSettings>>();
    standardBackend([], {
      get_settings: () => (calls('get_settings').length === 1 ? startRead.promise : appSettings()),
    });
    render(App);
    await screen.findByRole('heading', { name: 'No connectors yet' });
    await waitFor(() => expect(calls('get_settings')).toHaveLength(1));

    await fireEvent.click(screen.getByTestId('nav-settings'));
    await screen.findByTestId('settings-page', {}, { timeout: 10_000 });
    await waitFor(() => expect(screen.queryByText('Reading your settings…')).toBeNull());
    await fireEvent.click(screen.getByTestId('settings-theme-dark'));
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    startRead.resolve(appSettings({ theme: 'light' }));
    await startRead.promise;
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(document.documentElement.getAttribute('data-theme'), 'the preview stays').toBe('dark');
  });

  it('opens the Add dialog at once when its code is loaded', async () => {
    standardBackend([]);
    render(App);
    await screen.findByRole('heading', { name: 'No connectors yet' });
    await waitFor(() => expect(lazyPages.connectorDialog.component).not.toBeNull());

    await fireEvent.click(screen.getByTestId('add-connector'));
    const dialog = screen.getByRole('dialog', { name: 'Add connector' });
    expect(within(dialog).getByTestId('field-name')).toBeTruthy();
  });
});
