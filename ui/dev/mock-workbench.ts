// Dev only: the connector workbench of the fake Rust side (mock.ts merges these handlers into
// its own). Every connector serves the same sample server: a dozen tools (one destructive, one
// with progress, one returning an image, schemas the form can and cannot show), a few resources
// and templates, two prompts, and server details. Switches, pause and duplicates live in memory.
// A call of `slow_report` reports progress for ten seconds (Cancel stops it); `fail` answers
// with the tool's own error; `patchbayMock.toolsChanged('Everything')` fires a tools-changed
// event for an open Tools tab.
import { emit } from '@tauri-apps/api/event';
import type { Handler } from './mock-steps';
import {
  type CallOutcome,
  type CheckView,
  type ConnectorView,
  EVENTS,
  type IpcError,
  type PromptItem,
  type ResourceCatalog,
  type ShownPart,
  type ToolCatalog,
  type ToolView,
} from '../src/lib/types';

type WorkbenchCommand =
  | 'tool_catalog'
  | 'set_tools_enabled'
  | 'call_tool'
  | 'cancel_tool_call'
  | 'watch_tools'
  | 'unwatch_tools'
  | 'resource_catalog'
  | 'read_resource'
  | 'prompt_catalog'
  | 'get_prompt'
  | 'server_details'
  | 'check_history'
  | 'diagnostics_report'
  | 'pause_connector'
  | 'resume_connector'
  | 'set_connector_notifications'
  | 'duplicate_connector';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

function ipcError(code: IpcError['code'], message: string): IpcError {
  return { code, message, hint: null, diagnosis: null, redirect_uri: null, run_id: null };
}

/** A 16×16 PNG (a purple square), as a tool would return it. */
const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGUlEQVR4nGOoKfn6nxLMMGrAqAGjBgwXAwB3EuQfCP++KAAAAABJRU5ErkJggg==';

function tool(
  name: string,
  fields: Partial<Omit<ToolView, 'name' | 'enabled'>> & { input_schema: Record<string, unknown> },
): Omit<ToolView, 'enabled'> {
  return {
    name,
    title: null,
    description: null,
    output_schema: null,
    hints: { read_only: null, destructive: null, idempotent: null, open_world: null },
    tokens: 40 + JSON.stringify(fields).length / 4,
    ...fields,
  };
}

const TOOLS = [
  tool('echo', {
    title: 'Echo',
    description: 'Echoes back the message it is given. Useful to check arguments arrive as sent.',
    hints: { read_only: true, destructive: false, idempotent: true, open_world: false },
    input_schema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'What to echo back.' } },
      required: ['message'],
    },
  }),
  tool('add', {
    title: 'Add two numbers',
    description: 'Adds a and b and returns the sum, as text and as structured content.',
    hints: { read_only: true, destructive: null, idempotent: true, open_world: false },
    input_schema: {
      type: 'object',
      properties: {
        a: { type: 'number', description: 'The first number.' },
        b: { type: 'number', description: 'The second number.' },
      },
      required: ['a', 'b'],
    },
    output_schema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
  }),
  tool('search_issues', {
    title: 'Search issues',
    description:
      'Searches the issue tracker.\nSupports filters by state, labels and a page size between 1 and 100.',
    hints: { read_only: true, destructive: false, idempotent: true, open_world: true },
    input_schema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Words to look for.', minLength: 2 },
        state: { type: 'string', enum: ['open', 'closed', 'all'], default: 'open' },
        labels: {
          type: 'array',
          items: { type: 'string' },
          description: 'Only issues with all of these labels.',
        },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        include_drafts: { type: 'boolean', description: 'Also list draft issues.' },
        author: {
          type: 'object',
          description: 'Only issues opened by this person.',
          properties: {
            login: { type: 'string' },
            team: { type: 'string', enum: ['core', 'web', 'infra'] },
          },
          required: ['login'],
        },
      },
      required: ['query'],
    },
  }),
  tool('delete_branch', {
    title: 'Delete a branch',
    description: 'Deletes a branch from the repository. This cannot be undone.',
    hints: { read_only: false, destructive: true, idempotent: true, open_world: false },
    input_schema: {
      type: 'object',
      properties: {
        repository: { type: 'string', pattern: '^[\\w.-]+/[\\w.-]+$', description: 'owner/name' },
        branch: { type: 'string' },
      },
      required: ['repository', 'branch'],
    },
  }),
  tool('slow_report', {
    title: 'Build a slow report',
    description: 'Takes about ten seconds and reports its progress while it runs.',
    hints: { read_only: true, destructive: false, idempotent: null, open_world: null },
    input_schema: {
      type: 'object',
      properties: { steps: { type: 'integer', minimum: 1, maximum: 20, default: 10 } },
    },
  }),
  tool('get_tiny_image', {
    title: 'Get a tiny image',
    description: 'Returns a small PNG, a caption and a link to where it came from.',
    hints: { read_only: true, destructive: null, idempotent: null, open_world: null },
    input_schema: { type: 'object', properties: {} },
  }),
  tool('create_event', {
    title: 'Create a calendar event',
    description: 'Creates an event. Its "when" is either a date or a time range.',
    hints: { read_only: false, destructive: false, idempotent: false, open_world: true },
    input_schema: {
      type: 'object',
      properties: {
        title: { type: 'string' },
        when: {
          anyOf: [
            { type: 'string', format: 'date' },
            { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' } } },
          ],
        },
      },
      required: ['title', 'when'],
    },
  }),
  tool('fail', {
    description:
      'Always fails with an error result, to see how a tool error looks. <b>Not bold</b>.',
    input_schema: { type: 'object', properties: {} },
  }),
];

const disabled = new Map<string, Set<string>>([['c-github', new Set(['delete_branch'])]]);
const calls = new Map<string, () => void>();
const watches = new Map<string, () => void>();

function disabledOf(target: ConnectorView): Set<string> {
  let set = disabled.get(target.id);
  if (!set) {
    set = new Set();
    disabled.set(target.id, set);
  }
  return set;
}

function catalogOf(target: ConnectorView): ToolCatalog {
  const off = disabledOf(target);
  const tools = TOOLS.map((entry) => ({
    ...entry,
    tokens: Math.round(entry.tokens),
    enabled: !off.has(entry.name),
  }));
  const enabled = tools.filter((entry) => entry.enabled);
  const enabledTokens = enabled.reduce((sum, entry) => sum + entry.tokens, 0);
  return {
    tools,
    budget: {
      enabled_tools: enabled.length,
      total_tools: tools.length,
      enabled_tokens: enabledTokens,
      total_tokens: tools.reduce((sum, entry) => sum + entry.tokens, 0),
      warning:
        enabled.length > 6
          ? `${enabled.length} tools are enabled: models choose worse among many tools; switch off those this connector’s steps do not need`
          : null,
      method: 'estimated: characters of each definition ÷ 4',
    },
    missing_disabled: [...off].filter((name) => !TOOLS.some((entry) => entry.name === name)),
  };
}

function text(value: string): ShownPart {
  return { kind: 'text', text: value };
}

async function runTool(
  toolName: string,
  args: Record<string, unknown> | null,
  callId: string,
): Promise<CallOutcome> {
  const started = Date.now();
  const done = (parts: ShownPart[], extra: Partial<CallOutcome> = {}): CallOutcome => ({
    parts,
    structured: null,
    is_error: false,
    duration_ms: Date.now() - started,
    notes: [],
    ...extra,
  });
  let cancelled = false;
  calls.set(callId, () => (cancelled = true));
  try {
    switch (toolName) {
      case 'echo':
        await delay(300);
        return done([text(String(args?.message ?? ''))]);
      case 'add': {
        await delay(250);
        const sum = Number(args?.a ?? 0) + Number(args?.b ?? 0);
        return done([text(`The sum of ${args?.a} and ${args?.b} is ${sum}.`)], {
          structured: { sum },
        });
      }
      case 'slow_report': {
        const steps = Number(args?.steps ?? 10);
        for (let step = 1; step <= steps; step += 1) {
          await delay(1000);
          if (cancelled) throw ipcError('Cancelled', 'tool call cancelled');
          await emit(EVENTS.toolProgress, {
            call_id: callId,
            progress: {
              progress: step,
              total: steps,
              message: `Step ${step}: reading section ${step}`,
            },
          });
        }
        return done([text(`Report ready: ${steps} sections, 0 problems found.`)]);
      }
      case 'get_tiny_image':
        await delay(400);
        return done([
          { kind: 'image', mime_type: 'image/png', data: TINY_PNG },
          text('A tiny purple square.'),
          {
            kind: 'resource_link',
            uri: 'file:///images/tiny.png',
            name: 'tiny.png',
            description: 'The original file',
            mime_type: 'image/png',
          },
        ]);
      case 'fail':
        await delay(300);
        return done([text('Something went wrong on purpose: <i>this is text</i>.')], {
          is_error: true,
        });
      case 'search_issues':
        await delay(700);
        return done(
          [
            text(`Found 2 issues for “${String(args?.query)}”.`),
            {
              kind: 'resource',
              uri: 'issues://42',
              mime_type: 'text/markdown',
              text: '# Login fails on Safari\n\nSteps to reproduce: …',
              blob: null,
              blob_bytes: null,
            },
            { kind: 'omitted', what: 'an audio part of 3.2 MB (larger than Patchbay shows)' },
          ],
          { notes: ['the result was cut to 20,000 characters'] },
        );
      default:
        await delay(500);
        return done([text(`${toolName} ran with ${JSON.stringify(args)}.`)]);
    }
  } finally {
    calls.delete(callId);
  }
}

const RESOURCES: ResourceCatalog = {
  resources: [
    {
      uri: 'file:///README.md',
      name: 'README.md',
      title: 'Read me',
      description: 'What this server is for.',
      mime_type: 'text/markdown',
      size: 1834,
    },
    {
      uri: 'file:///logo.png',
      name: 'logo.png',
      title: null,
      description: null,
      mime_type: 'image/png',
      size: 95,
    },
    {
      uri: 'file:///data.bin',
      name: 'data.bin',
      title: null,
      description: 'Raw sensor data.',
      mime_type: 'application/octet-stream',
      size: 40960,
    },
  ],
  templates: [
    {
      uri_template: 'repo://{owner}/{repo}/issues/{number}',
      name: 'issue',
      title: 'An issue',
      description: 'One issue of a repository.',
      mime_type: 'text/markdown',
    },
    {
      uri_template: 'file:///{+path}{?ref}',
      name: 'file',
      title: null,
      description: 'A file at a path, optionally at a ref.',
      mime_type: null,
    },
  ],
};

const PROMPTS: PromptItem[] = [
  {
    name: 'summarize_issue',
    title: 'Summarize an issue',
    description: 'Asks the model for a three-line summary of an issue.',
    arguments: [
      { name: 'issue', title: 'Issue number', description: 'Like 42.', required: true },
      { name: 'tone', title: null, description: 'Friendly, formal…', required: false },
    ],
  },
  {
    name: 'daily_standup',
    title: null,
    description: 'What changed since yesterday.',
    arguments: [],
  },
];

function history(target: ConnectorView): CheckView[] {
  if (target.status === 'unknown') return target.recent;
  return Array.from({ length: 30 }, (_, index) => {
    const failed = target.status !== 'connected' ? index < 4 : index % 11 === 7;
    return {
      checked_at: minutesAgo(index * 5 + 1),
      status: failed
        ? target.status === 'connected'
          ? 'disconnected'
          : target.status
        : 'connected',
      latency_ms: failed ? null : 60 + ((index * 37) % 90),
      tool_count: failed ? null : TOOLS.length,
      detail: failed ? (target.last_error ?? 'Connection refused (os error 111)') : null,
    };
  });
}

export function workbenchHandlers(
  connectors: ConnectorView[],
  find: (workspace: string, name: string) => ConnectorView,
  freshId: () => string,
): { [C in WorkbenchCommand]: Handler<C> } {
  return {
    tool_catalog: async ({ workspace, name }) => {
      await delay(400);
      return catalogOf(find(workspace, name));
    },
    set_tools_enabled: async ({ workspace, name, tools, enabled }) => {
      const target = find(workspace, name);
      await delay(250);
      const unknown = tools.find((entry) => !TOOLS.some((known) => known.name === entry));
      if (!enabled && unknown)
        throw ipcError('InvalidInput', `the server lists no tool named “${unknown}”`);
      const off = disabledOf(target);
      for (const entry of tools) {
        if (enabled) off.delete(entry);
        else off.add(entry);
      }
      return catalogOf(target);
    },
    call_tool: ({ workspace, name, tool: toolName, arguments: args, callId }) => {
      find(workspace, name);
      return runTool(toolName, args, callId);
    },
    cancel_tool_call: ({ callId }) => {
      calls.get(callId)?.();
      return null;
    },
    watch_tools: ({ workspace, name, watchId }) => {
      find(workspace, name);
      return new Promise((resolve) => watches.set(watchId, () => resolve(null)));
    },
    unwatch_tools: ({ watchId }) => {
      watches.get(watchId)?.();
      watches.delete(watchId);
      return null;
    },
    resource_catalog: async ({ workspace, name }) => {
      find(workspace, name);
      await delay(350);
      return RESOURCES;
    },
    read_resource: async ({ workspace, name, uri }) => {
      find(workspace, name);
      await delay(300);
      if (uri === 'file:///logo.png') {
        return {
          uri,
          parts: [
            {
              kind: 'resource',
              uri,
              mime_type: 'image/png',
              text: null,
              blob: TINY_PNG,
              blob_bytes: 95,
            },
          ],
          notes: [],
        };
      }
      if (uri === 'file:///data.bin') {
        return {
          uri,
          parts: [
            {
              kind: 'resource',
              uri,
              mime_type: 'application/octet-stream',
              text: null,
              blob: null,
              blob_bytes: 40960,
            },
          ],
          notes: [],
        };
      }
      if (uri.includes('missing'))
        throw ipcError('ServerError', `the server has no resource ${uri}`);
      return {
        uri,
        parts: [
          {
            kind: 'resource',
            uri,
            mime_type: 'text/markdown',
            text: `# ${uri}\n\nThis is the text of ${uri}.\nIt keeps its line breaks.`,
            blob: null,
            blob_bytes: null,
          },
        ],
        notes: [],
      };
    },
    prompt_catalog: async ({ workspace, name }) => {
      find(workspace, name);
      await delay(300);
      return PROMPTS;
    },
    get_prompt: async ({ workspace, name, prompt, arguments: args }) => {
      find(workspace, name);
      await delay(400);
      return {
        description: null,
        messages: [
          {
            role: 'user',
            part: text(
              prompt === 'summarize_issue'
                ? `Summarize issue #${args?.issue ?? '?'} in three lines${args?.tone ? `, in a ${args.tone} tone` : ''}.`
                : 'What changed since yesterday?',
            ),
          },
          { role: 'assistant', part: text('Sure — here is what I will look at first…') },
        ],
      };
    },
    server_details: async ({ workspace, name }) => {
      const target = find(workspace, name);
      await delay(600);
      return {
        name: 'mcp-servers/everything',
        title: `${target.name} server`,
        version: '2025.7.1',
        description: 'A server that exercises every feature of the protocol.',
        website_url: 'https://github.com/modelcontextprotocol/servers',
        icon: `data:image/png;base64,${TINY_PNG}`,
        icon_sources: ['https://example.com/icon-dark.svg'],
        protocol_version: '2025-06-18',
        capabilities: {
          tools: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          prompts: {},
          logging: {},
        },
        instructions:
          'Use echo to check arguments.\nCall slow_report only when the person asks for a report.',
        transport: target.url.includes('/sse') ? 'legacy_sse' : 'streamable_http',
        connected_in_ms: 142,
      };
    },
    check_history: async ({ workspace, name }) => {
      const target = find(workspace, name);
      await delay(200);
      return history(target);
    },
    diagnostics_report: async ({ workspace, name }) => {
      const target = find(workspace, name);
      await delay(500);
      return [
        `Patchbay diagnostics — ${new Date().toISOString()}`,
        `Connector: ${target.name}`,
        `URL: ${target.url}`,
        `Auth: ${target.auth}${target.token_set ? ' (token stored: [redacted])' : ''}`,
        `Headers: ${target.header_names.map((header) => `${header}: [redacted]`).join(', ') || 'none'}`,
        `Status: ${target.status}${target.paused ? ' (paused)' : ''}`,
        `Last error: ${target.last_error ?? 'none'}`,
        '',
        'Last checks:',
        ...history(target)
          .slice(0, 5)
          .map((check) => `  ${check.checked_at}  ${check.status}  ${check.latency_ms ?? '-'} ms`),
      ].join('\n');
    },
    pause_connector: ({ workspace, name }) => {
      const target = find(workspace, name);
      target.paused = true;
      return { ...target };
    },
    resume_connector: ({ workspace, name }) => {
      const target = find(workspace, name);
      target.paused = false;
      return { ...target };
    },
    set_connector_notifications: ({ workspace, name, on }) => {
      const target = find(workspace, name);
      target.muted = !on;
      return { ...target };
    },
    duplicate_connector: ({ workspace, name, newName }) => {
      const target = find(workspace, name);
      let copyName = newName ?? `${target.name} (copy)`;
      for (let n = 2; newName === null && connectors.some((c) => c.name === copyName); n += 1) {
        copyName = `${target.name} (copy ${n})`;
      }
      if (connectors.some((c) => c.workspace === workspace && c.name === copyName)) {
        throw ipcError('InvalidInput', `a connector named “${copyName}” already exists`);
      }
      const copy: ConnectorView = {
        ...target,
        id: freshId(),
        name: copyName,
        status: 'unknown',
        last_checked_at: null,
        last_error: null,
        recent: [],
        network: {},
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      };
      connectors.push(copy);
      return { ...copy };
    },
  };
}

/** Tells an open Tools tab that `name`'s tools changed. */
export async function toolsChanged(workspace: string, name: string): Promise<void> {
  await emit(EVENTS.toolsChanged, { workspace, connector: name });
}
