// The Settings page as a user meets it, against a fake Rust side (test-support.ts).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppSettings } from './lib/types';
import {
  appInformation,
  appSettings,
  type Backend,
  calls,
  deferred,
  ipcError,
  renderWith,
  resetTauri,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
  document.documentElement.removeAttribute('data-theme');
});

const byTestId = (id: string) => screen.getByTestId(id);
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const button = (id: string) => screen.getByTestId(id) as HTMLButtonElement;
/** The words of an element as they read, whatever the line breaks in the markup. */
const text = (id: string) => (screen.getByTestId(id).textContent ?? '').replace(/\s+/g, ' ');

/** A Rust side that stores what it is sent and answers it, as `save_settings` does. */
function storing(initial: AppSettings): Backend {
  let stored = initial;
  return {
    get_settings: () => ({ ...stored }),
    save_settings: (args) => {
      stored = { ...(args.settings as AppSettings) };
      return { ...stored };
    },
  };
}

/** The window with `extra` behind it, on the Settings page once the settings are read. */
async function renderSettings(extra: Backend = {}) {
  await renderWith([], { open_folder: () => null, ...extra });
  await fireEvent.click(byTestId('nav-settings'));
  await waitFor(() => {
    expect(byTestId('settings-page')).toBeTruthy();
    expect(screen.queryByText('Reading your settings…')).toBeNull();
  });
}

describe('the Settings page', () => {
  it('sits beside Connectors and Steps and shows the stored settings', async () => {
    await renderSettings({
      get_settings: () =>
        appSettings({
          monitor_interval_secs: 300,
          notifications: false,
          theme: 'dark',
          connect_timeout_secs: 15,
          request_timeout_secs: 120,
        }),
    });

    expect(byTestId('nav-settings').getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'MCP Connectors' }), 'Connectors is hidden').toBeNull();
    expect((byTestId('settings-monitor-interval') as HTMLSelectElement).value).toBe('300');
    expect(input('settings-notifications').checked).toBe(false);
    expect(input('settings-theme-dark').checked).toBe(true);
    expect(input('settings-theme-system').checked).toBe(false);
    expect(input('settings-connect-timeout').value).toBe('15');
    expect(input('settings-request-timeout').value).toBe('120');
    expect(button('settings-save').disabled, 'nothing changed yet').toBe(true);
    expect(button('settings-revert').disabled).toBe(true);
    expect(text('settings-page')).toContain('A connector’s own timeouts (in its Edit dialog) win');

    await fireEvent.click(byTestId('nav-connectors'));
    expect(screen.getByRole('heading', { level: 1, name: 'MCP Connectors' })).toBeTruthy();
  });

  it('shows an interval that is not a preset as a custom number of seconds', async () => {
    await renderSettings({ get_settings: () => appSettings({ monitor_interval_secs: 90 }) });

    expect((byTestId('settings-monitor-interval') as HTMLSelectElement).value).toBe('custom');
    expect(input('settings-monitor-interval-custom').value).toBe('90');
    expect(byTestId('settings-page').textContent).toContain('every 90 seconds');
  });

  it('enables Save on a change and sends the whole object, keeping what it does not show', async () => {
    await renderSettings(storing(appSettings({ tray_notice_shown: true })));

    await fireEvent.change(byTestId('settings-monitor-interval'), { target: { value: '900' } });
    expect(button('settings-save').disabled).toBe(false);
    expect(text('settings-page')).not.toContain('No unsaved changes');
    expect(text('settings-page')).toContain('Unsaved changes');
    await fireEvent.click(input('settings-notifications'));
    await type(byTestId('settings-request-timeout'), '45');
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect(calls('save_settings')[0]).toEqual({
      settings: {
        monitor_interval_secs: 900,
        notifications: false,
        theme: 'system',
        connect_timeout_secs: 10,
        request_timeout_secs: 45,
        tray_notice_shown: true,
      },
    });
    expect(await screen.findByText('Settings saved')).toBeTruthy();
    expect(button('settings-save').disabled, 'saved: nothing left to save').toBe(true);
    expect(text('settings-page')).toContain('No unsaved changes');
  });

  it('takes a custom interval typed in seconds', async () => {
    await renderSettings(storing(appSettings()));

    await fireEvent.change(byTestId('settings-monitor-interval'), { target: { value: 'custom' } });
    const custom = input('settings-monitor-interval-custom');
    expect(custom.value, 'starts from the preset it replaces').toBe('60');
    expect(button('settings-save').disabled, 'the same interval is no change').toBe(true);
    await type(custom, '7200');
    expect(byTestId('settings-page').textContent).toContain('every 2 hours');
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect((calls('save_settings')[0]?.settings as AppSettings).monitor_interval_secs).toBe(7200);
  });

  it('refuses values out of range at the field and sends nothing', async () => {
    await renderSettings(storing(appSettings()));

    await type(byTestId('settings-connect-timeout'), '0');
    await fireEvent.blur(byTestId('settings-connect-timeout'));
    expect(screen.getByText('Enter at least 1 second.')).toBeTruthy();
    expect(input('settings-connect-timeout').getAttribute('aria-invalid')).toBe('true');

    await type(byTestId('settings-request-timeout'), '3601');
    await fireEvent.change(byTestId('settings-monitor-interval'), { target: { value: 'custom' } });
    await type(byTestId('settings-monitor-interval-custom'), '5');
    await fireEvent.click(byTestId('settings-save'));

    expect(screen.getByText('Enter at most 3600 seconds (1 hour).')).toBeTruthy();
    expect(screen.getByText('Enter at least 10 seconds.')).toBeTruthy();
    expect(document.activeElement, 'focus goes to the first field to fix').toBe(
      byTestId('settings-monitor-interval-custom'),
    );
    expect(calls('save_settings'), 'nothing out of range reaches Rust').toEqual([]);

    await type(byTestId('settings-connect-timeout'), 'ten');
    expect(screen.getByText('Enter whole seconds (digits only).')).toBeTruthy();
    expect(calls('save_settings')).toEqual([]);
  });

  it('shows Rust’s refusal and keeps the changes', async () => {
    await renderSettings({
      save_settings: () => {
        throw ipcError({
          code: 'InvalidInput',
          message: 'the request timeout must be at least the connect timeout',
        });
      },
    });

    await type(byTestId('settings-request-timeout'), '5');
    await fireEvent.click(byTestId('settings-save'));

    const error = await screen.findByTestId('settings-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Couldn’t save the settings');
    expect(error.textContent).toContain('The request timeout must be at least the connect timeout');
    expect(input('settings-request-timeout').value, 'the change is kept to fix').toBe('5');
    expect(button('settings-save').disabled).toBe(false);
    expect(screen.queryByText('Settings saved')).toBeNull();
  });

  it('says it is saving and saves once', async () => {
    const answer = deferred<AppSettings>();
    await renderSettings({ save_settings: () => answer.promise });

    await fireEvent.click(input('settings-notifications'));
    await fireEvent.click(byTestId('settings-save'));
    expect(button('settings-save').textContent).toContain('Saving…');
    expect(button('settings-save').disabled).toBe(true);
    await fireEvent.click(byTestId('settings-save'));
    answer.resolve(appSettings({ notifications: false }));

    expect(await screen.findByText('Settings saved')).toBeTruthy();
    expect(calls('save_settings')).toHaveLength(1);
  });

  it('puts back what is stored on Revert', async () => {
    await renderSettings(storing(appSettings()));

    await fireEvent.change(byTestId('settings-monitor-interval'), { target: { value: '30' } });
    await type(byTestId('settings-connect-timeout'), '999');
    await fireEvent.click(byTestId('settings-revert'));

    expect((byTestId('settings-monitor-interval') as HTMLSelectElement).value).toBe('60');
    expect(input('settings-connect-timeout').value).toBe('10');
    expect(screen.queryByText(/Enter at most/), 'errors of the reverted values go too').toBeNull();
    expect(button('settings-save').disabled).toBe(true);
    expect(calls('save_settings')).toEqual([]);
  });

  it('keeps unsaved changes while another page is shown, and reads the settings again', async () => {
    await renderSettings(storing(appSettings()));
    expect(calls('get_settings')).toHaveLength(2); // the theme at start, then the page

    await type(byTestId('settings-connect-timeout'), '20');
    await fireEvent.click(byTestId('nav-connectors'));
    await fireEvent.click(byTestId('nav-settings'));

    await waitFor(() => expect(calls('get_settings')).toHaveLength(3));
    expect(input('settings-connect-timeout').value).toBe('20');
    expect(button('settings-save').disabled).toBe(false);
  });

  it('says so when the settings can’t be read, and tries again', async () => {
    let fail = true;
    await renderWith([], {
      get_settings: () => {
        if (fail) throw ipcError({ code: 'Internal', message: 'settings.json is not JSON' });
        return appSettings();
      },
    });
    await fireEvent.click(byTestId('nav-settings'));

    const alert = await within(byTestId('settings-page')).findByRole('alert');
    expect(alert.textContent).toContain('Couldn’t read your settings');
    expect(alert.textContent).toContain('settings.json is not JSON');
    fail = false;
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(input('settings-connect-timeout').value).toBe('10'));
  });
});

describe('the theme', () => {
  it('shows at once when chosen, goes back on Revert, and stays once saved', async () => {
    await renderSettings(storing(appSettings()));
    const root = document.documentElement;
    expect(root.hasAttribute('data-theme'), 'System follows the OS').toBe(false);

    await fireEvent.click(byTestId('settings-theme-dark'));
    expect(root.getAttribute('data-theme'), 'a preview before Save').toBe('dark');
    expect(calls('save_settings')).toEqual([]);
    await fireEvent.click(byTestId('settings-revert'));
    expect(root.hasAttribute('data-theme')).toBe(false);

    await fireEvent.click(byTestId('settings-theme-light'));
    expect(root.getAttribute('data-theme')).toBe('light');
    await fireEvent.click(byTestId('settings-save'));
    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect((calls('save_settings')[0]?.settings as AppSettings).theme).toBe('light');
    await screen.findByText('Settings saved');
    expect(root.getAttribute('data-theme')).toBe('light');
    expect(localStorage.getItem('patchbay.theme'), 'the next launch paints in it first').toBe(
      'light',
    );

    await fireEvent.click(byTestId('settings-theme-system'));
    await fireEvent.click(byTestId('settings-save'));
    await waitFor(() => expect(calls('save_settings')).toHaveLength(2));
    await waitFor(() => expect(root.hasAttribute('data-theme')).toBe(false));
  });

  it('applies the saved theme when the window opens', async () => {
    await renderWith([], { get_settings: () => appSettings({ theme: 'dark' }) });

    await waitFor(() => expect(document.documentElement.getAttribute('data-theme')).toBe('dark'));
    expect(screen.queryByTestId('settings-page'), 'without opening Settings').toBeNull();
  });
});

describe('About', () => {
  it('shows the version, the folders as text and the tray note', async () => {
    await renderSettings();

    expect(byTestId('settings-version').textContent).toBe('0.4.2');
    expect(byTestId('settings-data-dir').textContent).toBe(
      '/home/ada/.local/share/dev.patchbay.desktop',
    );
    expect(byTestId('settings-log-dir').textContent).toBe(
      '/home/ada/.local/state/dev.patchbay.desktop/logs',
    );
    expect(text('settings-tray-note')).toContain(
      'Closing the window keeps Patchbay running in the tray',
    );
  });

  it('says closing quits when the desktop has no tray', async () => {
    await renderSettings({ app_info: () => appInformation({ tray: false }) });

    const note = text('settings-tray-note');
    expect(note).toContain('No tray on this desktop: closing the window quits Patchbay');
    expect(note).not.toContain('keeps Patchbay running');
  });

  it('opens the data and log folders', async () => {
    await renderSettings();

    await fireEvent.click(byTestId('settings-open-data'));
    await fireEvent.click(byTestId('settings-open-logs'));
    expect(calls('open_folder')).toEqual([{ which: 'data' }, { which: 'logs' }]);
  });

  it('says when a folder can’t be opened', async () => {
    await renderSettings({
      open_folder: () => {
        throw ipcError({ message: 'no file manager' });
      },
    });

    await fireEvent.click(byTestId('settings-open-logs'));
    expect(await screen.findByText('Couldn’t open the log folder')).toBeTruthy();
  });

  it('offers no Open for a folder the system does not know', async () => {
    await renderSettings({ app_info: () => appInformation({ data_dir: null }) });

    expect(byTestId('settings-data-dir').textContent).toContain('Not known');
    expect(button('settings-open-data').disabled).toBe(true);
    expect(button('settings-open-logs').disabled).toBe(false);
  });
});
