import { describe, expect, it } from 'vitest';
import {
  type AppSettingsWithNetwork,
  changed,
  duration,
  every,
  hasSettingsErrors,
  LIMITS,
  settingsCredentials,
  settingsErrors,
  settingsFields,
  settingsFrom,
  validateSeconds,
  withNetwork,
} from './settings';
import type { AppSettings } from './types';

const stored: AppSettingsWithNetwork = {
  monitor_interval_secs: 60,
  notifications: true,
  theme: 'system',
  connect_timeout_secs: 10,
  request_timeout_secs: 30,
  tray_notice_shown: true,
  proxy: { mode: 'system' },
  proxy_credentials_set: false,
  ca_pem: null,
};

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('validateSeconds', () => {
  it('takes whole seconds within the limits, and says which limit is broken', () => {
    expect(validateSeconds('10', LIMITS.monitorInterval)).toBeNull();
    expect(validateSeconds(' 86400 ', LIMITS.monitorInterval)).toBeNull();
    expect(validateSeconds('9', LIMITS.monitorInterval)).toBe('Enter at least 10 seconds.');
    expect(validateSeconds('86401', LIMITS.monitorInterval)).toBe(
      'Enter at most 86400 seconds (1 day).',
    );
    expect(validateSeconds('0', LIMITS.connectTimeout)).toBe('Enter at least 1 second.');
    expect(validateSeconds('301', LIMITS.connectTimeout)).toBe(
      'Enter at most 300 seconds (5 minutes).',
    );
    expect(validateSeconds('1.5', LIMITS.requestTimeout)).toBe('Enter whole seconds (digits only).');
    expect(validateSeconds('-3', LIMITS.requestTimeout)).toBe('Enter whole seconds (digits only).');
    expect(validateSeconds('', LIMITS.requestTimeout)).toBe(
      'Enter a number of seconds from 1 to 3600.',
    );
  });
});

describe('duration', () => {
  it('reads in the largest whole unit', () => {
    expect(duration(1)).toBe('1 second');
    expect(duration(90)).toBe('90 seconds');
    expect(duration(60)).toBe('1 minute');
    expect(duration(300)).toBe('5 minutes');
    expect(duration(7200)).toBe('2 hours');
    expect(duration(86_400)).toBe('1 day');
  });

  it('says how often without a lone "1"', () => {
    expect(every(60)).toBe('every minute');
    expect(every(3600)).toBe('every hour');
    expect(every(300)).toBe('every 5 minutes');
    expect(every(1)).toBe('every second');
    expect(every(90)).toBe('every 90 seconds');
  });
});

describe('the form', () => {
  it('starts from the stored settings and is unchanged', () => {
    const fields = settingsFields(stored);
    expect(changed(fields, stored)).toBe(false);
    expect(hasSettingsErrors(settingsErrors(fields))).toBe(false);
  });

  it('counts "060" as 60, and anything else as a change', () => {
    expect(changed({ ...settingsFields(stored), monitorInterval: '060' }, stored)).toBe(false);
    expect(changed({ ...settingsFields(stored), monitorInterval: '61' }, stored)).toBe(true);
    expect(changed({ ...settingsFields(stored), connectTimeout: 'x' }, stored)).toBe(true);
    expect(changed({ ...settingsFields(stored), theme: 'dark' }, stored)).toBe(true);
    expect(changed({ ...settingsFields(stored), notifications: false }, stored)).toBe(true);
  });

  it('sends the whole object, keeping what the page does not show', () => {
    const fields = { ...settingsFields(stored), requestTimeout: ' 45 ', theme: 'light' as const };
    expect(settingsFrom(fields, stored)).toEqual({
      ...stored,
      request_timeout_secs: 45,
      theme: 'light',
    });
  });
});

describe('the network defaults', () => {
  const explicit: AppSettingsWithNetwork = {
    ...stored,
    proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
    proxy_credentials_set: true,
  };

  it('starts from the stored proxy and CA, with no credentials typed', () => {
    const fields = settingsFields({ ...explicit, ca_pem: PEM });
    expect(fields.proxyMode).toBe('explicit');
    expect(fields.proxyUrl).toBe('http://proxy.corp:3128');
    expect(fields.proxyUser).toBe('');
    expect(fields.caPem).toBe(PEM);
    expect(changed(fields, { ...explicit, ca_pem: PEM })).toBe(false);
  });

  it('fills Rust’s defaults into settings read without the network fields', () => {
    const { proxy: _proxy, proxy_credentials_set: _set, ca_pem: _ca, ...bare } = stored;
    expect(withNetwork(bare as AppSettings)).toEqual(stored);
    expect(withNetwork(explicit).proxy).toEqual(explicit.proxy);
  });

  it('checks the proxy and CA with the connector’s messages', () => {
    const base = settingsFields(stored);
    const withCredentials = settingsErrors({
      ...base,
      proxyMode: 'explicit',
      proxyUrl: 'http://ada:secret@proxy.corp:3128',
    });
    expect(withCredentials.proxyUrl).toBe(
      'Put the user name and password in the fields below, not in the URL.',
    );
    expect(
      settingsErrors({ ...base, proxyMode: 'explicit', proxyUrl: 'socks5://proxy:1080' }).proxyUrl,
    ).toBe('The proxy URL must start with http:// or https://.');
    expect(
      settingsErrors({ ...base, proxyMode: 'explicit', proxyUrl: 'http://p:1', proxyPassword: 'x' })
        .proxyUser,
    ).toBe('Enter the user name that goes with this password.');
    expect(settingsErrors({ ...base, caPem: 'hello' }).caPem).toContain('holds no PEM certificate');
    expect(settingsErrors({ ...base, proxyUrl: 'not a url' }).proxyUrl, 'System ignores it').toBe(
      null,
    );
    expect(hasSettingsErrors(settingsErrors({ ...base, caPem: PEM }))).toBe(false);
  });

  it('sends the proxy without credentials, and the credentials apart only when typed', () => {
    const fields = {
      ...settingsFields(stored),
      proxyMode: 'explicit' as const,
      proxyUrl: ' http://proxy.corp:3128 ',
      proxyUser: 'ada',
      proxyPassword: 'pa:ss',
      caPem: PEM,
    };
    expect(settingsFrom(fields, stored)).toEqual({
      ...stored,
      proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
      ca_pem: PEM,
    });
    expect(settingsCredentials(fields)).toBe('ada:pa:ss');
    expect(settingsCredentials({ ...fields, proxyUser: '', proxyPassword: '' })).toBeNull();
    expect(settingsCredentials({ ...fields, proxyMode: 'system' }), 'only an explicit proxy').toBe(
      null,
    );
    expect(settingsFrom({ ...fields, proxyMode: 'direct', caPem: '  ' }, stored)).toMatchObject({
      proxy: { mode: 'direct' },
      ca_pem: null,
    });
  });

  it('counts a new proxy, a new CA or typed credentials as a change', () => {
    const fields = settingsFields(explicit);
    expect(changed({ ...fields, proxyUrl: 'http://proxy.corp:3128 ' }, explicit)).toBe(false);
    expect(changed({ ...fields, proxyUrl: 'http://other:3128' }, explicit)).toBe(true);
    expect(changed({ ...fields, proxyMode: 'system' }, explicit)).toBe(true);
    expect(changed({ ...fields, proxyUser: 'ada' }, explicit)).toBe(true);
    expect(changed({ ...fields, caPem: PEM }, explicit)).toBe(true);
  });
});
