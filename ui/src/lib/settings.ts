// The Settings page's form: the settings as typed, Rust's limits, and the checks made at each
// field before saving (Rust checks again and refuses what is out of range).
import type { AppSettings, Theme } from './types';

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
}

export interface SettingsErrors {
  monitorInterval: string | null;
  connectTimeout: string | null;
  requestTimeout: string | null;
}

export function settingsFields(settings: AppSettings): SettingsFields {
  return {
    monitorInterval: String(settings.monitor_interval_secs),
    notifications: settings.notifications,
    theme: settings.theme,
    connectTimeout: String(settings.connect_timeout_secs),
    requestTimeout: String(settings.request_timeout_secs),
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
  return {
    monitorInterval: validateSeconds(fields.monitorInterval, LIMITS.monitorInterval),
    connectTimeout: validateSeconds(fields.connectTimeout, LIMITS.connectTimeout),
    requestTimeout: validateSeconds(fields.requestTimeout, LIMITS.requestTimeout),
  };
}

export function hasSettingsErrors(errors: SettingsErrors): boolean {
  return Object.values(errors).some((error) => error !== null);
}

/**
 * The whole object Rust stores: the fields over `read`, which keeps what the page does not show
 * (`tray_notice_shown`) as it was read. Assumes no errors.
 */
export function settingsFrom(fields: SettingsFields, read: AppSettings): AppSettings {
  return {
    ...read,
    monitor_interval_secs: Number(fields.monitorInterval.trim()),
    notifications: fields.notifications,
    theme: fields.theme,
    connect_timeout_secs: Number(fields.connectTimeout.trim()),
    request_timeout_secs: Number(fields.requestTimeout.trim()),
  };
}

/** Whether the fields say something other than `settings` (what Save would change). */
export function changed(fields: SettingsFields, settings: AppSettings): boolean {
  return (
    fields.notifications !== settings.notifications ||
    fields.theme !== settings.theme ||
    !sameSeconds(fields.monitorInterval, settings.monitor_interval_secs) ||
    !sameSeconds(fields.connectTimeout, settings.connect_timeout_secs) ||
    !sameSeconds(fields.requestTimeout, settings.request_timeout_secs)
  );
}

/** "060" and "60" are the same setting; anything that is not digits differs. */
function sameSeconds(text: string, seconds: number): boolean {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) && Number(trimmed) === seconds;
}
