// A connector's own network settings as the forms see them: its timeouts, its proxy and the
// extra certificate authorities it trusts. The fields as typed, the checks the form makes before
// asking Rust (which checks again, with the same limits), the settings Rust receives, and how
// they read in a connector's details. The proxy's user name and password only travel UI → Rust,
// as `proxy_credentials`, never inside the settings.
import type {
  ConnectorEditInput,
  ConnectorInput,
  ConnectorNetwork,
  ProxySetting,
} from './types';

/** The app's timeouts for connectors without their own (core's `Timeouts::default`). */
export const DEFAULT_CONNECT_TIMEOUT_SECS = 10;
export const DEFAULT_REQUEST_TIMEOUT_SECS = 30;
/** Core's limits (`MAX_CONNECT_TIMEOUT_SECS`, `MAX_REQUEST_TIMEOUT_SECS`): Rust refuses more. */
export const MAX_CONNECT_TIMEOUT_SECS = 300;
export const MAX_REQUEST_TIMEOUT_SECS = 3600;
/** Core's `MAX_CA_PEM_BYTES`: a bundle of a few dozen certificates. */
export const MAX_CA_PEM_BYTES = 256 * 1024;

const CERTIFICATE_BEGIN = '-----BEGIN CERTIFICATE-----';

export type ProxyMode = ProxySetting['mode'];

/** What the person typed or chose in the Network section. */
export interface NetworkFields {
  /** Whole seconds as typed; empty means the app's default. */
  connectTimeout: string;
  requestTimeout: string;
  proxyMode: ProxyMode;
  proxyUrl: string;
  proxyUser: string;
  proxyPassword: string;
  /** The extra CA certificates (PEM), from a file or pasted; empty trusts only the system's. */
  caPem: string;
  /** The file the certificates came from, to say so; null when pasted or stored. */
  caFileName: string | null;
}

export interface NetworkErrors {
  connectTimeout: string | null;
  requestTimeout: string | null;
  proxyUrl: string | null;
  proxyUser: string | null;
  caPem: string | null;
}

export const NO_NETWORK_ERRORS: NetworkErrors = {
  connectTimeout: null,
  requestTimeout: null,
  proxyUrl: null,
  proxyUser: null,
  caPem: null,
};

/** The form as it starts: the stored settings, or the app's defaults for a new connector. */
export function networkFields(network: ConnectorNetwork | null | undefined): NetworkFields {
  const proxy = network?.proxy ?? null;
  return {
    connectTimeout: network?.connect_timeout_secs?.toString() ?? '',
    requestTimeout: network?.request_timeout_secs?.toString() ?? '',
    proxyMode: proxy?.mode ?? 'system',
    proxyUrl: proxy?.mode === 'explicit' ? proxy.url : '',
    proxyUser: '',
    proxyPassword: '',
    caPem: network?.ca_pem ?? '',
    caFileName: null,
  };
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

/** Whole seconds from 1 to `max`; empty is the app's default. */
export function validateTimeout(text: string, max: number): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d+$/.test(trimmed)) {
    return 'Enter whole seconds (digits only), or leave it empty for the default.';
  }
  const seconds = Number(trimmed);
  if (seconds < 1) return 'Enter at least 1 second, or leave it empty for the default.';
  if (seconds > max) return `Enter at most ${max} seconds (${duration(max)}).`;
  return null;
}

/** An explicit proxy: http(s) with a host, and no credentials (they have their own fields). */
export function validateProxyUrl(text: string): string | null {
  const trimmed = text.trim();
  const example = 'http://proxy.example.com:3128';
  if (trimmed === '') return `Enter the proxy’s URL, such as ${example}.`;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return `Enter a full URL, such as ${example}.`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'The proxy URL must start with http:// or https://.';
  }
  if (parsed.hostname === '') return 'The proxy URL needs a host name.';
  if (parsed.username !== '' || parsed.password !== '') {
    return 'Put the user name and password in the fields below, not in the URL.';
  }
  return null;
}

/** How many certificates a PEM bundle holds. */
export function certificateCount(pem: string): number {
  return pem.split(CERTIFICATE_BEGIN).length - 1;
}

/** Extra CA certificates: at least one PEM certificate, within core's size limit. */
export function validateCaPem(pem: string): string | null {
  if (pem.trim() === '') return null;
  if (new TextEncoder().encode(pem).length > MAX_CA_PEM_BYTES) {
    return `That is larger than ${MAX_CA_PEM_BYTES / 1024} KiB; a CA certificate is a few KiB.`;
  }
  if (!pem.includes(CERTIFICATE_BEGIN)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      return 'That is a private key: choose the certificate authority’s certificate instead.';
    }
    return (
      `That holds no PEM certificate (${CERTIFICATE_BEGIN}). ` +
      'A binary (DER) file must be converted to PEM first.'
    );
  }
  return null;
}

function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('the file cannot be read'));
    reader.readAsText(file);
  });
}

/** Why a chosen CA file is not used, unread: it is over core's limit. Null when it may be read. */
export function caFileTooLarge(file: File): string | null {
  if (file.size <= MAX_CA_PEM_BYTES) return null;
  const limit = MAX_CA_PEM_BYTES / 1024;
  return `${file.name} is larger than ${limit} KiB, so it was not used; a CA certificate is a few KiB.`;
}

/**
 * A chosen CA file's text, or why it can't be read. What it holds is checked afterwards, as
 * pasted text is (`validateCaPem`).
 */
export async function readCaFile(file: File): Promise<{ pem: string } | { error: string }> {
  try {
    return { pem: await readText(file) };
  } catch (error) {
    return { error: `Couldn’t read ${file.name}: ${(error as Error).message}.` };
  }
}

/** The proxy user name and password go together; the user name cannot hold the separator. */
function validateProxyUser(fields: NetworkFields): string | null {
  if (fields.proxyMode !== 'explicit') return null;
  if (fields.proxyUser.includes(':')) return 'A user name can’t contain “:”.';
  if (fields.proxyUser.trim() === '' && fields.proxyPassword !== '') {
    return 'Enter the user name that goes with this password.';
  }
  return null;
}

export function networkErrors(fields: NetworkFields): NetworkErrors {
  return {
    connectTimeout: validateTimeout(fields.connectTimeout, MAX_CONNECT_TIMEOUT_SECS),
    requestTimeout: validateTimeout(fields.requestTimeout, MAX_REQUEST_TIMEOUT_SECS),
    proxyUrl: fields.proxyMode === 'explicit' ? validateProxyUrl(fields.proxyUrl) : null,
    proxyUser: validateProxyUser(fields),
    caPem: validateCaPem(fields.caPem),
  };
}

export function hasNetworkErrors(errors: NetworkErrors): boolean {
  return Object.values(errors).some((error) => error !== null);
}

/** The settings as the form says they should be; a default is left out. Assumes no errors. */
export function networkSettings(fields: NetworkFields): ConnectorNetwork {
  const settings: ConnectorNetwork = {};
  if (fields.connectTimeout.trim() !== '') {
    settings.connect_timeout_secs = Number(fields.connectTimeout.trim());
  }
  if (fields.requestTimeout.trim() !== '') {
    settings.request_timeout_secs = Number(fields.requestTimeout.trim());
  }
  if (fields.proxyMode === 'direct') settings.proxy = { mode: 'direct' };
  if (fields.proxyMode === 'explicit') {
    settings.proxy = { mode: 'explicit', url: fields.proxyUrl.trim() };
  }
  if (fields.caPem.trim() !== '') settings.ca_pem = fields.caPem;
  return settings;
}

/** The explicit proxy's new `user:password`, when typed; never part of the settings. */
export function proxyCredentials(fields: NetworkFields): string | null {
  if (fields.proxyMode !== 'explicit' || fields.proxyUser.trim() === '') return null;
  return `${fields.proxyUser.trim()}:${fields.proxyPassword}`;
}

/** What a new connector adds to its input: its settings when not the app's, its credentials. */
export function networkAdd(
  fields: NetworkFields,
): Pick<ConnectorInput, 'network' | 'proxy_credentials'> {
  const settings = networkSettings(fields);
  const credentials = proxyCredentials(fields);
  return {
    ...(isDefaultNetwork(settings) ? {} : { network: settings }),
    ...(credentials === null ? {} : { proxy_credentials: credentials }),
  };
}

/**
 * What an edit adds to its input: the whole section as it should be, only when something in it
 * changed from `stored`. New credentials count as a change: Rust reads them only with settings.
 */
export function networkEdit(
  fields: NetworkFields,
  stored: ConnectorNetwork,
): Pick<ConnectorEditInput, 'network' | 'proxy_credentials'> {
  const settings = networkSettings(fields);
  const credentials = proxyCredentials(fields);
  if (credentials === null && sameNetwork(settings, stored)) return {};
  return {
    network: settings,
    ...(credentials === null ? {} : { proxy_credentials: credentials }),
  };
}

function sameProxy(a: ProxySetting | null | undefined, b: ProxySetting | null | undefined) {
  const left = a ?? { mode: 'system' };
  const right = b ?? { mode: 'system' };
  if (left.mode === 'explicit' || right.mode === 'explicit') {
    return (
      left.mode === 'explicit' && right.mode === 'explicit' && left.url.trim() === right.url.trim()
    );
  }
  return left.mode === right.mode;
}

/** The same settings (stored credentials aside): absent, null and the system proxy agree. */
export function sameNetwork(a: ConnectorNetwork, b: ConnectorNetwork): boolean {
  return (
    (a.connect_timeout_secs ?? null) === (b.connect_timeout_secs ?? null) &&
    (a.request_timeout_secs ?? null) === (b.request_timeout_secs ?? null) &&
    sameProxy(a.proxy, b.proxy) &&
    (a.ca_pem ?? '').trim() === (b.ca_pem ?? '').trim()
  );
}

/** Whether a connector goes out as the app says: its own timeouts, proxy and CA all absent. */
export function isDefaultNetwork(network: ConnectorNetwork | null | undefined): boolean {
  return sameNetwork(network ?? {}, {});
}

/** A few words for the closed section ("request 120 s · custom proxy · 1 CA certificate"). */
export function networkSummary(network: ConnectorNetwork): string {
  const count = network.ca_pem ? certificateCount(network.ca_pem) : 0;
  return [
    network.connect_timeout_secs ? `connect ${network.connect_timeout_secs} s` : '',
    network.request_timeout_secs ? `request ${network.request_timeout_secs} s` : '',
    network.proxy?.mode === 'direct' ? 'no proxy' : '',
    network.proxy?.mode === 'explicit' ? 'custom proxy' : '',
    count > 0 ? `${count} CA ${count === 1 ? 'certificate' : 'certificates'}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** A connector's own settings as its details list them, one line each; none when all default. */
export function networkFacts(network: ConnectorNetwork): string[] {
  const facts: string[] = [];
  if (network.connect_timeout_secs) {
    facts.push(`Connect timeout ${network.connect_timeout_secs} s (its own)`);
  }
  if (network.request_timeout_secs) {
    facts.push(`Request timeout ${network.request_timeout_secs} s (its own)`);
  }
  if (network.proxy?.mode === 'direct') facts.push('Proxy: none (straight to the server)');
  if (network.proxy?.mode === 'explicit') {
    const credentials = network.proxy_credentials_set ? ' with stored credentials' : '';
    facts.push(`Proxy: ${network.proxy.url}${credentials}`);
  }
  const count = network.ca_pem ? certificateCount(network.ca_pem) : 0;
  if (count > 0) {
    facts.push(`Trusts ${count} extra CA ${count === 1 ? 'certificate' : 'certificates'}`);
  }
  return facts;
}
