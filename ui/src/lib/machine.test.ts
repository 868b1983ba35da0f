import { describe, expect, it } from 'vitest';
import {
  clientAuthenticationLabel,
  clientMethodLabel,
  emptyMachineFields,
  hasMachineErrors,
  issuerHost,
  machineClientInput,
  machineErrors,
  suggestedAlgorithm,
  validatePem,
  type MachineFields,
} from './machine';

/** A throwaway P-256 key made for tests with `openssl genpkey`; it protects nothing. */
const EC_P256_PKCS8 = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsG2hC163I0Pl8xfD
0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk
woMS+upnbaCWu49U+vJ92Wvp5YIH8NWyfpyIdcsfOVvAF9kTtHRmdZNZ
-----END PRIVATE KEY-----`;

/** The identifying first line of other kinds of key (as openssl writes them), then filler. */
function pem(label: string, firstLine: string): string {
  return `-----BEGIN ${label}-----\n${firstLine}\nAAAA\n-----END ${label}-----\n`;
}

function fields(overrides: Partial<MachineFields>): MachineFields {
  return { ...emptyMachineFields(), ...overrides };
}

describe('the signing algorithm a key calls for', () => {
  it('reads the curve or key type from PKCS#8, SEC1 and PKCS#1 keys', () => {
    expect(suggestedAlgorithm(EC_P256_PKCS8)).toBe('ES256');
    expect(
      suggestedAlgorithm(pem('PRIVATE KEY', 'MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCu')),
    ).toBe('ES384');
    expect(
      suggestedAlgorithm(pem('EC PRIVATE KEY', 'MHcCAQEEILVMhdc6z5J/hdrgd6DVGSE4vPKw1RBQg9/U6LM63hHvoAoGCCqGSM49AwEHoUQDQgAE')),
    ).toBe('ES256');
    expect(
      suggestedAlgorithm(pem('EC PRIVATE KEY', 'MIGkAgEBBDAn0/6JklfG1SYEvD52cb/gfoIlT/uRPVLbBGjkVFIuiimziIKa3yuPNJD1ItOLg2KgBwYFK4EEACKhZANiAASQ')),
    ).toBe('ES384');
    expect(
      suggestedAlgorithm(pem('PRIVATE KEY', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB')),
    ).toBe('RS256');
    expect(suggestedAlgorithm(pem('RSA PRIVATE KEY', 'MIIEowIBAAKCAQEAx'))).toBe('RS256');
  });

  it('says nothing when it cannot tell', () => {
    expect(suggestedAlgorithm('')).toBeNull();
    expect(suggestedAlgorithm(pem('PRIVATE KEY', 'MC4CAQAwBQYDK2VwBCIEI'))).toBeNull();
  });
});

describe('checking a machine client before asking Rust', () => {
  it('needs a client ID and the secret for a new client', () => {
    const errors = machineErrors(fields({}));
    expect(errors.clientId).toBe('Enter the client ID the provider gave you.');
    expect(errors.secret).toBe('Enter the client secret.');
    expect(errors.pem, 'the key is not asked for when a secret is chosen').toBeNull();
    expect(hasMachineErrors(machineErrors(fields({ clientId: 'svc', secret: 's' })))).toBe(false);
  });

  it('needs a whole unencrypted PEM private key', () => {
    expect(validatePem('')).toBe('Paste the private key (PEM).');
    expect(validatePem('MIGHAgEAMBMGByqGSM49AgEG')).toContain('Paste the whole key');
    expect(validatePem(EC_P256_PKCS8.split('\n').slice(0, 3).join('\n'))).toContain(
      'Paste the whole key',
    );
    expect(validatePem(pem('PUBLIC KEY', 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE'))).toContain(
      'not a public key',
    );
    expect(validatePem(pem('ENCRYPTED PRIVATE KEY', 'MIHsMFcGCSqGSIb3DQEFDTBK'))).toContain(
      'encrypted key',
    );
    expect(validatePem(`\n  ${EC_P256_PKCS8}\n`)).toBeNull();
    expect(validatePem(pem('RSA PRIVATE KEY', 'MIIEowIBAAKCAQEAx'))).toBeNull();
    expect(validatePem(pem('EC PRIVATE KEY', 'MHcCAQEEILVMhdc6'))).toBeNull();
  });

  it('lets a renewal keep the stored secret, but not for another client ID', () => {
    const stored = { replacing: true, storedClientId: 'svc' };
    expect(hasMachineErrors(machineErrors(fields({ clientId: 'svc' }), stored))).toBe(false);
    expect(
      hasMachineErrors(machineErrors(fields({ clientId: 'svc', kind: 'private_key' }), stored)),
      'nor a stored key',
    ).toBe(false);
    expect(machineErrors(fields({ clientId: 'other' }), stored).secret).toBe(
      'Enter the secret that goes with this client ID.',
    );
    expect(machineErrors(fields({ clientId: ' ' }), stored).clientId).not.toBeNull();
    expect(
      machineErrors(fields({ clientId: 'svc', kind: 'private_key', pem: 'nope' }), stored).pem,
      'a key that was entered is checked',
    ).toContain('Paste the whole key');
  });
});

describe('what Rust receives', () => {
  it('sends the chosen credential only, trimmed', () => {
    expect(
      machineClientInput(fields({ clientId: ' svc ', secret: ' s3cret\n', pem: 'unused' })),
    ).toEqual({ client_id: 'svc', credential: { kind: 'client_secret', secret: 's3cret' } });
    expect(
      machineClientInput(
        fields({ clientId: 'svc', kind: 'private_key', pem: `${EC_P256_PKCS8}\n`, algorithm: 'ES256', secret: 'unused' }),
      ),
    ).toEqual({
      client_id: 'svc',
      credential: { kind: 'private_key', pem: EC_P256_PKCS8, algorithm: 'ES256' },
    });
  });
});

describe('how a client reads in the details', () => {
  it('names how it was obtained and how it authenticates', () => {
    const machine = {
      client_id: 'svc',
      method: 'client_credentials' as const,
      machine: true,
      authentication: 'private_key_jwt' as const,
      issuer: 'https://auth.example.com/tenant',
    };
    expect(clientMethodLabel(machine)).toBe('Machine client (client credentials)');
    expect(clientAuthenticationLabel(machine)).toBe(
      'private key (private_key_jwt), stored encrypted',
    );
    expect(
      clientAuthenticationLabel({ ...machine, method: 'dynamic', authentication: 'none' }),
    ).toBe('public client (PKCE)');
    expect(issuerHost(machine.issuer)).toBe('auth.example.com');
    expect(issuerHost('not a url')).toBe('not a url');
    expect(issuerHost(null)).toBeNull();
  });
});
