// A connector's workbench as a person meets it, against a fake Rust side (test-support.ts):
// opening it from the list and going back, the Tools tab (switches, budget, search, the live
// tool list) and the playground (the form, checks at the field, destructive tools, progress,
// Cancel, raw JSON, and every kind of result).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CallOutcome, EVENTS } from './lib/types';
import {
  calls,
  connector,
  deferred,
  emit,
  ipcError,
  listening,
  openWorkbench,
  renderWorkbench,
  resetTauri,
  row,
  toolCatalog,
  toolView,
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

const docs = connector({ name: 'Docs', status: 'connected', tool_count: 3 });

const echo = toolView({
  name: 'echo',
  title: 'Echo',
  description: 'Says <b>x</b> back.',
  hints: { read_only: true, destructive: false, idempotent: null, open_world: true },
  tokens: 50,
  input_schema: {
    type: 'object',
    properties: { message: { type: 'string', description: 'What to say.' } },
    required: ['message'],
  },
});

const add = toolView({
  name: 'add',
  description: 'Adds two numbers.',
  tokens: 70,
  input_schema: {
    type: 'object',
    properties: {
      a: { type: 'number' },
      b: { type: 'integer', minimum: 0 },
      mode: { type: 'string', enum: ['fast', 'exact'] },
      verbose: { type: 'boolean' },
    },
    required: ['a', 'b'],
  },
  output_schema: { type: 'object', properties: { sum: { type: 'number' } } },
});

const wipe = toolView({
  name: 'wipe',
  description: 'Deletes everything.',
  hints: { read_only: false, destructive: true, idempotent: null, open_world: null },
  enabled: false,
  tokens: 30,
});

function tool(name: string): HTMLElement {
  return screen.getByTestId(`tool-${name}`);
}

function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function outcome(overrides: Partial<CallOutcome> = {}): CallOutcome {
  return {
    parts: [],
    structured: null,
    is_error: false,
    duration_ms: 120,
    notes: [],
    ...overrides,
  };
}

/** Opens a tool's details (schema and playground). */
async function expand(name: string) {
  await fireEvent.click(within(tool(name)).getByTestId('expand-tool'));
  return within(tool(name)).getByTestId('playground');
}

describe('opening the workbench', () => {
  it('opens from the row, shows the connector with its tabs, and Back returns to the row', async () => {
    await renderWorkbench([docs, connector({ name: 'Other' })], [echo]);

    const open = within(row('Docs')).getByRole('button', { name: 'Open Docs' });
    open.focus();
    const detail = await openWorkbench('Docs');

    expect(within(detail).getByRole('heading', { level: 1, name: 'Docs' })).toBeTruthy();
    expect(document.activeElement, 'focus moves to the connector’s heading').toBe(
      within(detail).getByRole('heading', { level: 1 }),
    );
    expect(screen.queryByTestId('connector-row'), 'the list gives way to the workbench').toBeNull();
    const tabs = within(detail)
      .getAllByRole('tab')
      .map((tab) => tab.textContent?.trim());
    expect(tabs).toEqual(['Tools', 'Resources', 'Prompts', 'Server', 'History']);
    expect(within(detail).getByRole('tab', { name: 'Tools' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(calls('tool_catalog')).toEqual([{ workspace: 'Default', name: 'Docs' }]);
    expect(text(detail)).toContain('3 tools');

    await fireEvent.click(within(detail).getByRole('button', { name: 'Back to connectors' }));
    expect(screen.queryByTestId('connector-detail')).toBeNull();
    await waitFor(() =>
      expect(document.activeElement).toBe(within(row('Docs')).getByTestId('open-connector')),
    );
  });

  it('moves between tabs with the arrow keys, Home and End', async () => {
    await renderWorkbench([docs], [echo], {
      check_history: () => [],
      resource_catalog: () => ({ resources: [], templates: [] }),
    });
    const detail = await openWorkbench('Docs');

    const toolsTab = within(detail).getByRole('tab', { name: 'Tools' });
    await fireEvent.keyDown(toolsTab, { key: 'ArrowRight' });
    const resources = within(detail).getByRole('tab', { name: 'Resources' });
    expect(resources.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(resources);
    expect(within(detail).getByTestId('panel-tools').hidden).toBe(true);

    await fireEvent.keyDown(resources, { key: 'End' });
    expect(within(detail).getByRole('tab', { name: 'History' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(toolsTab.getAttribute('aria-selected')).toBe('true');
    expect(calls('tool_catalog'), 'a tab read once stays; it is not read again').toHaveLength(1);
  });

  it('shows why the tools could not be read, and tries again', async () => {
    let fail = true;
    await renderWorkbench([docs], [echo], {
      tool_catalog: () => {
        if (fail) throw ipcError({ code: 'Unreachable', message: 'connection refused' });
        return toolCatalog([echo]);
      },
    });
    await openWorkbench('Docs');

    const failure = screen.getByTestId('tools-error');
    expect(text(failure)).toContain('Connection refused');
    fail = false;
    await fireEvent.click(within(failure).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getByTestId('tool-echo')).toBeTruthy());
  });
});

describe('the Tools tab', () => {
  it('lists each tool with its title, its description as text, declared hints and size', async () => {
    await renderWorkbench([docs], [echo, add, wipe]);
    await openWorkbench('Docs');

    const item = tool('echo');
    expect(text(item)).toContain('echo');
    expect(text(item)).toContain('Echo');
    const description = within(item).getByTestId('tool-description');
    expect(description.textContent, 'markup from a server is shown as text').toBe(
      'Says <b>x</b> back.',
    );
    expect(description.querySelector('b'), 'and never becomes an element').toBeNull();
    const hints = Array.from(item.querySelectorAll('[data-hint]')).map((badge) =>
      badge.textContent?.trim(),
    );
    expect(hints, 'only hints declared true').toEqual(['read-only', 'open-world']);
    expect(text(item)).toContain('~50 tokens');

    const destructive = tool('wipe').querySelector('[data-hint="destructive"]');
    expect(destructive?.classList.contains('warning'), 'destructive stands out').toBe(true);
    expect(tool('add').querySelectorAll('[data-hint]')).toHaveLength(0);
  });

  it('shows the budget with how it is counted, and the warning that names the fix', async () => {
    await renderWorkbench([docs], [echo, add, wipe], {
      tool_catalog: () =>
        toolCatalog([echo, add, wipe], {
          warning: 'too many tools are enabled; switch off the ones steps do not need',
        }),
    });
    await openWorkbench('Docs');

    const budget = screen.getByTestId('tool-budget');
    expect(text(budget)).toContain('2 of 3 tools enabled · ~120 tokens');
    expect(text(budget)).toContain('estimated: characters ÷ 4');
    expect(text(screen.getByTestId('budget-warning'))).toBe(
      'Too many tools are enabled; switch off the ones steps do not need',
    );
  });

  it('has no warning banner while the budget is fine', async () => {
    await renderWorkbench([docs], [echo]);
    await openWorkbench('Docs');
    expect(screen.queryByTestId('budget-warning')).toBeNull();
  });

  it('switches a tool off at once, saves it, and takes the new budget from Rust', async () => {
    const saving = deferred<ReturnType<typeof toolCatalog>>();
    await renderWorkbench([docs], [echo, add], { set_tools_enabled: () => saving.promise });
    await openWorkbench('Docs');

    const toggle = screen.getByRole('switch', { name: 'Enabled: echo' }) as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    await fireEvent.click(toggle);

    expect(calls('set_tools_enabled')).toEqual([
      { workspace: 'Default', name: 'Docs', tools: ['echo'], enabled: false },
    ]);
    expect(toggle.checked, 'the switch moves before Rust answers').toBe(false);
    expect(tool('echo').dataset.enabled).toBe('false');

    saving.resolve(toolCatalog([{ ...echo, enabled: false }, add]));
    await waitFor(() =>
      expect(text(screen.getByTestId('tool-budget'))).toContain(
        '1 of 2 tools enabled · ~70 tokens',
      ),
    );
    expect(
      (screen.getByRole('switch', { name: 'Enabled: echo' }) as HTMLInputElement).checked,
    ).toBe(false);
  });

  it('puts the switch back and says why when Rust refuses', async () => {
    await renderWorkbench([docs], [echo, add], {
      set_tools_enabled: () => {
        throw ipcError({ code: 'InvalidInput', message: 'the server lists no tool named “echo”' });
      },
    });
    await openWorkbench('Docs');

    const toggle = screen.getByRole('switch', { name: 'Enabled: echo' }) as HTMLInputElement;
    await fireEvent.click(toggle);

    await waitFor(() => expect(toggle.checked).toBe(true));
    expect(tool('echo').dataset.enabled).toBe('true');
    const toast = await screen.findByText('Couldn’t switch echo off');
    expect(text(toast.closest('[data-testid="toast"]')!)).toContain(
      'The server lists no tool named “echo”',
    );
  });

  it('switches a tool back on', async () => {
    await renderWorkbench([docs], [echo, wipe]);
    await openWorkbench('Docs');

    await fireEvent.click(screen.getByRole('switch', { name: 'Enabled: wipe' }));
    expect(calls('set_tools_enabled')).toEqual([
      { workspace: 'Default', name: 'Docs', tools: ['wipe'], enabled: true },
    ]);
    await waitFor(() =>
      expect(text(screen.getByTestId('tool-budget'))).toContain('2 of 2 tools enabled'),
    );
  });

  it('searches names, titles and descriptions', async () => {
    await renderWorkbench([docs], [echo, add, wipe]);
    await openWorkbench('Docs');

    await type(screen.getByTestId('tool-search'), 'numbers');
    expect(screen.queryByTestId('tool-echo')).toBeNull();
    expect(screen.getByTestId('tool-add')).toBeTruthy();
    await type(screen.getByTestId('tool-search'), 'ECHO');
    expect(screen.getAllByTestId(/^tool-(echo|add|wipe)$/).map((el) => el.dataset.name)).toEqual([
      'echo',
    ]);
    await type(screen.getByTestId('tool-search'), 'nothing like it');
    expect(screen.getByText('No tools match “nothing like it”.')).toBeTruthy();
  });

  it('names the tools switched off that the server no longer lists, and forgets them', async () => {
    await renderWorkbench([docs], [echo], {
      tool_catalog: () => toolCatalog([echo], { missing_disabled: ['old_tool'] }),
      set_tools_enabled: () => toolCatalog([echo]),
    });
    await openWorkbench('Docs');

    const missing = screen.getByTestId('missing-disabled');
    expect(text(missing)).toContain('Switched off but no longer listed: old_tool.');
    await fireEvent.click(within(missing).getByRole('button', { name: 'Forget them' }));
    expect(calls('set_tools_enabled')).toEqual([
      { workspace: 'Default', name: 'Docs', tools: ['old_tool'], enabled: true },
    ]);
    await waitFor(() => expect(screen.queryByTestId('missing-disabled')).toBeNull());
  });

  it('watches the tool list while the tab is shown and reads it again when it changes', async () => {
    await renderWorkbench([docs], [echo], { check_history: () => [] });
    const detail = await openWorkbench('Docs');

    expect(calls('watch_tools')).toHaveLength(1);
    const [watch] = calls('watch_tools');
    expect(watch).toMatchObject({ workspace: 'Default', name: 'Docs' });
    expect(typeof watch?.watchId).toBe('string');
    expect(listening(EVENTS.toolsChanged)).toBe(true);

    await emit(EVENTS.toolsChanged, { workspace: 'Default', connector: 'Other' });
    expect(calls('tool_catalog'), 'another connector’s change is not ours').toHaveLength(1);
    await emit(EVENTS.toolsChanged, { workspace: 'Default', connector: 'Docs' });
    await waitFor(() => expect(calls('tool_catalog')).toHaveLength(2));
    expect(text(screen.getByTestId('tools-live-note'))).toContain('tool list changed');

    await fireEvent.click(within(detail).getByRole('tab', { name: 'History' }));
    expect(calls('unwatch_tools'), 'leaving the tab stops the watch').toEqual([
      { watchId: watch?.watchId },
    ]);
    await fireEvent.click(within(detail).getByRole('tab', { name: 'Tools' }));
    expect(calls('watch_tools')).toHaveLength(2);
    await fireEvent.click(within(detail).getByRole('button', { name: 'Back to connectors' }));
    expect(calls('unwatch_tools')).toHaveLength(2);
  });

  it('shows the schema readable, and raw as JSON', async () => {
    await renderWorkbench([docs], [add]);
    await openWorkbench('Docs');
    await expand('add');

    const input = within(tool('add')).getByTestId('input-schema');
    const parameters = Array.from(input.querySelectorAll('[data-parameter]')).map((row) =>
      text(row),
    );
    expect(parameters).toEqual([
      'a number required',
      'b integer required at least 0',
      'mode string One of "fast" "exact"',
      'verbose boolean',
    ]);
    expect(within(tool('add')).getByTestId('output-schema')).toBeTruthy();
    await fireEvent.click(within(input).getByRole('button', { name: 'Raw JSON' }));
    const raw = input.querySelector('pre');
    expect(JSON.parse(raw?.textContent ?? '')).toEqual(add.input_schema);
  });
});

describe('the playground', () => {
  it('checks every field before sending, says what is wrong at the field, and sends typed arguments', async () => {
    await renderWorkbench([docs], [add], {
      call_tool: () => outcome({ parts: [{ kind: 'text', text: 'The sum is 42.' }] }),
    });
    await openWorkbench('Docs');
    const playground = await expand('add');

    const a = within(playground).getByLabelText('a');
    const b = within(playground).getByLabelText('b');
    expect(a.getAttribute('aria-required')).toBe('true');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));

    expect(calls('call_tool'), 'nothing is sent while a field is wrong').toEqual([]);
    expect(a.getAttribute('aria-invalid')).toBe('true');
    expect(
      document.getElementById(a.getAttribute('aria-describedby')!.split(' ').pop()!)?.textContent,
    ).toBe('Required.');
    expect(document.activeElement, 'the first field to fix has the focus').toBe(a);

    await type(a, 'seventeen');
    await type(b, '2.5');
    expect(text(playground)).toContain('Enter a number.');
    expect(text(playground)).toContain('Enter a whole number.');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    expect(calls('call_tool')).toEqual([]);

    await type(b, '-1');
    expect(text(playground)).toContain('Must be at least 0.');

    await type(a, '17');
    await type(b, '25');
    await fireEvent.change(within(playground).getByLabelText('mode'), { target: { value: '1' } });
    await fireEvent.click(within(playground).getByLabelText('verbose'));
    expect(a.getAttribute('aria-invalid')).toBe('false');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));

    await waitFor(() => expect(calls('call_tool')).toHaveLength(1));
    const [sent] = calls('call_tool');
    expect(sent).toMatchObject({
      workspace: 'Default',
      name: 'Docs',
      tool: 'add',
      arguments: { a: 17, b: 25, mode: 'exact', verbose: true },
    });
    expect(typeof sent?.callId).toBe('string');
    const result = await within(tool('add')).findByTestId('call-result');
    expect(text(result)).toContain('The sum is 42.');
    expect(text(result)).toContain('120 ms');
  });

  it('runs a tool without arguments as it is', async () => {
    await renderWorkbench([docs], [toolView({ name: 'ping' })], { call_tool: () => outcome() });
    await openWorkbench('Docs');
    const playground = await expand('ping');

    expect(text(playground)).toContain('This tool takes no arguments.');
    await fireEvent.click(within(playground).getByTestId('run-tool'));
    await waitFor(() => expect(calls('call_tool')[0]?.arguments).toEqual({}));
    expect(text(await within(tool('ping')).findByTestId('call-result'))).toContain(
      'The tool returned nothing.',
    );
  });

  it('asks before running a tool the server marks destructive', async () => {
    const destructive = { ...wipe, enabled: true };
    await renderWorkbench([docs], [destructive], { call_tool: () => outcome() });
    await openWorkbench('Docs');
    const playground = await expand('wipe');

    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Run “wipe”?' });
    expect(text(dialog)).toContain('destructive');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls('call_tool'), 'cancelled: nothing ran').toEqual([]);

    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    dialog = screen.getByRole('alertdialog', { name: 'Run “wipe”?' });
    await fireEvent.click(within(dialog).getByTestId('confirm-run-tool'));
    await waitFor(() => expect(calls('call_tool')).toHaveLength(1));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('shows progress while the tool runs, and Cancel stops it', async () => {
    const running = deferred<CallOutcome>();
    await renderWorkbench([docs], [echo], {
      call_tool: () => running.promise,
      cancel_tool_call: () => null,
    });
    await openWorkbench('Docs');
    const playground = await expand('echo');

    await type(within(playground).getByLabelText('message'), 'hi');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    const progress = await within(tool('echo')).findByTestId('call-progress');
    expect(text(progress)).toContain('Running echo…');
    const callId = calls('call_tool')[0]?.callId as string;

    await emit(EVENTS.toolProgress, {
      call_id: 'someone-else',
      progress: { progress: 9, total: 10, message: 'not ours' },
    });
    expect(text(progress)).not.toContain('not ours');
    await emit(EVENTS.toolProgress, {
      call_id: callId,
      progress: { progress: 3, total: 10, message: 'Reading page 3' },
    });
    const bar = within(progress).getByRole('progressbar', { name: 'Progress of echo' });
    expect(bar.getAttribute('aria-valuenow')).toBe('3');
    expect(bar.getAttribute('aria-valuemax')).toBe('10');
    expect(text(progress)).toContain('Reading page 3');
    expect(text(progress)).toContain('3 of 10');

    await fireEvent.click(within(playground).getByRole('button', { name: 'Cancel' }));
    expect(calls('cancel_tool_call')).toEqual([{ callId }]);
    running.reject(ipcError({ code: 'Cancelled', message: 'tool call cancelled' }));
    expect(text(await within(tool('echo')).findByTestId('call-cancelled'))).toContain('Cancelled.');
    expect(within(tool('echo')).queryByRole('alert'), 'a cancel is not an error').toBeNull();
  });

  it('keeps the focus on the button that takes Run’s place, and back', async () => {
    const running = deferred<CallOutcome>();
    await renderWorkbench([docs], [toolView({ name: 'ping' })], {
      call_tool: () => running.promise,
    });
    await openWorkbench('Docs');
    const playground = await expand('ping');

    const run = within(playground).getByRole('button', { name: 'Run tool' });
    run.focus();
    await fireEvent.click(run);
    await waitFor(() =>
      expect(document.activeElement).toBe(
        within(playground).getByRole('button', { name: 'Cancel' }),
      ),
    );
    running.resolve(outcome());
    await waitFor(() =>
      expect(document.activeElement).toBe(
        within(playground).getByRole('button', { name: 'Run tool' }),
      ),
    );
  });

  it('shows why a call failed', async () => {
    await renderWorkbench([docs], [echo], {
      call_tool: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'connection refused',
          hint: 'Is the server running?',
        });
      },
    });
    await openWorkbench('Docs');
    const playground = await expand('echo');
    await type(within(playground).getByLabelText('message'), 'hi');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));

    const failure = await within(tool('echo')).findByTestId('call-failure');
    expect(text(failure)).toBe(
      'Couldn’t reach the server Connection refused Is the server running?',
    );
  });

  it('falls back to raw JSON for a schema the form cannot show, says why, and checks the JSON', async () => {
    const when = toolView({
      name: 'schedule',
      input_schema: {
        type: 'object',
        properties: { when: { oneOf: [{ type: 'string' }, { type: 'object', properties: {} }] } },
      },
    });
    await renderWorkbench([docs], [when], { call_tool: () => outcome() });
    await openWorkbench('Docs');
    const playground = await expand('schedule');

    expect(text(within(playground).getByTestId('form-fallback'))).toBe(
      'The form can’t show these arguments: “when” can take one of several shapes (oneOf). Enter them as JSON.',
    );
    const json = within(playground).getByLabelText('Arguments (JSON object)');
    await type(json, '{"when": ');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    expect(calls('call_tool')).toEqual([]);
    expect(json.getAttribute('aria-invalid')).toBe('true');
    expect(text(playground)).toContain('This is not valid JSON');

    await type(json, '["not", "an object"]');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    expect(text(playground)).toContain('The arguments must be a JSON object');
    expect(calls('call_tool')).toEqual([]);

    await type(json, '{"when": {"start": "09:00"}}');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    await waitFor(() =>
      expect(calls('call_tool')[0]?.arguments).toEqual({ when: { start: '09:00' } }),
    );
  });

  it('switches between the form and raw JSON, keeping what was entered', async () => {
    await renderWorkbench([docs], [add], { call_tool: () => outcome() });
    await openWorkbench('Docs');
    const playground = await expand('add');

    await type(within(playground).getByLabelText('a'), '1');
    await fireEvent.click(within(playground).getByTestId('arguments-mode'));
    const json = within(playground).getByTestId('arguments-json') as HTMLTextAreaElement;
    expect(JSON.parse(json.value)).toEqual({ a: 1 });

    await type(json, '{"a": 2, "b": 3}');
    await fireEvent.click(within(playground).getByTestId('arguments-mode'));
    expect((within(playground).getByLabelText('a') as HTMLInputElement).value).toBe('2');
    expect((within(playground).getByLabelText('b') as HTMLInputElement).value).toBe('3');

    await fireEvent.click(within(playground).getByTestId('arguments-mode'));
    await type(within(playground).getByTestId('arguments-json'), '{"c": 1}');
    await fireEvent.click(within(playground).getByTestId('arguments-mode'));
    expect(text(playground)).toContain(
      'The form can’t hold these arguments: the form has no field for “c”.',
    );
    expect(within(playground).getByTestId('arguments-json'), 'it stays in JSON').toBeTruthy();
  });

  it('shows every kind of result part, text only ever as text', async () => {
    const png = 'iVBORw0KGgo=';
    await renderWorkbench([docs], [toolView({ name: 'everything' })], {
      call_tool: () =>
        outcome({
          parts: [
            { kind: 'text', text: 'Line one\n<b>bold?</b>' },
            { kind: 'image', mime_type: 'image/png', data: png },
            { kind: 'audio', mime_type: 'audio/wav', data: 'UklGRg==' },
            {
              kind: 'resource',
              uri: 'file:///notes.md',
              mime_type: 'text/markdown',
              text: '# Notes',
              blob: null,
              blob_bytes: null,
            },
            {
              kind: 'resource',
              uri: 'file:///logo.png',
              mime_type: 'image/png',
              text: null,
              blob: png,
              blob_bytes: 8,
            },
            {
              kind: 'resource',
              uri: 'file:///data.bin',
              mime_type: 'application/octet-stream',
              text: null,
              blob: null,
              blob_bytes: 2048,
            },
            {
              kind: 'resource_link',
              uri: 'file:///big.csv',
              name: 'big.csv',
              description: 'All the rows',
              mime_type: 'text/csv',
            },
            { kind: 'omitted', what: 'a video of 40 MB' },
          ],
          structured: { sum: 42 },
          duration_ms: 1500,
          notes: ['the result was cut to 20,000 characters'],
        }),
    });
    await openWorkbench('Docs');
    const playground = await expand('everything');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));
    const result = await within(tool('everything')).findByTestId('call-result');

    const textPart = within(result).getAllByTestId('part-text')[0]!;
    expect(textPart.textContent).toBe('Line one\n<b>bold?</b>');
    expect(result.querySelector('b'), 'a tool’s text never becomes markup').toBeNull();
    const images = within(result).getAllByTestId('result-image') as HTMLImageElement[];
    expect(images.map((image) => image.getAttribute('src'))).toEqual([
      `data:image/png;base64,${png}`,
      `data:image/png;base64,${png}`,
    ]);
    expect(images[0]?.alt).toBe('Image from everything (image/png)');
    expect(result.querySelector('audio')?.getAttribute('src')).toBe(
      'data:audio/wav;base64,UklGRg==',
    );
    const resources = within(result).getAllByTestId('part-resource').map(text);
    expect(resources[0]).toContain('file:///notes.md');
    expect(resources[0]).toContain('# Notes');
    expect(resources[1]).toContain('binary, 8 bytes');
    expect(resources[2]).toContain('binary, 2.0 KB');
    expect(text(within(result).getByTestId('part-resource-link'))).toBe(
      'big.csv text/csv file:///big.csv All the rows',
    );
    expect(text(within(result).getByTestId('part-omitted'))).toBe('Not shown: a video of 40 MB');
    expect(JSON.parse(within(result).getByTestId('call-structured').textContent ?? '')).toEqual({
      sum: 42,
    });
    expect(text(within(result).getByTestId('call-notes'))).toBe(
      'The result was cut to 20,000 characters',
    );
    expect(text(within(result).getByTestId('call-duration'))).toBe('1.5 s');
    expect(result.dataset.error).toBe('false');
  });

  it('says plainly when the tool reports an error', async () => {
    await renderWorkbench([docs], [toolView({ name: 'fail' })], {
      call_tool: () => outcome({ is_error: true, parts: [{ kind: 'text', text: 'disk full' }] }),
    });
    await openWorkbench('Docs');
    const playground = await expand('fail');
    await fireEvent.click(within(playground).getByRole('button', { name: 'Run tool' }));

    const result = await within(tool('fail')).findByTestId('call-result');
    expect(result.dataset.error).toBe('true');
    expect(text(within(result).getByTestId('call-result-error'))).toBe(
      'The tool reported an error',
    );
    expect(text(result)).toContain('disk full');
  });
});
