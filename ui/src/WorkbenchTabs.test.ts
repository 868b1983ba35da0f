// The workbench's other tabs as a person meets them: resources (read and previewed, templates
// filled in), prompts (arguments checked at the field, messages shown), what the server says of
// itself, and the history with Copy diagnostics.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResourceCatalog, ServerDetails } from './lib/types';
import {
  calls,
  connector,
  deferred,
  fakeClipboard,
  ipcError,
  openWorkbench,
  renderWorkbench,
  resetTauri,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const docs = connector({ name: 'Docs', status: 'connected' });
const PNG = 'iVBORw0KGgo=';

function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

async function openTab(name: string) {
  const detail = await openWorkbench('Docs');
  await fireEvent.click(within(detail).getByRole('tab', { name }));
  return within(detail).getByRole('tabpanel', { name });
}

const catalog: ResourceCatalog = {
  resources: [
    {
      uri: 'file:///README.md',
      name: 'README.md',
      title: 'Read me',
      description: null,
      mime_type: 'text/markdown',
      size: 2048,
    },
    {
      uri: 'file:///logo.png',
      name: 'logo.png',
      title: null,
      description: null,
      mime_type: 'image/png',
      size: 8,
    },
    {
      uri: 'file:///data.bin',
      name: 'data.bin',
      title: null,
      description: null,
      mime_type: null,
      size: null,
    },
  ],
  templates: [
    {
      uri_template: 'repo://{owner}/{repo}{?ref}',
      name: 'repository',
      title: null,
      description: 'A repository at a ref.',
      mime_type: null,
    },
  ],
};

function readBack(args: Record<string, unknown>) {
  const uri = args.uri as string;
  if (uri === 'file:///logo.png') {
    return {
      uri,
      parts: [
        { kind: 'resource', uri, mime_type: 'image/png', text: null, blob: PNG, blob_bytes: 8 },
      ],
      notes: [],
    };
  }
  if (uri === 'file:///data.bin') {
    return {
      uri,
      parts: [{ kind: 'resource', uri, mime_type: null, text: null, blob: null, blob_bytes: 4096 }],
      notes: ['the contents were cut to 1 MB'],
    };
  }
  return {
    uri,
    parts: [
      {
        kind: 'resource',
        uri,
        mime_type: 'text/plain',
        text: `Text of ${uri}\n<b>not bold</b>`,
        blob: null,
        blob_bytes: null,
      },
    ],
    notes: [],
  };
}

describe('the Resources tab', () => {
  it('lists resources and templates, and previews a resource when chosen', async () => {
    await renderWorkbench([docs], [], { resource_catalog: () => catalog, read_resource: readBack });
    const panel = await openTab('Resources');
    await waitFor(() => expect(within(panel).getAllByTestId('resource-item')).toHaveLength(3));

    const [readme, logo, data] = within(panel).getAllByTestId('resource-item');
    expect(text(readme!)).toBe('Read me file:///README.md text/markdown 2.0 KB');
    await fireEvent.click(readme!);
    expect(calls('read_resource')).toEqual([
      { workspace: 'Default', name: 'Docs', uri: 'file:///README.md' },
    ]);
    const preview = within(panel).getByTestId('resource-preview');
    await waitFor(() =>
      expect(preview.querySelector('pre')?.textContent).toBe(
        'Text of file:///README.md\n<b>not bold</b>',
      ),
    );
    expect(preview.querySelector('b')).toBeNull();
    expect(readme?.getAttribute('aria-current')).toBe('true');

    await fireEvent.click(logo!);
    await waitFor(() =>
      expect(within(preview).getByTestId('result-image').getAttribute('src')).toBe(
        `data:image/png;base64,${PNG}`,
      ),
    );

    await fireEvent.click(data!);
    await waitFor(() => expect(text(preview)).toContain('binary, 4.0 KB'));
    expect(text(preview)).toContain('The contents were cut to 1 MB');
  });

  it('fills in a template, shows the URI it makes, and reads it', async () => {
    await renderWorkbench([docs], [], { resource_catalog: () => catalog, read_resource: readBack });
    const panel = await openTab('Resources');
    const template = await within(panel).findByTestId('template-item');

    await type(within(template).getByLabelText('owner'), 'ada');
    await type(within(template).getByLabelText('repo'), 'engine');
    expect(within(template).getByTestId('template-uri').textContent).toBe('repo://ada/engine');
    await type(within(template).getByLabelText('ref'), 'v1');
    expect(within(template).getByTestId('template-uri').textContent).toBe(
      'repo://ada/engine?ref=v1',
    );
    await fireEvent.click(within(template).getByRole('button', { name: 'Read' }));
    expect(calls('read_resource')).toEqual([
      { workspace: 'Default', name: 'Docs', uri: 'repo://ada/engine?ref=v1' },
    ]);
  });

  it('shows why a resource could not be read', async () => {
    await renderWorkbench([docs], [], {
      resource_catalog: () => catalog,
      read_resource: () => {
        throw ipcError({ code: 'ServerError', message: 'no such resource' });
      },
    });
    const panel = await openTab('Resources');
    await fireEvent.click((await within(panel).findAllByTestId('resource-item'))[0]!);
    expect(text(await within(panel).findByRole('alert'))).toBe(
      'The server returned an error No such resource',
    );
  });

  it('says when the server offers no resources', async () => {
    await renderWorkbench([docs], [], {
      resource_catalog: () => ({ resources: [], templates: [] }),
    });
    const panel = await openTab('Resources');
    expect(await within(panel).findByText('Docs offers no resources.')).toBeTruthy();
  });
});

describe('the Prompts tab', () => {
  const prompts = [
    {
      name: 'summarize',
      title: 'Summarize',
      description: 'Three lines about an issue.',
      arguments: [
        { name: 'issue', title: null, description: 'Its number.', required: true },
        { name: 'tone', title: null, description: null, required: false },
      ],
    },
    { name: 'standup', title: null, description: null, arguments: [] },
  ];

  it('checks required arguments at the field, then shows the messages by role', async () => {
    await renderWorkbench([docs], [], {
      prompt_catalog: () => prompts,
      get_prompt: () => ({
        description: null,
        messages: [
          { role: 'user', part: { kind: 'text', text: 'Summarize issue 42 <i>now</i>' } },
          { role: 'assistant', part: { kind: 'image', mime_type: 'image/png', data: PNG } },
        ],
      }),
    });
    const panel = await openTab('Prompts');
    await fireEvent.click(await within(panel).findByTestId('prompt-summarize'));

    const issue = within(panel).getByLabelText('issue');
    expect(issue.getAttribute('aria-required')).toBe('true');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Get prompt' }));
    expect(calls('get_prompt'), 'nothing is asked while a required argument is empty').toEqual([]);
    expect(issue.getAttribute('aria-invalid')).toBe('true');
    expect(text(panel)).toContain('Required.');

    await type(issue, '42');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Get prompt' }));
    expect(calls('get_prompt')).toEqual([
      { workspace: 'Default', name: 'Docs', prompt: 'summarize', arguments: { issue: '42' } },
    ]);
    const messages = await within(panel).findByTestId('prompt-messages');
    const items = within(messages).getAllByRole('listitem').map(text);
    expect(items[0]).toBe('user Summarize issue 42 <i>now</i>');
    expect(messages.querySelector('i')).toBeNull();
    expect(items[1]).toContain('assistant');
    expect(within(messages).getByTestId('result-image').getAttribute('src')).toBe(
      `data:image/png;base64,${PNG}`,
    );
  });

  it('gets a prompt without arguments with none', async () => {
    await renderWorkbench([docs], [], {
      prompt_catalog: () => prompts,
      get_prompt: () => ({ description: null, messages: [] }),
    });
    const panel = await openTab('Prompts');
    await fireEvent.click(await within(panel).findByTestId('prompt-standup'));
    await fireEvent.click(within(panel).getByRole('button', { name: 'Get prompt' }));
    expect(calls('get_prompt')[0]?.arguments).toBeNull();
  });
});

describe('the Server tab', () => {
  const details: ServerDetails = {
    name: 'everything',
    title: 'Everything server',
    version: '2.0.1',
    description: 'Exercises the whole protocol.',
    website_url: 'https://example.com',
    icon: `data:image/png;base64,${PNG}`,
    icon_sources: ['https://cdn.example.com/icon.svg'],
    protocol_version: '2025-06-18',
    capabilities: { tools: { listChanged: true }, logging: {} },
    instructions: 'Call <echo> first.\nThen the rest.',
    transport: 'legacy_sse',
    connected_in_ms: 230,
  };

  it('shows what the server says of itself, loading only its inline icon', async () => {
    const answer = deferred<ServerDetails>();
    await renderWorkbench([docs], [], { server_details: () => answer.promise });
    const panel = await openTab('Server');
    expect(text(within(panel).getByRole('status'))).toBe('Connecting to Docs…');
    answer.resolve(details);

    const shown = await within(panel).findByTestId('server-details');
    expect(text(shown)).toContain('Everything server');
    expect(text(shown)).toContain('version 2.0.1');
    expect(text(shown)).toContain('2025-06-18');
    expect(text(within(shown).getByTestId('server-transport'))).toBe('HTTP + SSE (legacy)');
    expect(text(shown)).toContain('230 ms');
    const images = Array.from(shown.querySelectorAll('img')).map((image) =>
      image.getAttribute('src'),
    );
    expect(images, 'only the data: icon is an image').toEqual([details.icon]);
    expect(text(shown)).toContain('https://cdn.example.com/icon.svg');
    expect(within(shown).getByTestId('server-instructions').textContent).toBe(
      'Call <echo> first.\nThen the rest.',
    );
    expect(within(shown).getAllByRole('listitem').map(text)).toEqual(
      expect.arrayContaining(['tools (list changes)', 'logging']),
    );
    await fireEvent.click(within(shown).getByRole('button', { name: 'Raw JSON' }));
    const blocks = shown.querySelectorAll('pre');
    expect(JSON.parse(blocks[blocks.length - 1]?.textContent ?? '')).toEqual(details.capabilities);
  });

  it('never shows an icon that is not a data: URI', async () => {
    await renderWorkbench([docs], [], {
      server_details: () => ({ ...details, icon: 'https://tracker.example.com/pixel.png' }),
    });
    const panel = await openTab('Server');
    const shown = await within(panel).findByTestId('server-details');
    expect(shown.querySelector('img')).toBeNull();
  });
});

describe('the History tab', () => {
  const checks = [
    {
      checked_at: '2025-03-01T10:05:00Z',
      status: 'error' as const,
      latency_ms: null,
      tool_count: null,
      detail: 'the server answered 500',
    },
    {
      checked_at: '2025-03-01T10:00:00Z',
      status: 'connected' as const,
      latency_ms: 84,
      tool_count: 12,
      detail: null,
    },
  ];

  it('lists the checks with local time, status in words, latency and tools', async () => {
    await renderWorkbench([docs], [], { check_history: () => checks });
    const panel = await openTab('History');
    const table = await within(panel).findByTestId('check-history');

    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const cells = within(rows[1]!).getAllByRole('cell').map(text);
    expect(cells[0]).toBe(
      new Date('2025-03-01T10:00:00Z').toLocaleString(undefined, {
        dateStyle: 'medium',
        timeStyle: 'medium',
      }),
    );
    expect(cells.slice(1)).toEqual(['Connected', '84 ms', '12', '']);
    expect(within(rows[0]!).getAllByRole('cell').map(text).slice(1)).toEqual([
      'Error',
      '—',
      '—',
      'The server answered 500',
    ]);
  });

  it('copies the diagnostics report and shows what was copied', async () => {
    const clipboard = fakeClipboard();
    const report = 'Patchbay diagnostics\nConnector: Docs\nToken: [redacted]';
    await renderWorkbench([docs], [], {
      check_history: () => checks,
      diagnostics_report: () => report,
    });
    const panel = await openTab('History');

    await fireEvent.click(within(panel).getByRole('button', { name: 'Copy diagnostics' }));
    expect(calls('diagnostics_report')).toEqual([{ workspace: 'Default', name: 'Docs' }]);
    await waitFor(() => expect(clipboard).toHaveBeenCalledWith(report));
    expect(within(panel).getByTestId('diagnostics-report').textContent).toBe(report);
    expect(text(within(panel).getByTestId('diagnostics-copied'))).toBe('Copied to the clipboard.');
  });

  it('still shows the report when the clipboard refuses', async () => {
    fakeClipboard(false);
    await renderWorkbench([docs], [], {
      check_history: () => [],
      diagnostics_report: () => 'the report',
    });
    const panel = await openTab('History');

    await fireEvent.click(within(panel).getByTestId('copy-diagnostics'));
    await waitFor(() => expect(text(panel)).toContain('Copying is not allowed here'));
    expect(within(panel).getByTestId('diagnostics-report').textContent).toBe('the report');
  });
});
