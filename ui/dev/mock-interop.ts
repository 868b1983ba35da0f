// Dev only: import, export and install links of the fake Rust side (mock.ts merges these handlers
// into its own). The import reads `servers` (VS Code) or `mcpServers` (Claude Desktop, Cursor)
// roughly as core does: http servers are offered, stdio ones skipped, `${input:…}`/`${env:…}`
// become placeholders. A server whose URL contains "wrong" fails its test. The launch link comes
// from `?link=none|token|oauth|refused`; `patchbayMock.installLink(…)` sends one later.
import { emit } from '@tauri-apps/api/event';
import type { Handler } from './mock-steps';
import {
  type AuthKind,
  type CandidateView,
  type ConfigFormat,
  type ConnectorView,
  EVENTS,
  type IpcError,
  type LinkOffer,
  type Placeholder,
  type Saved,
  type Skipped,
} from '../src/lib/types';

type InteropCommand = 'import_plan' | 'import_connector' | 'export_workspace' | 'take_install_offer';

const PLACEHOLDER = /\$\{(input|env):([^}]+)\}/g;

let pendingLink: LinkOffer | null = launchLink(new URLSearchParams(location.search).get('link'));

function launchLink(kind: string | null): LinkOffer | null {
  if (kind === 'refused') {
    return {
      offer: null,
      refused:
        'install links never carry secrets, and this one has "token": add the connector, then enter its token in Patchbay',
    };
  }
  if (kind === 'none' || kind === 'token' || kind === 'oauth') {
    return {
      offer: {
        name: 'Example tools',
        url: 'https://mcp.example.com/v1/mcp',
        host: 'mcp.example.com',
        auth: kind,
      },
      refused: null,
    };
  }
  return null;
}

function ipcError(code: IpcError['code'], message: string, hint: string | null = null): IpcError {
  return { code, message, hint, diagnosis: null, redirect_uri: null, run_id: null };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Read {
  format: ConfigFormat;
  candidates: CandidateView[];
  skipped: Skipped[];
}

function read(workspace: string, text: string, format: ConfigFormat | null, taken: string[]): Read {
  let file: Record<string, unknown>;
  try {
    // The files allow comments (JSONC); drop whole-line ones, as the sample files have.
    file = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
  } catch (error) {
    throw ipcError('InvalidInput', `the file is not valid JSON: ${(error as Error).message}`);
  }
  const detected: ConfigFormat = format ?? ('servers' in file ? 'vscode' : 'claude');
  const servers = (detected === 'vscode' ? file.servers : file.mcpServers) as
    | Record<string, Record<string, unknown>>
    | undefined;
  if (!servers || typeof servers !== 'object') {
    throw ipcError(
      'InvalidInput',
      `the file has no "${detected === 'vscode' ? 'servers' : 'mcpServers'}" object`,
      'Choose the format the file is in, or let Patchbay detect it.',
    );
  }
  const inputs = (file.inputs ?? []) as { id: string; description?: string; password?: boolean }[];
  const candidates: CandidateView[] = [];
  const skipped: Skipped[] = [];
  for (const [name, entry] of Object.entries(servers)) {
    if (typeof entry.url !== 'string') {
      skipped.push({ name, reason: 'it runs a local program (stdio); Patchbay connects to remote servers' });
      continue;
    }
    if (taken.includes(name)) {
      skipped.push({ name, reason: `${workspace} already has a connector named “${name}”` });
      continue;
    }
    const headers = (entry.headers ?? {}) as Record<string, string>;
    const placeholders: Placeholder[] = [];
    for (const value of [entry.url, ...Object.values(headers)]) {
      for (const match of value.matchAll(PLACEHOLDER)) {
        const [reference, kind, id] = match as unknown as [string, string, string];
        if (placeholders.some((p) => p.reference === reference)) continue;
        const input = inputs.find((i) => i.id === id);
        placeholders.push({
          reference,
          kind,
          id,
          description: input?.description ?? null,
          secret: input?.password ?? false,
        });
      }
    }
    const bearer = Object.keys(headers).find((h) => h.toLowerCase() === 'authorization');
    candidates.push({
      name,
      url: entry.url,
      auth: bearer ? 'token' : 'none',
      header_names: Object.keys(headers).filter((h) => h !== bearer),
      transport: entry.type === 'sse' ? 'sse' : null,
      placeholders,
      ignored: Object.keys(entry).filter((key) => !['url', 'type', 'headers'].includes(key)),
    });
  }
  return { format: detected, candidates, skipped };
}

export function interopHandlers(
  connectors: ConnectorView[],
  create: (workspace: string, name: string, url: string, auth: AuthKind, headers: string[]) => Saved,
): { [C in InteropCommand]: Handler<C> } {
  const taken = (workspace: string) =>
    connectors.filter((c) => c.workspace === workspace).map((c) => c.name);
  return {
    import_plan: async ({ workspace, text, format }) => {
      await delay(300);
      return read(workspace, text, format, taken(workspace));
    },
    import_connector: async ({ workspace, text, format, name, values }) => {
      const plan = read(workspace, text, format, taken(workspace));
      const candidate = plan.candidates.find((c) => c.name === name);
      if (!candidate) throw ipcError('InvalidInput', `the file has no server “${name}” to add`);
      for (const placeholder of candidate.placeholders) {
        if (!values.some((v) => v.reference === placeholder.reference && v.value !== '')) {
          throw ipcError('InvalidInput', `enter a value for ${placeholder.reference}`);
        }
      }
      await delay(1400);
      if (candidate.url.includes('wrong')) {
        throw ipcError(
          'Unreachable',
          `couldn’t connect to ${candidate.url}: connection refused`,
          'Is the server running? Check the host and port in the URL.',
        );
      }
      return create(workspace, name, candidate.url, candidate.auth, candidate.header_names);
    },
    export_workspace: async ({ workspace, format, includeSecrets }) => {
      await delay(200);
      const servers: Record<string, unknown> = {};
      const inputs: unknown[] = [];
      for (const c of connectors.filter((c) => c.workspace === workspace && c.auth !== 'oauth')) {
        const headers: Record<string, string> = {};
        const id = c.name.toLowerCase().replace(/\W+/g, '-');
        if (c.token_set) {
          headers.Authorization = includeSecrets
            ? 'Bearer sk-live-0123456789'
            : format === 'vscode'
              ? `Bearer \${input:${id}-token}`
              : `Bearer \${env:${id.toUpperCase().replace(/-/g, '_')}_TOKEN}`;
          if (format === 'vscode' && !includeSecrets) {
            inputs.push({ type: 'promptString', id: `${id}-token`, description: `Access token for ${c.name}`, password: true });
          }
        }
        servers[c.name] = {
          ...(format === 'cursor' ? {} : { type: 'http' }),
          url: c.url,
          ...(Object.keys(headers).length > 0 ? { headers } : {}),
        };
      }
      const file =
        format === 'vscode' ? { inputs, servers } : { mcpServers: servers };
      return JSON.stringify(file, null, 2);
    },
    take_install_offer: () => {
      const link = pendingLink;
      pendingLink = null;
      return link;
    },
  };
}

/** Hands the window an install link, as the OS does while the app runs. */
export async function sendInstallLink(link: LinkOffer): Promise<void> {
  pendingLink = link;
  await emit(EVENTS.installOffer, null);
}
