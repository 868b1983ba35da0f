// The Settings page as a user meets it, against a fake Rust side (test-support.ts).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type AppSettingsWithNetwork, sameProxy } from './lib/settings';
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

/**
 * A Rust side that stores what it is sent and answers it, as `save_settings` does: new proxy
 * credentials are kept for an explicit proxy, and a changed proxy drops the stored ones.
 */
function storing(initial: AppSettingsWithNetwork): Backend {
  let stored = initial;
  return {
    get_settings: () => ({ ...stored }),
    save_settings: (args) => {
      const next = args.settings as AppSettingsWithNetwork;
      const kept = sameProxy(next.proxy, stored.proxy) && stored.proxy_credentials_set;
      const credentials = typeof args.proxyCredentials === 'string' && args.proxyCredentials !== '';
      stored = {
        ...next,
        proxy_credentials_set: next.proxy.mode === 'explicit' && (credentials || kept),
      };
      return { ...stored };
    },
  };
}

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUQ29ycCBSb290IENBMB4XDTI0MDEwMTAwMDAwMFoXDTM0',
  '-----END CERTIFICATE-----',
  '',
].join('\n');

/** Chooses a file in the CA's file chooser, as the person does. */
async function chooseCaFile(name: string, content: string) {
  const file = new File([content], name, { type: 'application/x-pem-file' });
  await fireEvent.change(byTestId('settings-ca-file'), { target: { files: [file] } });
}

/** The settings sent with the first `save_settings`, and the credentials sent beside them. */
function firstSave(): { settings: AppSettingsWithNetwork; proxyCredentials: unknown } {
  const call = calls('save_settings')[0];
  if (!call) throw new Error('nothing was saved');
  return {
    settings: call.settings as AppSettingsWithNetwork,
    proxyCredentials: call.proxyCredentials,
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
    expect(text('settings-page')).toContain(
      'A connector’s own timeouts, proxy or certificate authority (in its Edit dialog’s Network section) win',
    );

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
        proxy: { mode: 'system' },
        proxy_credentials_set: false,
        ca_pem: null,
      },
      proxyCredentials: null,
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

describe('the proxy for connectors without their own', () => {
  it('sends a custom proxy in the settings and its user name and password apart', async () => {
    await renderSettings(storing(appSettings()));

    expect(input('settings-proxy-mode-system').checked).toBe(true);
    expect(text('settings-proxy-help')).toContain('HTTPS_PROXY');
    expect(screen.queryByTestId('settings-proxy-url'), 'no URL for the system’s proxy').toBeNull();
    await fireEvent.click(byTestId('settings-proxy-mode-explicit'));
    await type(byTestId('settings-proxy-url'), 'http://proxy.corp.example:3128');
    await type(byTestId('settings-proxy-user'), 'ada');
    await type(byTestId('settings-proxy-password'), 's3cret');
    expect(input('settings-proxy-password').type, 'the password is masked').toBe('password');
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    const { settings, proxyCredentials } = firstSave();
    expect(settings.proxy).toEqual({ mode: 'explicit', url: 'http://proxy.corp.example:3128' });
    expect(proxyCredentials).toBe('ada:s3cret');
    expect(JSON.stringify(settings), 'no credentials inside the settings').not.toContain('s3cret');
    expect(await screen.findByText('Settings saved')).toBeTruthy();
    expect(input('settings-proxy-user').value, 'typed credentials are not kept on screen').toBe('');
    expect(input('settings-proxy-password').value).toBe('');
    expect(text('settings-proxy-credentials-help')).toContain(
      'Credentials stored — leave empty to keep them.',
    );
  });

  it('refuses credentials in the proxy URL at the field and sends nothing', async () => {
    await renderSettings(storing(appSettings()));

    await fireEvent.click(byTestId('settings-proxy-mode-explicit'));
    await type(byTestId('settings-proxy-url'), 'http://ada:s3cret@proxy.corp.example:3128');
    await fireEvent.blur(byTestId('settings-proxy-url'));

    const message = 'Put the user name and password in the fields below, not in the URL.';
    expect(screen.getByText(message)).toBeTruthy();
    expect(input('settings-proxy-url').getAttribute('aria-invalid')).toBe('true');
    await fireEvent.click(byTestId('settings-save'));
    expect(calls('save_settings'), 'Rust never sees it').toEqual([]);
    expect(document.activeElement, 'focus goes to the URL to fix').toBe(
      byTestId('settings-proxy-url'),
    );
  });

  it('refuses a password without a user name, and an empty URL, once Save is pressed', async () => {
    await renderSettings(storing(appSettings()));

    await fireEvent.click(byTestId('settings-proxy-mode-explicit'));
    await type(byTestId('settings-proxy-password'), 's3cret');
    await fireEvent.click(byTestId('settings-save'));

    expect(screen.getByText(/Enter the proxy’s URL/)).toBeTruthy();
    expect(screen.getByText('Enter the user name that goes with this password.')).toBeTruthy();
    expect(calls('save_settings')).toEqual([]);
  });

  it('goes back to the system’s proxy, and says the stored credentials go', async () => {
    await renderSettings(
      storing(
        appSettings({
          proxy: { mode: 'explicit', url: 'http://proxy.corp.example:3128' },
          proxy_credentials_set: true,
        }),
      ),
    );

    expect(input('settings-proxy-mode-explicit').checked).toBe(true);
    expect(input('settings-proxy-url').value).toBe('http://proxy.corp.example:3128');
    await fireEvent.click(byTestId('settings-proxy-mode-system'));
    expect(text('settings-proxy-help')).toContain('stored credentials will be dropped');
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    const { settings, proxyCredentials } = firstSave();
    expect(settings.proxy).toEqual({ mode: 'system' });
    expect(proxyCredentials).toBeNull();
    await screen.findByText('Settings saved');
    expect(input('settings-proxy-mode-system').checked).toBe(true);
  });

  it('sends no proxy at all when No proxy is chosen', async () => {
    await renderSettings(storing(appSettings()));

    await fireEvent.click(byTestId('settings-proxy-mode-direct'));
    expect(text('settings-proxy-help')).toContain('Straight to each server');
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect(firstSave().settings.proxy).toEqual({ mode: 'direct' });
  });

  it('says stored credentials are kept when left empty, and keeps them on another change', async () => {
    await renderSettings(
      storing(
        appSettings({
          proxy: { mode: 'explicit', url: 'http://proxy.corp.example:3128' },
          proxy_credentials_set: true,
        }),
      ),
    );

    expect(text('settings-proxy-credentials-help')).toContain(
      'Credentials stored — leave empty to keep them.',
    );
    expect(input('settings-proxy-user').placeholder).toBe('(unchanged)');
    await fireEvent.click(input('settings-notifications'));
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    const { settings, proxyCredentials } = firstSave();
    expect(proxyCredentials, 'nothing typed: the stored ones stay').toBeNull();
    expect(settings.proxy_credentials_set, 'sent back as read').toBe(true);
    expect(settings.proxy).toEqual({ mode: 'explicit', url: 'http://proxy.corp.example:3128' });

    await type(byTestId('settings-proxy-url'), 'http://other.corp.example:8080');
    expect(text('settings-proxy-credentials-help')).toContain(
      'A different proxy: its stored credentials will be dropped.',
    );
  });
});

describe('the extra certificate authority for connectors without their own', () => {
  it('reads a chosen file, counts its certificates and sends it', async () => {
    await renderSettings(storing(appSettings()));

    expect(screen.queryByTestId('settings-ca-count')).toBeNull();
    expect(screen.queryByTestId('settings-ca-remove'), 'nothing to remove yet').toBeNull();
    const chooser = input('settings-ca-file');
    expect(chooser.accept).toBe('.pem,.crt,.cer');
    await chooseCaFile('corp-root.pem', PEM);

    await waitFor(() => expect(text('settings-ca-count')).toContain('1 certificate from corp-root.pem'));
    expect((byTestId('settings-ca-pem') as HTMLTextAreaElement).value).toBe(PEM);
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect(firstSave().settings.ca_pem).toBe(PEM);
    await screen.findByText('Settings saved');
    expect(text('settings-ca-count')).toContain('1 certificate');
  });

  it('counts pasted certificates', async () => {
    await renderSettings(storing(appSettings()));

    await type(byTestId('settings-ca-pem'), PEM + PEM);
    expect(text('settings-ca-count')).toContain('2 certificates');
  });

  it('refuses what is not a PEM certificate at the field and sends nothing', async () => {
    await renderSettings(storing(appSettings()));

    await chooseCaFile('root.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    expect(
      await screen.findByText(
        'That is a private key: choose the certificate authority’s certificate instead.',
      ),
    ).toBeTruthy();
    expect(byTestId('settings-ca-pem').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('settings-ca-count')).toBeNull();
    await fireEvent.click(byTestId('settings-save'));
    expect(calls('save_settings')).toEqual([]);

    await type(byTestId('settings-ca-pem'), 'hello');
    await fireEvent.blur(byTestId('settings-ca-pem'));
    expect(screen.getByText(/That holds no PEM certificate/)).toBeTruthy();
    await fireEvent.click(byTestId('settings-save'));
    expect(calls('save_settings')).toEqual([]);
  });

  it('does not read a file larger than Rust takes', async () => {
    await renderSettings(storing(appSettings()));

    await chooseCaFile('huge.pem', PEM + 'x'.repeat(300 * 1024));
    expect(
      await screen.findByText(/huge\.pem is larger than 256 KiB, so it was not used/),
    ).toBeTruthy();
    expect((byTestId('settings-ca-pem') as HTMLTextAreaElement).value).toBe('');
    expect(button('settings-save').disabled, 'nothing changed').toBe(true);
  });

  it('sends no CA once the stored one is removed', async () => {
    await renderSettings(storing(appSettings({ ca_pem: PEM })));

    expect(text('settings-ca-count')).toContain('1 certificate');
    await fireEvent.click(byTestId('settings-ca-remove'));
    expect((byTestId('settings-ca-pem') as HTMLTextAreaElement).value).toBe('');
    expect(screen.queryByTestId('settings-ca-count')).toBeNull();
    expect(document.activeElement, 'focus stays in the section').toBe(byTestId('settings-ca-file'));
    await fireEvent.click(byTestId('settings-save'));

    await waitFor(() => expect(calls('save_settings')).toHaveLength(1));
    expect(firstSave().settings.ca_pem).toBeNull();
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
