// The Network section's logic: the checks made before Rust is asked (with core's limits), the
// settings and credentials each command receives, and how the settings read in the details.
import { describe, expect, it } from 'vitest';
import {
  certificateCount,
  isDefaultNetwork,
  MAX_CA_PEM_BYTES,
  networkAdd,
  networkEdit,
  networkFacts,
  networkFields,
  networkSummary,
  validateCaPem,
  validateProxyUrl,
  validateTimeout,
} from './network';
import type { ConnectorNetwork } from './types';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('checks', () => {
  it('takes whole seconds within the limit, and empty as the default', () => {
    expect(validateTimeout('', 300)).toBeNull();
    expect(validateTimeout(' 1 ', 300)).toBeNull();
    expect(validateTimeout('300', 300)).toBeNull();
    expect(validateTimeout('0', 300)).toMatch(/at least 1 second/);
    expect(validateTimeout('301', 300)).toBe('Enter at most 300 seconds (5 minutes).');
    expect(validateTimeout('3601', 3600)).toBe('Enter at most 3600 seconds (1 hour).');
    for (const bad of ['abc', '-5', '1.5', '1e3', '10s']) {
      expect(validateTimeout(bad, 300), bad).toMatch(/whole seconds/);
    }
  });

  it('takes an http(s) proxy with a host and refuses credentials in its URL', () => {
    expect(validateProxyUrl('http://127.0.0.1:3128')).toBeNull();
    expect(validateProxyUrl(' https://proxy.corp ')).toBeNull();
    expect(validateProxyUrl('http://user:pw@proxy:3128')).toBe(
      'Put the user name and password in the fields below, not in the URL.',
    );
    expect(validateProxyUrl('http://user@proxy:3128'), 'a user name alone too').toMatch(
      /not in the URL/,
    );
    expect(validateProxyUrl('socks5://127.0.0.1:1080')).toMatch(/http:\/\/ or https:\/\//);
    expect(validateProxyUrl('proxy:3128')).toMatch(/http:\/\/ or https:\/\//);
    expect(validateProxyUrl('not a url')).toMatch(/^Enter a full URL/);
    expect(validateProxyUrl('')).toMatch(/^Enter the proxy’s URL/);
  });

  it('takes PEM certificates within core’s size limit and counts them', () => {
    expect(validateCaPem('')).toBeNull();
    expect(validateCaPem(PEM)).toBeNull();
    expect(certificateCount(PEM)).toBe(1);
    expect(certificateCount(PEM + '\n' + PEM + PEM)).toBe(3);
    expect(certificateCount('')).toBe(0);
    expect(validateCaPem('hello')).toMatch(/no PEM certificate/);
    const key = '-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----';
    expect(validateCaPem(key)).toMatch(/private key/);
    const huge = PEM + 'x'.repeat(MAX_CA_PEM_BYTES);
    expect(validateCaPem(huge)).toMatch(/larger than 256 KiB/);
  });
});

describe('what Rust receives', () => {
  it('adds nothing for a new connector left at the defaults', () => {
    expect(networkAdd(networkFields(null))).toEqual({});
  });

  it('adds the settings and the credentials apart for a custom proxy', () => {
    const fields = {
      ...networkFields(null),
      requestTimeout: ' 90 ',
      proxyMode: 'explicit' as const,
      proxyUrl: 'http://proxy.corp:3128',
      proxyUser: ' alice ',
      proxyPassword: 's3cret',
    };
    expect(networkAdd(fields)).toEqual({
      network: {
        request_timeout_secs: 90,
        proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
      },
      proxy_credentials: 'alice:s3cret',
    });
  });

  it('sends no credentials for a proxy that is not custom, whatever was typed', () => {
    const fields = { ...networkFields(null), proxyMode: 'direct' as const, proxyUser: 'alice' };
    expect(networkAdd(fields)).toEqual({ network: { proxy: { mode: 'direct' } } });
  });

  it('edits nothing when the fields are as stored, however the defaults were written', () => {
    const stored: ConnectorNetwork = {
      connect_timeout_secs: null,
      request_timeout_secs: 60,
      proxy: { mode: 'system' },
      proxy_credentials_set: false,
      ca_pem: PEM,
    };
    expect(networkEdit(networkFields(stored), stored)).toEqual({});
    expect(isDefaultNetwork({ proxy: { mode: 'system' }, ca_pem: null })).toBe(true);
    expect(isDefaultNetwork({ proxy: { mode: 'direct' } })).toBe(false);
  });

  it('sends the whole wanted state on a change, a reset field left out', () => {
    const stored: ConnectorNetwork = { connect_timeout_secs: 5, request_timeout_secs: 60 };
    const fields = { ...networkFields(stored), connectTimeout: '' };
    expect(networkEdit(fields, stored)).toEqual({ network: { request_timeout_secs: 60 } });
  });

  it('keeps stored credentials unless new ones are typed, which come with the settings', () => {
    const stored: ConnectorNetwork = {
      proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
      proxy_credentials_set: true,
    };
    expect(networkEdit(networkFields(stored), stored), 'empty keeps them').toEqual({});
    const typed = { ...networkFields(stored), proxyUser: 'bob', proxyPassword: '' };
    expect(networkEdit(typed, stored)).toEqual({
      network: { proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' } },
      proxy_credentials: 'bob:',
    });
  });
});

describe('how the settings read', () => {
  it('lists only what is the connector’s own', () => {
    expect(networkFacts({})).toEqual([]);
    expect(
      networkFacts({
        connect_timeout_secs: 4,
        request_timeout_secs: 120,
        proxy: { mode: 'explicit', url: 'http://proxy.corp:3128' },
        proxy_credentials_set: false,
        ca_pem: PEM + PEM,
      }),
    ).toEqual([
      'Connect timeout 4 s (its own)',
      'Request timeout 120 s (its own)',
      'Proxy: http://proxy.corp:3128',
      'Trusts 2 extra CA certificates',
    ]);
    expect(networkSummary({ proxy: { mode: 'direct' }, ca_pem: PEM })).toBe(
      'no proxy · 1 CA certificate',
    );
  });
});
