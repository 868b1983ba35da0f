// The Settings page's form: the settings as typed, Rust's limits, and the checks made at each
// field before saving (Rust checks again and refuses what is out of range). The proxy and the
// extra certificate authorities are checked as a connector's own are (network.ts), with the same
// messages; the proxy's user name and password travel apart, never inside the settings.
import {
  type NetworkFields,
  networkErrors,
  type ProxyMode,
  proxyCredentials,
} from './network';
import type { AppSettings, ProxySetting, Theme } from './types';

/**
 * The settings with the app's network defaults: the proxy, whether Rust holds credentials for
 * it (read only: Rust ignores what is sent back), and the extra CA certificates every connector
 * without its own trusts. Once bindings.ts is regenerated `AppSettings` holds these fields and
 * this is the same type.
 */
export type AppSettingsWithNetwork = AppSettings & {
  proxy: ProxySetting;
  proxy_credentials_set: boolean;
  ca_pem: string | null;
};

const NETWORK_DEFAULTS: Pick<AppSettingsWithNetwork, 'proxy' | 'proxy_credentials_set' | 'ca_pem'> =
  { proxy: { mode: 'system' }, proxy_credentials_set: false, ca_pem: null };

/** The settings as Rust answered them, with Rust's network defaults for any field missing. */
export function withNetwork(settings: AppSettings): AppSettingsWithNetwork {
  return { ...NETWORK_DEFAULTS, ...settings };
}

/** Rust's limits on each number, in whole seconds (`AppSettings::validate`). */
export const LIMITS = {
  monitorInterval: { min: 10, max: 86_400 },
  connectTimeout: { min: 1, max: 300 },
  requestTimeout: { min: 1, max: 3600 },
} as const;

/** The intervals offered by name; any other whole number in range is "Custom". */
export const INTERVAL_PRESETS: readonly { seconds: number; label: string }[] = [
  { seconds: 30, label: 'Every 30 seconds' },
  { seconds: 60, label: 'Every minute' },
  { seconds: 300, label: 'Every 5 minutes' },
  { seconds: 900, label: 'Every 15 minutes' },
];

export const THEMES: readonly { value: Theme; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** What the person typed or chose; numbers stay text until they are checked. */
export interface SettingsFields {
  monitorInterval: string;
  notifications: boolean;
  theme: Theme;
  connectTimeout: string;
  requestTimeout: string;
  proxyMode: ProxyMode;
  proxyUrl: string;
  /** New credentials for an explicit proxy; empty keeps the stored ones. */
  proxyUser: string;
  proxyPassword: string;
  /** Extra CA certificates (PEM), from a file or pasted; empty trusts only the system's. */
  caPem: string;
  /** The file the certificates came from, to say so; null when pasted or stored. */
  caFileName: string | null;
}

export interface SettingsErrors {
  monitorInterval: string | null;
  connectTimeout: string | null;
  requestTimeout: string | null;
  proxyUrl: string | null;
  proxyUser: string | null;
  caPem: string | null;
}

export function settingsFields(settings: AppSettingsWithNetwork): SettingsFields {
  return {
    monitorInterval: String(settings.monitor_interval_secs),
    notifications: settings.notifications,
    theme: settings.theme,
    connectTimeout: String(settings.connect_timeout_secs),
    requestTimeout: String(settings.request_timeout_secs),
    proxyMode: settings.proxy.mode,
    proxyUrl: settings.proxy.mode === 'explicit' ? settings.proxy.url : '',
    proxyUser: '',
    proxyPassword: '',
    caPem: settings.ca_pem ?? '',
    caFileName: null,
  };
}

/** The proxy and CA fields as a connector's Network section holds them, to check them alike. */
function asNetworkFields(fields: SettingsFields): NetworkFields {
  return {
    connectTimeout: '',
    requestTimeout: '',
    proxyMode: fields.proxyMode,
    proxyUrl: fields.proxyUrl,
    proxyUser: fields.proxyUser,
    proxyPassword: fields.proxyPassword,
    caPem: fields.caPem,
    caFileName: fields.caFileName,
  };
}

/** "90 seconds", "5 minutes", "1 hour", "1 day": how a number of seconds reads in a sentence. */
export function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** "every minute", "every 5 minutes": how often, in a sentence. */
export function every(seconds: number): string {
  const span = duration(seconds);
  return `every ${span.startsWith('1 ') ? span.slice(2) : span}`;
}

/** Whole seconds from `min` to `max`. */
export function validateSeconds(text: string, limit: { min: number; max: number }): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return `Enter a number of seconds from ${limit.min} to ${limit.max}.`;
  if (!/^\d+$/.test(trimmed)) return 'Enter whole seconds (digits only).';
  const seconds = Number(trimmed);
  if (seconds < limit.min) return `Enter at least ${duration(limit.min)}.`;
  if (seconds > limit.max) return `Enter at most ${limit.max} seconds (${duration(limit.max)}).`;
  return null;
}

export function settingsErrors(fields: SettingsFields): SettingsErrors {
  const network = networkErrors(asNetworkFields(fields));
  return {
    monitorInterval: validateSeconds(fields.monitorInterval, LIMITS.monitorInterval),
    connectTimeout: validateSeconds(fields.connectTimeout, LIMITS.connectTimeout),
    requestTimeout: validateSeconds(fields.requestTimeout, LIMITS.requestTimeout),
    proxyUrl: network.proxyUrl,
    proxyUser: network.proxyUser,
    caPem: network.caPem,
  };
}

export function hasSettingsErrors(errors: SettingsErrors): boolean {
  return Object.values(errors).some((error) => error !== null);
}

/** The proxy as the fields say it should be. */
function proxyFrom(fields: SettingsFields): ProxySetting {
  if (fields.proxyMode === 'explicit') return { mode: 'explicit', url: fields.proxyUrl.trim() };
  return { mode: fields.proxyMode };
}

/**
 * The whole object Rust stores: the fields over `read`, which keeps what the page does not show
 * (`tray_notice_shown`, and `proxy_credentials_set`, which Rust ignores) as it was read. The
 * proxy's credentials are not in it: see `settingsCredentials`. Assumes no errors.
 */
export function settingsFrom(
  fields: SettingsFields,
  read: AppSettingsWithNetwork,
): AppSettingsWithNetwork {
  return {
    ...read,
    monitor_interval_secs: Number(fields.monitorInterval.trim()),
    notifications: fields.notifications,
    theme: fields.theme,
    connect_timeout_secs: Number(fields.connectTimeout.trim()),
    request_timeout_secs: Number(fields.requestTimeout.trim()),
    proxy: proxyFrom(fields),
    ca_pem: fields.caPem.trim() === '' ? null : fields.caPem,
  };
}

/** The explicit proxy's new `user:password`, when typed; null keeps what Rust stores. */
export function settingsCredentials(fields: SettingsFields): string | null {
  return proxyCredentials(asNetworkFields(fields));
}

/** The same proxy: the same mode, and for an explicit one the same URL (trimmed). */
export function sameProxy(a: ProxySetting, b: ProxySetting): boolean {
  if (a.mode === 'explicit' || b.mode === 'explicit') {
    return a.mode === 'explicit' && b.mode === 'explicit' && a.url.trim() === b.url.trim();
  }
  return a.mode === b.mode;
}

/** Whether the fields say something other than `settings` (what Save would change). */
export function changed(fields: SettingsFields, settings: AppSettingsWithNetwork): boolean {
  const typedCredentials =
    fields.proxyMode === 'explicit' && (fields.proxyUser !== '' || fields.proxyPassword !== '');
  return (
    fields.notifications !== settings.notifications ||
    fields.theme !== settings.theme ||
    !sameSeconds(fields.monitorInterval, settings.monitor_interval_secs) ||
    !sameSeconds(fields.connectTimeout, settings.connect_timeout_secs) ||
    !sameSeconds(fields.requestTimeout, settings.request_timeout_secs) ||
    !sameProxy(proxyFrom(fields), settings.proxy) ||
    fields.caPem.trim() !== (settings.ca_pem ?? '').trim() ||
    typedCredentials
  );
}

/** "060" and "60" are the same setting; anything that is not digits differs. */
function sameSeconds(text: string, seconds: number): boolean {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) && Number(trimmed) === seconds;
}
