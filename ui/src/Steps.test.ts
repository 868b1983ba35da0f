// The Steps page as a person meets it, against a fake Rust side (test-support.ts): the page
// beside Connectors, choosing a model (the connector picker only for one that can call tools),
// a run streaming in with its approval, Cancel, failures that keep the transcript, "Try in a
// step", past runs, "always" answers and Export.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalAnswer, RunRecord, StepSpec } from './lib/types';
import {
  callRecord,
  calls,
  connector,
  deferred,
  emit,
  ipcError,
  providerView,
  renderSteps,
  renderWith,
  resetTauri,
  row,
  runRecord,
  stepView,
  turn,
  type,
  u64,
} from './test-support';
import { EVENTS } from './lib/types';

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

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  return screen.getByTestId(id) as T;
}

/** The text as a person reads it: runs of white space are one space. */
function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** A Blob's text (jsdom's Blob has no `text()`). */
function read(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

async function chooseModel(model: string) {
  await waitFor(() => expect(calls('list_models').length).toBeGreaterThan(0));
  await type(byTestId('step-model'), model);
}

/** Fills a step with `model` and Docs ticked, runs it, and answers with the run's id. */
async function startRun(model = 'tool-model', tick = true): Promise<string> {
  await chooseModel(model);
  await type(byTestId('step-prompt'), 'What is 17 + 25?');
  if (tick) await fireEvent.click(byTestId('step-connector-Docs'));
  await fireEvent.click(byTestId('step-run'));
  await waitFor(() => expect(calls('run_step')).toHaveLength(1));
  return calls('run_step')[0]?.runId as string;
}

describe('the Steps page', () => {
  it('sits beside Connectors in the header and keeps the workspace switcher', async () => {
    await renderSteps([docs]);

    expect(byTestId('nav-steps').getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('heading', { level: 1, name: 'Steps' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'MCP Connectors' }), 'Connectors is hidden').toBeNull();
    expect(calls('list_providers')).toEqual([{ workspace: 'Default' }]);
    expect(calls('discover_local_providers'), 'probing waits for the Add dialog').toEqual([]);

    await fireEvent.change(byTestId('workspace-select'), { target: { value: 'Work' } });
    await waitFor(() => expect(calls('list_providers')).toContainEqual({ workspace: 'Work' }));
    expect(byTestId('steps-page').textContent).toContain('Work');

    await fireEvent.click(byTestId('nav-connectors'));
    expect(screen.getByRole('heading', { level: 1, name: 'MCP Connectors' })).toBeTruthy();
    expect(byTestId('nav-connectors').getAttribute('aria-current')).toBe('page');
  });

  it('lists providers with whether a key is stored, never the key', async () => {
    await renderSteps([], {
      list_providers: () => [
        providerView(),
        providerView({ name: 'OpenAI', base_url: 'https://api.openai.com/v1', key_set: true }),
      ],
    });

    const rows = screen.getAllByTestId('provider-row');
    expect(rows.map((r) => r.dataset.name)).toEqual(['Local', 'OpenAI']);
    expect(text(rows[1]!)).toContain('key stored');
    expect(text(rows[0]!)).toContain('no key');
  });
});

describe('choosing a model', () => {
  it('hides the connector picker for a model that cannot call tools, and says why', async () => {
    await renderSteps([docs]);
    await chooseModel('chat-only');

    expect(screen.queryByTestId('connector-picker')).toBeNull();
    expect(text(byTestId('connector-picker-hidden-reason'))).toBe(
      'chat-only cannot call tools (known model): choose a tool-capable model to use connectors, or mark this model as able to if it is.',
    );
  });

  it('shows the picker for a model that can call tools, and for one nobody knows about', async () => {
    await renderSteps([docs]);

    await chooseModel('tool-model');
    expect(within(byTestId('connector-picker')).getByTestId('step-connector-Docs')).toBeTruthy();
    expect(screen.queryByTestId('connector-picker-hidden-reason')).toBeNull();
    expect(text(byTestId('model-verdict'))).toContain('Can call tools');
    expect(text(byTestId('model-verdict'))).toContain('known model');

    await type(byTestId('step-model'), 'mystery');
    expect(byTestId('connector-picker')).toBeTruthy();
    expect(text(byTestId('model-verdict'))).toContain('Tools unknown');
    expect(byTestId('model-unknown-note').textContent).toContain('the step will try');
  });

  it('lets the person overrule the verdict, which Rust keeps', async () => {
    let marked: boolean | null = null;
    await renderSteps([docs], {
      set_model_tools: (args) => {
        marked = args.tools as boolean | null;
        return null;
      },
      list_models: () => [
        {
          id: 'chat-only',
          display_name: null,
          tools: marked ?? false,
          tools_source: marked === null ? 'known_models' : 'override',
        },
      ],
    });
    await chooseModel('chat-only');
    expect(byTestId('connector-picker-hidden-reason')).toBeTruthy();

    await fireEvent.change(byTestId('model-tools-override'), { target: { value: 'yes' } });

    await waitFor(() => expect(byTestId('connector-picker')).toBeTruthy());
    expect(calls('set_model_tools')).toEqual([
      { workspace: 'Default', provider: 'Local', model: 'chat-only', tools: true },
    ]);
    expect(text(byTestId('model-verdict'))).toContain('your override');
  });

  it('sends no connectors for a model without tools, and a typed tool list for one with', async () => {
    const result = deferred<RunRecord>();
    await renderSteps([docs], { run_step: () => result.promise });
    await chooseModel('tool-model');
    await type(byTestId('step-prompt'), 'Add.');
    await fireEvent.click(byTestId('step-connector-Docs'));
    await type(byTestId('step-tools-Docs'), 'get-sum, echo');
    await fireEvent.click(byTestId('step-trusted-Docs'));
    await fireEvent.change(byTestId('step-approval'), { target: { value: 'read-only' } });
    await type(byTestId('step-max-rounds'), '4');
    await type(byTestId('step-temperature'), '0');
    await type(byTestId('step-seed'), '7');
    expect(text(byTestId('step-sampling'))).toContain('temperature 0 · seed 7');
    await fireEvent.click(byTestId('step-run'));

    await waitFor(() => expect(calls('run_step')).toHaveLength(1));
    const spec = calls('run_step')[0]?.spec as StepSpec;
    expect(spec.connectors).toEqual([
      { name: 'Docs', tools: ['get-sum', 'echo'], disabled_tools: [], trusted: true },
    ]);
    expect(spec).toMatchObject({
      approval: 'read-only',
      max_rounds: 4,
      model: 'tool-model',
      temperature: 0,
      seed: 7,
    });
    expect(calls('run_step')[0]?.step, 'an unsaved step runs as a one-off').toBeNull();
  });
});

describe('running a step', () => {
  it('streams the text, shows the call with its approval, and sends the answer', async () => {
    const result = deferred<RunRecord>();
    await renderSteps([docs], {
      run_step: () => result.promise,
      answer_approval: () => null,
    });
    const runId = await startRun();
    expect(byTestId('run-status').textContent).toContain('Starting');
    const send = (event: Parameters<typeof emit>[1]['event']) =>
      emit(EVENTS.stepRun, { run_id: runId, event });

    await send({ kind: 'round_started', round: 1 });
    await send({ kind: 'text', delta: 'Let me ' });
    await send({ kind: 'text', delta: 'check.' });
    await emit(EVENTS.stepRun, { run_id: 'someone-else', event: { kind: 'text', delta: 'NOISE' } });
    expect(byTestId('transcript').textContent).toContain('Let me check.');
    expect(byTestId('transcript').textContent).not.toContain('NOISE');
    expect(byTestId('run-status').textContent).toContain('tool-model is writing');

    await send({
      kind: 'call_requested',
      id: 'call-1',
      name: 'Docs__get-sum',
      connector: 'Docs',
      tool: 'get-sum',
      arguments: { a: 17, b: 25 },
    });
    await send({
      kind: 'approval_needed',
      request_id: 'approval-1',
      connector: 'Docs',
      tool: 'get-sum',
      arguments: { a: 17, b: 25 },
      read_only: true,
      destructive: false,
    });
    const card = byTestId('call-card');
    expect(text(card)).toContain('Docs.get-sum');
    const approval = within(card).getByTestId('approval-card');
    expect(text(approval)).toContain('read-only');
    expect(approval.textContent, 'the question shows the full arguments, as JSON').toContain(
      '"a": 17',
    );
    expect(byTestId('run-status').textContent).toContain('Waiting for you');

    await fireEvent.click(within(approval).getByTestId('approve-once'));
    expect(calls('answer_approval')).toEqual([
      { runId, requestId: 'approval-1', answer: 'once' },
    ]);
    expect(screen.queryByTestId('approval-card'), 'answered once').toBeNull();
    expect(text(byTestId('call-card'))).toContain('Running');

    await send({ kind: 'call_finished', call: callRecord() });
    await send({ kind: 'turn_finished', turn: turn({ calls: [callRecord()] }) });
    expect(text(byTestId('call-card'))).toContain('The sum is 42.');
    expect(text(byTestId('call-card'))).toContain('Allowed once');
    expect(byTestId('transcript').textContent, 'stray text before a call is not kept').not.toContain(
      'Let me check.',
    );

    await send({ kind: 'round_started', round: 2 });
    await send({ kind: 'text', delta: 'It is 42.' });
    expect(byTestId('transcript').textContent).toContain('It is 42.');
    result.resolve(runRecord());

    await waitFor(() => expect(byTestId('run-outcome').textContent).toContain('Answered'));
    expect(text(byTestId('run-answer'))).toBe('Answer It is 42.');
    expect(text(byTestId('run-stats'))).toBe(
      '2 rounds · 1 tool call · 4.2 s · 1,234 in / 56 out tokens',
    );
    expect(screen.queryByTestId('run-cancel'), 'nothing left to cancel').toBeNull();
    await waitFor(() => expect(calls('list_runs').length).toBeGreaterThan(1));
  });

  it.each<[string, ApprovalAnswer]>([
    ['approve-always', 'always'],
    ['approve-deny', 'deny'],
  ])('sends %s as %s', async (button, answer) => {
    await renderSteps([docs], {
      run_step: () => new Promise(() => {}),
      answer_approval: () => null,
    });
    const runId = await startRun();
    await emit(EVENTS.stepRun, {
      run_id: runId,
      event: {
        kind: 'approval_needed',
        request_id: 'approval-7',
        connector: 'Docs',
        tool: 'delete-page',
        arguments: { page: 3 },
        read_only: false,
        destructive: true,
      },
    });
    const approval = byTestId('approval-card');
    expect(text(approval)).toContain('may change or delete things');

    await fireEvent.click(within(approval).getByTestId(button));

    expect(calls('answer_approval')).toEqual([{ runId, requestId: 'approval-7', answer }]);
  });

  it('cancels, then shows the transcript kept so far', async () => {
    const result = deferred<RunRecord>();
    const cancelled = runRecord(
      {
        turns: [turn({ round: 1, calls: [callRecord()] })],
        answer: null,
        outcome: { kind: 'cancelled' },
        rounds: 1,
      },
      'run-cancelled',
    );
    await renderSteps([docs], {
      run_step: () => result.promise,
      cancel_run: () => {
        result.reject(ipcError({ code: 'Cancelled', message: 'step run cancelled', run_id: 'run-cancelled' }));
        return null;
      },
      run_record: (args) => (args.id === 'run-cancelled' ? cancelled : null),
    });
    const runId = await startRun();

    await fireEvent.click(byTestId('run-cancel'));

    expect(calls('cancel_run')).toEqual([{ runId }]);
    await waitFor(() => expect(byTestId('run-outcome').textContent).toContain('Cancelled'));
    expect(calls('run_record')).toEqual([{ workspace: 'Default', id: 'run-cancelled' }]);
    expect(byTestId('call-card').textContent).toContain('The sum is 42.');
    expect(screen.queryByTestId('run-answer')).toBeNull();
  });

  it('fetches and shows the transcript of a run that failed after it started', async () => {
    const failed = runRecord(
      {
        turns: [turn({ round: 1, calls: [callRecord({ is_error: true, result: [{ type: 'text', text: 'boom' }] })] })],
        answer: null,
        outcome: { kind: 'failed', message: 'the model server closed the connection' },
        rounds: 1,
      },
      'run-failed',
    );
    await renderSteps([docs], {
      run_step: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'the model server closed the connection',
          run_id: 'run-failed',
        });
      },
      run_record: () => failed,
    });
    await startRun();

    await waitFor(() => expect(byTestId('run-outcome').textContent).toContain('Failed'));
    expect(calls('run_record')).toEqual([{ workspace: 'Default', id: 'run-failed' }]);
    expect(byTestId('run-panel').textContent).toContain('the model server closed the connection');
    const card = byTestId('call-card');
    expect(card.dataset.state).toBe('error');
    expect(card.textContent).toContain('boom');
  });

  it('cancels a run when another workspace is chosen, rather than leave it waiting', async () => {
    await renderSteps([docs], {
      run_step: () => new Promise(() => {}),
      cancel_run: () => null,
    });
    const runId = await startRun();

    await fireEvent.change(byTestId('workspace-select'), { target: { value: 'Work' } });

    await waitFor(() => expect(calls('cancel_run')).toEqual([{ runId }]));
    expect(screen.getByText('Cancelled the run in Default')).toBeTruthy();
  });

  it('shows markup in a tool result as text, never as part of the page', async () => {
    const markup = '<img src=x onerror="window.__pwned = true">';
    const record = runRecord({
      turns: [turn({ calls: [callRecord({ result: [{ type: 'text', text: markup }] })] })],
    });
    await renderSteps([docs], { run_step: () => record });
    await startRun();

    const card = await screen.findByTestId('call-card');
    expect(card.textContent).toContain(markup);
    expect(card.querySelector('img'), 'no element was made from it').toBeNull();
  });

  it('says why a run could not start', async () => {
    await renderSteps([docs], {
      run_step: () => {
        throw ipcError({
          code: 'InvalidInput',
          message: 'connector "Docs" has no tool "get-summ"; it has: get-sum, echo',
        });
      },
    });
    await startRun();

    const error = await screen.findByTestId('run-error');
    expect(text(error)).toContain('Connector "Docs" has no tool "get-summ"; it has: get-sum, echo');
    expect(calls('run_record')).toEqual([]);
    expect(byTestId('run-status').textContent).toContain('Couldn’t start');
  });

  it('exports the run as the RunRecord JSON', async () => {
    const record = runRecord();
    await renderSteps([docs], { run_step: () => record });
    let blob: Blob | null = null;
    URL.createObjectURL = vi.fn((value: Blob) => {
      blob = value;
      return 'blob:run';
    });
    URL.revokeObjectURL = vi.fn();
    let link: HTMLAnchorElement | null = null;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      link = this;
    });
    await startRun();
    await fireEvent.click(await screen.findByTestId('run-export'));

    expect(link!.download).toBe('patchbay-run-run-1.json');
    expect(link!.href).toBe('blob:run');
    expect(blob!.type).toBe('application/json');
    expect(JSON.parse(await read(blob!))).toEqual(JSON.parse(JSON.stringify(record)));
  });
});

describe('saved steps', () => {
  it('saves a step by name and runs it under that name', async () => {
    const saved = stepView({ name: 'Sum', prompt: 'Add.' });
    await renderSteps([docs], {
      save_step: () => saved,
      run_step: () => new Promise(() => {}),
    });
    await chooseModel('tool-model');
    await type(byTestId('step-prompt'), 'Add.');
    await fireEvent.click(byTestId('step-save'));
    expect(screen.getByText('Enter a name to save this step.')).toBeTruthy();
    expect(calls('save_step')).toEqual([]);

    await type(byTestId('step-name'), 'Sum');
    await fireEvent.click(byTestId('step-save'));
    await waitFor(() => expect(calls('save_step')).toHaveLength(1));
    expect(calls('save_step')[0]).toMatchObject({
      workspace: 'Default',
      name: 'Sum',
      spec: { provider: 'Local', model: 'tool-model', prompt: 'Add.', max_rounds: 10 },
    });
    await waitFor(() => expect(screen.getByTestId('saved-step').dataset.name).toBe('Sum'));

    await fireEvent.click(byTestId('step-run'));
    await waitFor(() => expect(calls('run_step')[0]?.step).toBe('Sum'));
  });

  it('lists past runs and opens one with its transcript', async () => {
    await renderSteps([docs], {
      list_runs: () => [
        {
          id: 'run-1',
          step: null,
          provider: 'Local',
          model: 'tool-model',
          outcome: 'max_rounds',
          started_at: '2025-01-01T10:00:00Z',
          duration_ms: 4200,
          rounds: 10,
          tool_calls: 9,
          input_tokens: 5000,
          output_tokens: 300,
        },
      ],
      run_record: () => runRecord({ outcome: { kind: 'max_rounds' }, rounds: 10 }),
    });

    const pastRun = await screen.findByTestId('past-run');
    expect(text(pastRun)).toContain('Stopped at max rounds');
    expect(text(pastRun)).toContain('4.2 s · 10 rounds · 9 calls');
    expect(text(pastRun)).toContain('5,000 in / 300 out tokens');
    await fireEvent.click(within(pastRun).getByRole('button'));

    const dialog = await screen.findByTestId('run-dialog');
    await waitFor(() => expect(within(dialog).getByTestId('call-card')).toBeTruthy());
    expect(calls('run_record')).toEqual([{ workspace: 'Default', id: 'run-1' }]);
    expect(within(dialog).getByTestId('run-outcome').textContent).toContain('Stopped at max rounds');
    expect(within(dialog).getByTestId('run-answer').textContent).toContain('It is 42.');
  });

  it('lists the tools always allowed and revokes one', async () => {
    await renderSteps([], {
      always_allowed: () => [
        { connector: 'GitHub', tool: 'search', since: '2025-01-01T10:00:00Z' },
        { connector: 'Docs', tool: 'get-sum', since: '2025-01-01T10:00:00Z' },
      ],
      revoke_always: () => null,
    });

    await waitFor(() => expect(screen.getAllByTestId('always-row')).toHaveLength(2));
    const github = screen.getAllByTestId('always-row')[0]!;
    await fireEvent.click(within(github).getByTestId('revoke-always'));

    await waitFor(() => expect(screen.getAllByTestId('always-row')).toHaveLength(1));
    expect(calls('revoke_always')).toEqual([
      { workspace: 'Default', connector: 'GitHub', tool: 'search' },
    ]);
    expect(screen.getByTestId('always-row').dataset.tool).toBe('Docs.get-sum');
  });
});

describe('Try in a step', () => {
  it('opens a new step with the connector and the first tool-capable model, ready to run', async () => {
    const models = deferred<unknown>();
    await renderWith([docs], {
      list_providers: () => [providerView()],
      list_models: () => models.promise,
      list_steps: () => [],
      list_runs: () => [],
      always_allowed: () => [],
    });

    await fireEvent.click(within(row('Docs')).getByTestId('try-in-step'));

    expect(await screen.findByText('Preparing a step with Docs…')).toBeTruthy();
    expect(screen.queryByTestId('step-model'), 'nothing to type into until it is ready').toBeNull();
    models.resolve([
      { id: 'chat-only', display_name: null, tools: false, tools_source: 'known_models' },
      { id: 'tool-model', display_name: null, tools: true, tools_source: 'known_models' },
    ]);

    await waitFor(() =>
      expect(byTestId<HTMLInputElement>('step-model').value).toBe('tool-model'),
    );
    expect(byTestId('nav-steps').getAttribute('aria-current')).toBe('page');
    expect(byTestId<HTMLSelectElement>('step-provider').value).toBe('Local');
    expect(byTestId<HTMLInputElement>('step-connector-Docs').checked).toBe(true);
    expect(byTestId<HTMLTextAreaElement>('step-prompt').value).toContain('Docs');
    expect(document.activeElement).toBe(byTestId('step-run'));
    expect(text(byTestId('step-editor'))).toContain('Not saved');
  });
});

describe('adding a provider', () => {
  it('shows what Rust says in the form and never echoes the key', async () => {
    const key = 'sk-test-SECRET-1234';
    let reject = true;
    await renderSteps([], {
      discover_local_providers: () => [],
      add_provider: (args) => {
        if (reject) {
          throw ipcError({
            code: 'NeedsAuth',
            message: 'the provider rejected the API key (HTTP 401 invalid_api_key)',
            hint: 'check the key, or make a new one',
          });
        }
        const input = args.input as { name: string; base_url: string };
        return providerView({ name: input.name, base_url: input.base_url, key_set: true });
      },
    });
    await fireEvent.click(byTestId('add-provider'));
    const dialog = await screen.findByTestId('provider-dialog');
    expect(byTestId<HTMLInputElement>('provider-base-url').placeholder).toBe(
      'http://127.0.0.1:11434/v1',
    );
    await fireEvent.change(byTestId('provider-kind'), { target: { value: 'anthropic' } });
    expect(byTestId<HTMLInputElement>('provider-base-url').placeholder).toBe(
      'https://api.anthropic.com/v1',
    );
    await type(byTestId('provider-name'), 'Claude');
    await type(byTestId('provider-base-url'), 'https://api.anthropic.com/v1');
    await type(byTestId('provider-api-key'), key);
    expect(byTestId<HTMLInputElement>('provider-api-key').type).toBe('password');

    await fireEvent.click(byTestId('provider-save'));

    const error = await within(dialog).findByTestId('provider-error');
    expect(text(error)).toContain('The server needs authentication');
    expect(text(error)).toContain('The provider rejected the API key (HTTP 401 invalid_api_key)');
    expect(text(error)).toContain('Check the key, or make a new one');
    expect(calls('add_provider')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Claude',
          kind: 'anthropic',
          base_url: 'https://api.anthropic.com/v1',
          api_key: key,
        },
      },
    ]);
    expect(document.body.textContent, 'the key is never shown').not.toContain(key);

    reject = false;
    await fireEvent.click(byTestId('provider-save'));

    await waitFor(() => expect(screen.queryByTestId('provider-dialog')).toBeNull());
    const added = screen.getAllByTestId('provider-row').find((r) => r.dataset.name === 'Claude')!;
    expect(text(added)).toContain('key stored');
    expect(document.body.textContent).not.toContain(key);
  });

  it('offers the servers found on this computer, with progress while it looks', async () => {
    const found = deferred<unknown>();
    await renderSteps([], {
      list_providers: () => [],
      discover_local_providers: () => found.promise,
      add_provider: (args) => {
        const input = args.input as { name: string; base_url: string };
        return providerView({ name: input.name, base_url: input.base_url });
      },
    });
    expect(screen.getByRole('heading', { name: 'No model provider yet' })).toBeTruthy();
    await fireEvent.click(byTestId('add-provider'));

    const dialog = await screen.findByTestId('provider-dialog');
    expect(within(dialog).getByText('Looking for model servers on this computer…')).toBeTruthy();
    expect(calls('discover_local_providers')).toEqual([{}]);
    found.resolve([
      {
        kind: 'openai-compatible',
        suggested_name: 'Ollama',
        base_url: 'http://127.0.0.1:11434/v1',
        models: ['qwen2.5:7b', 'gemma2:2b'],
      },
      { kind: 'openai-compatible', suggested_name: 'LM Studio', base_url: 'http://127.0.0.1:1234/v1', models: [] },
    ]);

    const entries = await within(dialog).findAllByTestId('local-provider');
    expect(entries.map((e) => e.dataset.name)).toEqual(['Ollama', 'LM Studio']);
    expect(text(entries[0]!)).toContain('2 models');
    expect(text(entries[1]!)).toContain('no models downloaded yet');

    await fireEvent.click(within(entries[0]!).getByRole('button', { name: /Add Ollama/ }));

    await waitFor(() => expect(screen.queryByTestId('provider-dialog')).toBeNull());
    expect(calls('add_provider')).toEqual([
      {
        workspace: 'Default',
        input: {
          name: 'Ollama',
          kind: 'openai-compatible',
          base_url: 'http://127.0.0.1:11434/v1',
          api_key: null,
        },
      },
    ]);
    expect(screen.getByTestId('provider-row').dataset.name).toBe('Ollama');
    expect(byTestId<HTMLSelectElement>('step-provider').value, 'the new step uses it').toBe(
      'Ollama',
    );
  });

});

describe('the tool budget under the picker', () => {
  it('shows what the ticked connectors offer the model, asking Rust once they settle', async () => {
    const mail = connector({ name: 'Mail', url: 'https://mail.example/mcp', status: 'connected' });
    const budget = (tools: number, tokens: number, warning: string | null = null) => ({
      enabled_tools: tools,
      total_tools: tools + 1,
      enabled_tokens: tokens,
      total_tokens: tokens + 100,
      warning,
      method: 'about 4 characters per token',
    });
    await renderSteps([docs, mail], {
      step_budget: (args) => {
        const spec = args.spec as StepSpec;
        const names = spec.connectors.map((c) => c.name);
        if (names.includes('Mail')) {
          return {
            connectors: [
              { connector: 'Docs', budget: budget(3, 1200) },
              { connector: 'Mail', budget: budget(45, 11800) },
            ],
            total: budget(
              48,
              13000,
              'This step offers 48 tools: past about 40, models choose worse. Switch off tools it does not need.',
            ),
          };
        }
        return { connectors: [{ connector: 'Docs', budget: budget(3, 1200) }], total: budget(3, 1200) };
      },
    });
    await chooseModel('tool-model');
    expect(screen.queryByTestId('step-budget'), 'nothing to count before a tick').toBeNull();

    await fireEvent.click(byTestId('step-connector-Docs'));
    await waitFor(() => expect(text(byTestId('step-budget'))).toContain('Offering 3 tools · ~1.2k tokens'));
    expect(text(byTestId('step-budget'))).toContain('about 4 characters per token');
    expect(text(byTestId('step-budget-Docs'))).toBe('3 tools · ~1.2k tokens');
    expect(screen.queryByTestId('step-budget-warning')).toBeNull();
    expect(calls('step_budget')).toHaveLength(1);

    // Typing a prompt changes nothing the model is offered: Rust is not asked again.
    await type(byTestId('step-prompt'), 'Summarize my mail');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(calls('step_budget')).toHaveLength(1);

    await fireEvent.click(byTestId('step-connector-Mail'));
    await waitFor(() => expect(text(byTestId('step-budget'))).toContain('Offering 48 tools · ~13k tokens'));
    expect(text(byTestId('step-budget-Mail'))).toBe('45 tools · ~12k tokens');
    expect(text(byTestId('step-budget-warning'))).toContain('Switch off tools it does not need.');
    expect(calls('step_budget').at(-1)?.workspace).toBe('Default');
  });

  it('says why the tools could not be counted, without standing in the way of the run', async () => {
    await renderSteps([docs], {
      step_budget: () => {
        throw ipcError({ message: 'Docs did not answer' });
      },
    });
    await chooseModel('tool-model');
    await fireEvent.click(byTestId('step-connector-Docs'));
    await waitFor(() =>
      expect(text(byTestId('step-budget-error'))).toContain('Couldn’t count the tools: Docs did not answer'),
    );
    expect(byTestId<HTMLButtonElement>('step-run').disabled).toBe(false);
  });
});
