import { describe, expect, it } from 'vitest';
import {
  changed,
  duration,
  every,
  hasSettingsErrors,
  LIMITS,
  settingsErrors,
  settingsFields,
  settingsFrom,
  validateSeconds,
} from './settings';
import type { AppSettings } from './types';

const stored: AppSettings = {
  monitor_interval_secs: 60,
  notifications: true,
  theme: 'system',
  connect_timeout_secs: 10,
  request_timeout_secs: 30,
  tray_notice_shown: true,
};

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
