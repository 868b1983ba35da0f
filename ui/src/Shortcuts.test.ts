// The app menu and the keyboard shortcuts, against a fake Rust side (test-support.ts).
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  calls,
  connector,
  ipcError,
  openWorkbench,
  renderSteps,
  renderWith,
  renderWorkbench,
  resetTauri,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

const docs = connector({ name: 'Docs', status: 'connected' });
const quits = { quit_app: () => null };

/** Presses `key` on whatever has focus (the page itself without); false if the page took it. */
async function press(
  key: string,
  modifiers: { ctrl?: boolean; shift?: boolean } = {},
): Promise<boolean> {
  const target = document.activeElement ?? document.body;
  return fireEvent.keyDown(target, {
    key,
    ctrlKey: modifiers.ctrl ?? false,
    shiftKey: modifiers.shift ?? false,
  });
}

/** Lets the work a key started run (it may wait a tick for the page to show). */
async function settled() {
  await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('the app menu', () => {
  it('offers Settings, the shortcuts and Quit', async () => {
    await renderWith([docs], quits);

    const menuButton = screen.getByTestId('app-menu');
    expect(menuButton.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(menuButton);
    expect(screen.getByRole('menu', { name: 'Patchbay' })).toBeTruthy();
    await fireEvent.click(screen.getByTestId('menu-settings'));
    expect(screen.queryByRole('menu'), 'choosing closes the menu').toBeNull();
    await waitFor(() => expect(screen.getByTestId('settings-page')).toBeTruthy());
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');

    await fireEvent.click(menuButton);
    await fireEvent.click(screen.getByTestId('menu-shortcuts'));
    expect(screen.getByTestId('shortcuts-overlay')).toBeTruthy();
    await fireEvent.keyDown(screen.getByTestId('shortcuts-overlay'), { key: 'Escape' });
    expect(screen.queryByTestId('shortcuts-overlay')).toBeNull();

    await fireEvent.click(menuButton);
    await fireEvent.click(screen.getByTestId('menu-quit'));
    await waitFor(() => expect(calls('quit_app')).toEqual([{}]));
  });

  it('moves with the arrow keys and closes on Escape, back on its button', async () => {
    await renderWith([docs], quits);
    const menuButton = screen.getByTestId('app-menu');

    await fireEvent.keyDown(menuButton, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('menu-settings')));
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(screen.getByTestId('menu-quit'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(menuButton);
  });

  it('says so when Quit fails', async () => {
    await renderWith([docs], {
      quit_app: () => {
        throw ipcError({ message: 'the monitor would not stop' });
      },
    });

    await fireEvent.click(screen.getByTestId('app-menu'));
    await fireEvent.click(screen.getByTestId('menu-quit'));
    expect(await screen.findByText('Couldn’t quit Patchbay')).toBeTruthy();
  });
});

describe('keyboard shortcuts', () => {
  it('Ctrl+Q quits from anywhere, even while typing', async () => {
    await renderWith([docs], quits);

    expect(await press('q', { ctrl: true }), 'the key is taken').toBe(false);
    await waitFor(() => expect(calls('quit_app')).toHaveLength(1));

    screen.getByTestId('connector-search').focus();
    await press('q', { ctrl: true });
    await waitFor(() => expect(calls('quit_app')).toHaveLength(2));
  });

  it('Ctrl+, opens Settings, even while typing', async () => {
    await renderWith([docs]);

    screen.getByTestId('connector-search').focus();
    await press(',', { ctrl: true });
    await waitFor(() => expect(screen.getByTestId('settings-page')).toBeTruthy());
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');
  });

  it('? and Ctrl+/ show the shortcuts; Escape closes them', async () => {
    await renderWith([docs]);

    await press('?', { shift: true });
    const overlay = await screen.findByTestId('shortcuts-overlay');
    expect(overlay.getAttribute('role')).toBe('dialog');
    expect(overlay.textContent).toContain('Quit Patchbay');
    expect(overlay.textContent).toContain('Check all connectors');
    await press('Escape');
    expect(screen.queryByTestId('shortcuts-overlay')).toBeNull();

    await press('/', { ctrl: true });
    expect(await screen.findByTestId('shortcuts-overlay')).toBeTruthy();
  });

  it('Ctrl+N opens the Add dialog, from the Steps page too', async () => {
    await renderSteps([docs]);

    await press('n', { ctrl: true });
    expect(await screen.findByRole('dialog', { name: 'Add connector' })).toBeTruthy();
    expect(screen.getByTestId('nav-connectors').getAttribute('aria-current')).toBe('page');

    await press('n', { ctrl: true });
    await settled();
    expect(
      screen.getAllByRole('dialog', { name: 'Add connector' }),
      'a dialog keeps its keys: no second one',
    ).toHaveLength(1);
  });

  it('Ctrl+N leaves a connector’s workbench for the Add dialog', async () => {
    await renderWorkbench([docs]);
    await openWorkbench('Docs');

    await press('n', { ctrl: true });
    expect(await screen.findByRole('dialog', { name: 'Add connector' })).toBeTruthy();
    expect(screen.queryByTestId('connector-detail')).toBeNull();
  });

  it('Ctrl+R and F5 check all connectors instead of reloading the window', async () => {
    await renderWith([docs, connector({ name: 'Wiki' })]);

    expect(await press('r', { ctrl: true }), 'no reload').toBe(false);
    await waitFor(() => expect(calls('check_now')).toEqual([{ connectorId: null }]));
    expect(screen.getByTestId('check-all').textContent).toContain('Checking…');

    expect(await press('F5'), 'no reload').toBe(false);
    await settled();
    expect(calls('check_now'), 'one check at a time, as the button').toHaveLength(1);
  });

  it('Ctrl+F finds the connector search', async () => {
    await renderSteps([docs]);

    await press('f', { ctrl: true });
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByTestId('connector-search')),
    );
  });

  it('leaves keys to a field being typed in, but never reloads', async () => {
    await renderWith([docs]);
    const search = screen.getByTestId('connector-search');
    search.focus();

    expect(await press('?', { shift: true }), '"?" is typed').toBe(true);
    expect(await press('n', { ctrl: true })).toBe(true);
    expect(await press('r', { ctrl: true }), 'a reload is still stopped').toBe(false);
    await settled();

    expect(screen.queryByTestId('shortcuts-overlay')).toBeNull();
    expect(screen.queryByRole('dialog', { name: 'Add connector' })).toBeNull();
    expect(calls('check_now'), 'Ctrl+R in a field checks nothing').toEqual([]);
  });
});
