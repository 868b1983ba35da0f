import { describe, expect, it } from 'vitest';
import { exportFileName, formatFile, neededValues, urlParts, valuesFor } from './interop';
import type { CandidateView, Placeholder } from './types';

function placeholder(reference: string, description: string | null = null): Placeholder {
  return { reference, kind: 'input', id: reference, description, secret: true };
}

function candidate(name: string, placeholders: Placeholder[]): CandidateView {
  return {
    name,
    url: `https://${name.toLowerCase()}.example.com/mcp`,
    auth: 'token',
    header_names: [],
    transport: null,
    placeholders,
    ignored: [],
  };
}

describe('urlParts', () => {
  it('cuts a URL around its host, after any user part and before the port', () => {
    expect(urlParts('https://mcp.example.com:8443/v1?host=mcp.example.com')).toEqual({
      before: 'https://',
      host: 'mcp.example.com',
      after: ':8443/v1?host=mcp.example.com',
    });
    expect(urlParts('https://user@Docs.Example.com/mcp', 'docs.example.com')).toEqual({
      before: 'https://user@',
      host: 'Docs.Example.com',
      after: '/mcp',
    });
    expect(urlParts('http://[::1]:3000/mcp').host).toBe('[::1]');
  });

  it('leaves a URL whole when the host is not where a host stands', () => {
    const whole = { before: 'https://evil.test/mcp.example.com', host: '', after: '' };
    expect(urlParts('https://evil.test/mcp.example.com', 'mcp.example.com')).toEqual(whole);
    expect(urlParts('not a url')).toEqual({ before: 'not a url', host: '', after: '' });
  });
});

describe('neededValues', () => {
  it('asks once per reference among the ticked servers, saying who uses it', () => {
    const shared = placeholder('${input:key}', 'The team key');
    const candidates = [
      candidate('A', [shared, placeholder('${env:A_TOKEN}')]),
      candidate('B', [placeholder('${input:key}')]),
      candidate('C', [placeholder('${env:C_TOKEN}')]),
    ];
    expect(neededValues(candidates, new Set(['A', 'B']))).toEqual([
      { reference: '${input:key}', description: 'The team key', usedBy: ['A', 'B'] },
      { reference: '${env:A_TOKEN}', description: null, usedBy: ['A'] },
    ]);
  });

  it('sends each server the values of its own references only', () => {
    const b = candidate('B', [placeholder('${input:key}'), placeholder('${input:key}')]);
    expect(valuesFor(b, { '${input:key}': 'k', '${env:A_TOKEN}': 'a' })).toEqual([
      { reference: '${input:key}', value: 'k' },
    ]);
  });
});

describe('file names', () => {
  it('name the workspace and format, safe for any file system', () => {
    expect(exportFileName('Default', 'vscode')).toBe('patchbay-Default-vscode.json');
    expect(exportFileName('Team / Q3: ops', 'claude')).toBe('patchbay-Team-Q3-ops-claude.json');
    expect(exportFileName('///', 'cursor')).toBe('patchbay-workspace-cursor.json');
    expect(formatFile('claude')).toBe('Claude Desktop’s claude_desktop_config.json');
  });
});
