// How other clients' files and install links read in the app: the file shapes by name, a URL with
// its host set apart (the part a person must check before trusting a server), the values an
// import still needs, and the exported file's name. Rust reads and writes the files; nothing here
// parses them.
import type { AuthKind, CandidateView, ConfigFormat, PlaceholderValue } from './types';

export const CONFIG_FORMATS: { format: ConfigFormat; label: string; file: string }[] = [
  { format: 'claude', label: 'Claude Desktop', file: 'claude_desktop_config.json' },
  { format: 'vscode', label: 'VS Code', file: 'mcp.json' },
  { format: 'cursor', label: 'Cursor', file: 'mcp.json' },
];

export function formatLabel(format: ConfigFormat): string {
  return CONFIG_FORMATS.find((entry) => entry.format === format)?.label ?? format;
}

/** "VS Code’s mcp.json": what a file was read as. */
export function formatFile(format: ConfigFormat): string {
  const entry = CONFIG_FORMATS.find((candidate) => candidate.format === format);
  return entry ? `${entry.label}’s ${entry.file}` : format;
}

/** The largest file Rust reads (`interop::MAX_FILE_BYTES`); a larger one is refused before sending. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A URL cut around its host, so the host can be shown apart; `host` is empty when not found. */
export interface UrlParts {
  before: string;
  host: string;
  after: string;
}

/**
 * Splits `url` around its host: `host` as Rust read it (an install link says it), or the
 * URL's own. Found only where a host stands (after `scheme://` and any user part); anything
 * else leaves the URL whole, unemphasised.
 */
export function urlParts(url: string, host: string | null = null): UrlParts {
  const whole = { before: url, host: '', after: '' };
  const name = host ?? hostOf(url);
  if (!name) return whole;
  const scheme = url.indexOf('://');
  if (scheme === -1) return whole;
  const authorityStart = scheme + 3;
  const rest = url.slice(authorityStart);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const hostStart = authority.lastIndexOf('@') + 1;
  if (!authority.slice(hostStart).toLowerCase().startsWith(name.toLowerCase())) return whole;
  const start = authorityStart + hostStart;
  return {
    before: url.slice(0, start),
    host: url.slice(start, start + name.length),
    after: url.slice(start + name.length),
  };
}

/** The host of `url`, or null when it does not parse. */
export function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/** What an install link's auth means for the person, in a sentence. */
const AUTH_WORDS: Record<AuthKind, string> = {
  none: 'None — the server answers without credentials',
  token: 'Access token — you paste it in the next step',
  oauth: 'OAuth — you sign in with the server in your browser',
};

export function authWords(auth: AuthKind): string {
  return AUTH_WORDS[auth] ?? auth;
}

/** A placeholder an import asks a value for, once for every server of the file that uses it. */
export interface NeededValue {
  reference: string;
  description: string | null;
  /** The ticked servers that use it, in the file's order. */
  usedBy: string[];
}

/**
 * The placeholders of the `chosen` candidates, one per reference (a VS Code input or an
 * environment variable is asked once however many servers use it), in the order they appear.
 */
export function neededValues(candidates: CandidateView[], chosen: Set<string>): NeededValue[] {
  const needed = new Map<string, NeededValue>();
  for (const candidate of candidates) {
    if (!chosen.has(candidate.name)) continue;
    for (const placeholder of candidate.placeholders) {
      const entry = needed.get(placeholder.reference);
      if (entry) {
        if (!entry.usedBy.includes(candidate.name)) entry.usedBy.push(candidate.name);
        entry.description ??= placeholder.description;
      } else {
        needed.set(placeholder.reference, {
          reference: placeholder.reference,
          description: placeholder.description,
          usedBy: [candidate.name],
        });
      }
    }
  }
  return [...needed.values()];
}

/** The values `candidate` needs, one per reference it has, from those typed (by reference). */
export function valuesFor(
  candidate: CandidateView,
  typed: Record<string, string>,
): PlaceholderValue[] {
  const references = [...new Set(candidate.placeholders.map((p) => p.reference))];
  return references.map((reference) => ({ reference, value: typed[reference] ?? '' }));
}

/** "patchbay-Default-vscode.json": the workspace's name kept readable, safe as a file name. */
export function exportFileName(workspace: string, format: ConfigFormat): string {
  const safe = workspace
    .trim()
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return `patchbay-${safe || 'workspace'}-${format}.json`;
}
