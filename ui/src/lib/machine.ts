// Machine connectors as the dialogs see them: the fields of a client-credentials client, the
// checks the form makes before asking Rust (which checks again), the input Rust receives, and how
// an OAuth client reads in a connector's details. The secret or key only ever travels UI → Rust.
import type {
  ClientAuthentication,
  MachineClientInput,
  OAuthClientView,
  RegistrationMethod,
  SigningAlgorithm,
} from './types';

export type MachineCredentialKind = 'client_secret' | 'private_key';

/** How a new OAuth connector gets its tokens. */
export type OAuthMode = 'browser' | 'machine';

/** What the person typed for a machine client. */
export interface MachineFields {
  clientId: string;
  kind: MachineCredentialKind;
  secret: string;
  pem: string;
  algorithm: SigningAlgorithm;
}

export interface MachineErrors {
  clientId: string | null;
  secret: string | null;
  pem: string | null;
}

export const NO_MACHINE_ERRORS: MachineErrors = { clientId: null, secret: null, pem: null };

export const SIGNING_ALGORITHMS: readonly { value: SigningAlgorithm; label: string }[] = [
  { value: 'RS256', label: 'RS256 — RSA, SHA-256' },
  { value: 'RS384', label: 'RS384 — RSA, SHA-384' },
  { value: 'RS512', label: 'RS512 — RSA, SHA-512' },
  { value: 'ES256', label: 'ES256 — EC P-256' },
  { value: 'ES384', label: 'ES384 — EC P-384' },
];

export function emptyMachineFields(): MachineFields {
  return { clientId: '', kind: 'client_secret', secret: '', pem: '', algorithm: 'RS256' };
}

/** The secret or key of the chosen kind, as typed. */
export function credentialOf(fields: MachineFields): string {
  return fields.kind === 'client_secret' ? fields.secret : fields.pem;
}

/** The PEM labels Rust accepts (PKCS#8, PKCS#1 RSA, SEC1 EC). */
const PEM_KEY = /^-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (?:RSA |EC )?PRIVATE KEY-----$/;

export function validatePem(pem: string): string | null {
  const trimmed = pem.trim();
  if (trimmed === '') return 'Paste the private key (PEM).';
  if (/^-----BEGIN (?:ENCRYPTED PRIVATE KEY|PUBLIC KEY|CERTIFICATE)/.test(trimmed)) {
    return 'Paste the unencrypted private key, not a public key, certificate or encrypted key.';
  }
  if (!PEM_KEY.test(trimmed)) {
    return 'Paste the whole key, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.';
  }
  return null;
}

/**
 * A new machine client: everything is required. When `replacing` a stored client, the secret or
 * key may stay empty (keep the stored one), unless the client ID changed from `storedClientId`.
 */
export function machineErrors(
  fields: MachineFields,
  options: { replacing?: boolean; storedClientId?: string | null } = {},
): MachineErrors {
  const clientId = fields.clientId.trim();
  const credential = credentialOf(fields).trim();
  const keepStored =
    options.replacing === true && credential === '' && clientId === (options.storedClientId ?? '');
  const errors = { ...NO_MACHINE_ERRORS };
  if (clientId === '') errors.clientId = 'Enter the client ID the provider gave you.';
  if (keepStored) return errors;
  if (fields.kind === 'client_secret') {
    if (credential === '') {
      errors.secret = options.replacing
        ? 'Enter the secret that goes with this client ID.'
        : 'Enter the client secret.';
    }
  } else {
    errors.pem = validatePem(fields.pem);
  }
  return errors;
}

export function hasMachineErrors(errors: MachineErrors): boolean {
  return errors.clientId !== null || errors.secret !== null || errors.pem !== null;
}

/** What Rust receives. Secrets are trimmed as pasted text often ends in a line break. */
export function machineClientInput(fields: MachineFields): MachineClientInput {
  return {
    client_id: fields.clientId.trim(),
    credential:
      fields.kind === 'client_secret'
        ? { kind: 'client_secret', secret: fields.secret.trim() }
        : { kind: 'private_key', pem: fields.pem.trim(), algorithm: fields.algorithm },
  };
}

/**
 * The algorithm a PEM key calls for, read from its curve or algorithm identifier (fixed DER
 * prefixes, seen as base64, of PKCS#8 and SEC1 EC P-256 and P-384 keys, and of PKCS#8 and
 * PKCS#1 RSA keys); null when it cannot tell.
 */
export function suggestedAlgorithm(pem: string): SigningAlgorithm | null {
  const text = pem.replace(/\s+/g, '');
  if (text.includes('-----BEGINRSAPRIVATEKEY-----') || text.includes('BgkqhkiG9w0BAQEF')) {
    return 'RS256';
  }
  if (text.includes('CCqGSM49AwEH')) return 'ES256';
  if (text.includes('BSuBBAAi') || text.includes('K4EEACK')) return 'ES384';
  return null;
}

const METHOD_LABELS: Record<RegistrationMethod, string> = {
  client_credentials: 'Machine client (client credentials)',
  pre_registered: 'Pre-registered client',
  dynamic: 'Registered automatically',
  metadata_document: 'Client ID metadata document',
};

const AUTHENTICATION_LABELS: Record<ClientAuthentication, string> = {
  none: 'public client (PKCE)',
  client_secret: 'client secret, stored encrypted',
  private_key_jwt: 'private key (private_key_jwt), stored encrypted',
};

/** "Machine client (client credentials)". */
export function clientMethodLabel(client: OAuthClientView): string {
  return METHOD_LABELS[client.method] ?? client.method;
}

/** "client secret, stored encrypted". */
export function clientAuthenticationLabel(client: OAuthClientView): string {
  return AUTHENTICATION_LABELS[client.authentication] ?? client.authentication;
}

/** The host of an issuer URL, for sentences ("from auth.example.com"). */
export function issuerHost(issuer: string | null): string | null {
  if (issuer === null) return null;
  try {
    return new URL(issuer).host || issuer;
  } catch {
    return issuer;
  }
}
