// Dev only: the model providers, steps and runs of the fake Rust side (mock.ts merges these
// handlers into its own). Default has a local "Ollama" with a tool-capable model, one without
// tools and one nobody knows about, and a hosted "OpenAI" with a stored key. Discovery finds
// Ollama and LM Studio after a short probe. A run streams some text, asks the model's tool call
// through an approval (unless the policy or an "always" says otherwise), calls it, and answers;
// Cancel stops it where it is. A provider URL or key containing "wrong" is rejected, one with
// port 9999 is unreachable. `?scenario=empty` starts without providers.
import { emit } from '@tauri-apps/api/event';
import type { CommandArgs, CommandResult } from '../src/lib/ipc';
import {
  type AlwaysAllowed,
  type Approval,
  type ApprovalAnswer,
  type CallRecord,
  type CommandName,
  EVENTS,
  type IpcError,
  type LocalProvider,
  type ModelView,
  type OfferedTool,
  type Outcome,
  type ProviderView,
  type RunRecord,
  type RunSummary,
  type StepRunEventKind,
  type StepSpec,
  type StepView,
  type Turn,
} from '../src/lib/types';

/** A command's answer as Rust gives it (a plain value, or a promise of one). */
export type Handler<C extends CommandName> = (
  args: CommandArgs<C>,
) => Promise<CommandResult<C>> | CommandResult<C>;

type StepCommand =
  | 'list_providers'
  | 'add_provider'
  | 'edit_provider'
  | 'remove_provider'
  | 'list_models'
  | 'set_model_tools'
  | 'discover_local_providers'
  | 'list_steps'
  | 'save_step'
  | 'remove_step'
  | 'step_budget'
  | 'run_step'
  | 'answer_approval'
  | 'cancel_run'
  | 'list_runs'
  | 'run_record'
  | 'always_allowed'
  | 'revoke_always';

const scenario = new URLSearchParams(location.search).get('scenario') ?? 'sample';
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
/** Rust's u64, a number in JSON and in the bindings. */
const n = (value: number) => value;

function ipcError(code: IpcError['code'], message: string, runId: string | null = null): IpcError {
  return { code, message, hint: null, diagnosis: null, redirect_uri: null, run_id: runId };
}

function provider(
  name: string,
  baseUrl: string,
  keySet: boolean,
  kind: ProviderView['kind'] = 'openai-compatible',
): ProviderView {
  return {
    id: `p-${name.toLowerCase().replace(/\W+/g, '-')}`,
    workspace: 'Default',
    name,
    kind,
    base_url: baseUrl,
    key_set: keySet,
    created_at: minutesAgo(60 * 24 * 2),
    updated_at: minutesAgo(60 * 24 * 2),
  };
}

const providers: ProviderView[] =
  scenario === 'empty'
    ? []
    : [
        provider('Ollama', 'http://127.0.0.1:11434/v1', false),
        provider('OpenAI', 'https://api.openai.com/v1', true),
      ];

const model = (
  id: string,
  tools: boolean | null,
  source: ModelView['tools_source'],
  display: string | null = null,
): ModelView => ({ id, display_name: display, tools, tools_source: source });

/** What each provider lists, before the person's own verdicts. */
const catalog = new Map<string, ModelView[]>([
  [
    'http://127.0.0.1:11434/v1',
    [
      model('qwen2.5-coder:7b', true, 'known_models'),
      model('llama3.2:3b', true, 'known_models'),
      model('gemma2:2b', false, 'known_models'),
      model('phi3:mini', null, 'unknown'),
    ],
  ],
  [
    'https://api.openai.com/v1',
    [
      model('gpt-4o-mini', true, 'known_models', 'GPT-4o mini'),
      model('gpt-4.1', true, 'known_models', 'GPT-4.1'),
      model('o1-mini', false, 'known_models', 'o1-mini'),
    ],
  ],
  ['http://127.0.0.1:1234/v1', [model('qwen2.5-7b-instruct', true, 'provider')]],
]);

/** The person's verdicts, by `provider id\nmodel`. */
const overrides = new Map<string, boolean>();

function modelsOf(target: ProviderView): ModelView[] {
  return (catalog.get(target.base_url) ?? [model('default', null, 'unknown')]).map((entry) => {
    const own = overrides.get(`${target.id}\n${entry.id}`);
    return own === undefined ? entry : { ...entry, tools: own, tools_source: 'override' };
  });
}

function verdict(target: ProviderView, id: string): boolean | null {
  const own = overrides.get(`${target.id}\n${id}`);
  if (own !== undefined) return own;
  return modelsOf(target).find((entry) => entry.id === id)?.tools ?? null;
}

function findProvider(workspace: string, name: string): ProviderView {
  const found = providers.find((p) => p.workspace === workspace && p.name === name);
  if (!found) throw ipcError('NotFound', `no provider named “${name}” in workspace “${workspace}”`);
  return found;
}

/** Stands in for listing the models: the test Rust runs before saving a provider. */
async function reach(baseUrl: string, key: string | null): Promise<void> {
  await delay(1100);
  if (baseUrl.includes(':9999')) {
    throw ipcError('Unreachable', `couldn’t reach ${baseUrl}: connection refused (os error 111)`);
  }
  if (baseUrl.includes('wrong') || key?.includes('wrong')) {
    throw ipcError(
      'NeedsAuth',
      'the provider rejected the API key (HTTP 401 invalid_api_key): check it, or make a new one',
    );
  }
}

const steps: StepView[] =
  scenario === 'empty'
    ? []
    : [
        {
          id: 's-sum',
          workspace: 'Default',
          name: 'Sum check',
          created_at: minutesAgo(60 * 5),
          updated_at: minutesAgo(60 * 5),
          provider: 'Ollama',
          model: 'qwen2.5-coder:7b',
          system: null,
          prompt: 'What is 17 + 25? Use the get-sum tool, then answer in one sentence.',
          connectors: [{ name: 'Everything', tools: ['get-sum'], disabled_tools: [], trusted: false }],
          max_rounds: 10,
          approval: 'ask',
          tool_timeout_seconds: null,
          temperature: null,
          seed: null,
        },
      ];

const records: RunRecord[] = [];
const always: AlwaysAllowed[] =
  scenario === 'empty'
    ? []
    : [{ connector: 'GitHub', tool: 'search_repositories', since: minutesAgo(60 * 30) }];

function summary(record: RunRecord): RunSummary {
  const transcript = record.transcript;
  return {
    id: record.id,
    step: record.step,
    provider: transcript.provider,
    model: transcript.model,
    outcome: transcript.outcome.kind,
    started_at: transcript.started_at,
    duration_ms: Number(transcript.duration_ms),
    rounds: transcript.rounds,
    tool_calls: transcript.turns.reduce((sum, turn) => sum + turn.calls.length, 0),
    input_tokens: Number(transcript.usage.input),
    output_tokens: Number(transcript.usage.output),
  };
}

if (scenario !== 'empty') {
  const call: CallRecord = {
    id: 'call_seed',
    name: 'Everything__get-sum',
    connector: 'Everything',
    tool: 'get-sum',
    arguments: { a: 2, b: 40 },
    approval: 'allowed_once',
    is_error: false,
    result: [{ type: 'text', text: 'The sum of 2 and 40 is 42.' }],
    truncated: false,
    duration_ms: n(184),
  };
  records.push({
    id: 'run-7c1e2a90',
    workspace: 'Default',
    step: 'Sum check',
    transcript: {
      provider: 'Ollama',
      model: 'qwen2.5-coder:7b',
      system: null,
      prompt: 'What is 2 + 40? Use the get-sum tool, then answer in one sentence.',
      tools: [{ name: 'Everything__get-sum', connector: 'Everything', tool: 'get-sum' }],
      turns: [
        { round: 1, text: '', calls: [call], usage: { input: n(398), output: n(36) }, duration_ms: n(1240), final_without_tools: false },
        { round: 2, text: 'The get-sum tool says 2 + 40 = 42.', calls: [], usage: { input: n(455), output: n(17) }, duration_ms: n(880), final_without_tools: false },
      ],
      answer: 'The get-sum tool says 2 + 40 = 42.',
      outcome: { kind: 'answered' },
      rounds: 2,
      usage: { input: n(853), output: n(53) },
      started_at: minutesAgo(125),
      duration_ms: n(6930),
    },
  });
}

/** A run in flight: its Cancel, and the approval it waits for. */
interface Flight {
  cancelled: boolean;
  wake: (() => void) | null;
  approval: { requestId: string; answer: (answer: ApprovalAnswer) => void } | null;
}
const flights = new Map<string, Flight>();
class Cancelled extends Error {}

/** Waits `ms`, unless the run is cancelled first. */
function pause(flight: Flight, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (flight.cancelled) return reject(new Cancelled());
    const timer = setTimeout(() => {
      flight.wake = null;
      resolve();
    }, ms);
    flight.wake = () => {
      clearTimeout(timer);
      reject(new Cancelled());
    };
  });
}

async function stream(flight: Flight, send: (event: StepRunEventKind) => Promise<void>, text: string) {
  for (const word of text.match(/\S+\s*/g) ?? []) {
    await pause(flight, 70);
    await send({ kind: 'text', delta: word });
  }
}

function outcomeRecord(
  runId: string,
  workspace: string,
  step: string | null,
  spec: StepSpec,
  turns: Turn[],
  outcome: Outcome,
  answer: string | null,
  tools: OfferedTool[],
  started: number,
): RunRecord {
  const input = turns.reduce((sum, turn) => sum + Number(turn.usage.input), 0);
  const output = turns.reduce((sum, turn) => sum + Number(turn.usage.output), 0);
  return {
    id: `run-${runId.slice(0, 8)}`,
    workspace,
    step,
    transcript: {
      provider: spec.provider,
      model: spec.model,
      system: spec.system,
      prompt: spec.prompt,
      tools,
      turns,
      answer,
      outcome,
      rounds: turns.length === 0 ? 1 : (turns[turns.length - 1]?.round ?? 1),
      usage: { input: n(input), output: n(output) },
      started_at: new Date(started).toISOString(),
      duration_ms: n(Date.now() - started),
    },
  };
}

/** The scripted model: one tool call (when it has tools), then an answer. */
async function runScripted(
  workspace: string,
  step: string | null,
  spec: StepSpec,
  runId: string,
): Promise<RunRecord> {
  const target = findProvider(workspace, spec.provider);
  const tools = verdict(target, spec.model);
  if (spec.connectors.length > 0 && tools === false) {
    throw ipcError(
      'InvalidInput',
      `the model "${spec.model}" cannot call tools (a known model without tool calling), so it cannot use connectors: choose a tool-capable model, or run without connectors`,
    );
  }
  const flight: Flight = { cancelled: false, wake: null, approval: null };
  flights.set(runId, flight);
  const send = (event: StepRunEventKind) => emit(EVENTS.stepRun, { run_id: runId, event });
  const started = Date.now();
  const turns: Turn[] = [];
  const connector = spec.connectors[0];
  const offered: OfferedTool[] = spec.connectors.flatMap((c) =>
    (c.tools.length > 0 ? c.tools : ['echo', 'get-sum', 'get-tiny-image']).map((tool) => ({
      name: `${c.name}__${tool}`,
      connector: c.name,
      tool,
    })),
  );
  try {
    await pause(flight, 900);
    let round = 1;
    if (connector) {
      await send({ kind: 'round_started', round });
      await stream(flight, send, 'Let me add those with the tool. ');
      const toolName = connector.tools[0] ?? 'get-sum';
      const args = { a: 17, b: 25 };
      const callId = `call_${runId.slice(0, 6)}`;
      await send({
        kind: 'call_requested',
        id: callId,
        name: `${connector.name}__${toolName}`,
        connector: connector.name,
        tool: toolName,
        arguments: args,
      });
      const remembered = always.some((a) => a.connector === connector.name && a.tool === toolName);
      let approval: Approval = spec.approval === 'auto' ? 'auto_approved' : 'always_allowed';
      if (spec.approval !== 'auto' && !remembered) {
        const requestId = `approval-1`;
        const answer = await new Promise<ApprovalAnswer>((resolve, reject) => {
          flight.approval = { requestId, answer: resolve };
          flight.wake = () => reject(new Cancelled());
          void send({
            kind: 'approval_needed',
            request_id: requestId,
            connector: connector.name,
            tool: toolName,
            arguments: args,
            read_only: true,
            destructive: false,
          });
        });
        flight.approval = null;
        if (answer === 'always') {
          always.push({ connector: connector.name, tool: toolName, since: new Date().toISOString() });
        }
        approval = answer === 'once' ? 'allowed_once' : answer === 'always' ? 'always_allowed' : 'denied';
      }
      const callStarted = Date.now();
      if (approval !== 'denied') await pause(flight, 800);
      const call: CallRecord = {
        id: callId,
        name: `${connector.name}__${toolName}`,
        connector: connector.name,
        tool: toolName,
        arguments: args,
        approval,
        is_error: approval === 'denied',
        result:
          approval === 'denied'
            ? [{ type: 'text', text: 'error: the person running this step declined this call. Do not try it again; answer without it.' }]
            : [{ type: 'text', text: 'The sum of 17 and 25 is 42.' }],
        truncated: false,
        duration_ms: n(Date.now() - callStarted),
      };
      await send({ kind: 'call_finished', call });
      const turn: Turn = {
        round,
        text: '',
        calls: [call],
        usage: { input: n(412), output: n(38) },
        duration_ms: n(1300),
        final_without_tools: false,
      };
      turns.push(turn);
      await send({ kind: 'turn_finished', turn });
      round++;
    }
    await send({ kind: 'round_started', round });
    await pause(flight, 600);
    const denied = turns[0]?.calls[0]?.approval === 'denied';
    const answer = connector
      ? denied
        ? 'I wasn’t allowed to call the tool, but 17 + 25 is 42 by plain arithmetic.'
        : `I called ${connector.name}’s ${connector.tools[0] ?? 'get-sum'} tool with a = 17 and b = 25: the sum is 42.`
      : 'Without any tools: 17 + 25 = 42. Tick a connector to let me check with a tool.';
    await stream(flight, send, answer);
    const last: Turn = {
      round,
      text: answer,
      calls: [],
      usage: { input: n(480), output: n(31) },
      duration_ms: n(1900),
      final_without_tools: false,
    };
    turns.push(last);
    await send({ kind: 'turn_finished', turn: last });
    const record = outcomeRecord(runId, workspace, step, spec, turns, { kind: 'answered' }, answer, offered, started);
    records.unshift(record);
    return record;
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
    const record = outcomeRecord(runId, workspace, step, spec, turns, { kind: 'cancelled' }, null, offered, started);
    records.unshift(record);
    throw ipcError('Cancelled', 'step run cancelled', record.id);
  } finally {
    flights.delete(runId);
  }
}

export const stepHandlers: { [C in StepCommand]: Handler<C> } = {
  list_providers: ({ workspace }) => providers.filter((p) => p.workspace === workspace),
  add_provider: async ({ workspace, input }) => {
    if (providers.some((p) => p.workspace === workspace && p.name === input.name.trim())) {
      throw ipcError('InvalidInput', `a provider named “${input.name.trim()}” already exists`);
    }
    await reach(input.base_url, input.api_key);
    const created = {
      ...provider(input.name.trim(), input.base_url.trim(), !!input.api_key, input.kind),
      workspace,
      created_at: new Date().toISOString(),
    };
    providers.push(created);
    return created;
  },
  edit_provider: async ({ workspace, name, input }) => {
    const target = findProvider(workspace, name);
    if (input.base_url !== null || input.api_key !== null) {
      await reach(input.base_url ?? target.base_url, input.api_key);
    }
    if (input.name !== null) target.name = input.name;
    if (input.base_url !== null) target.base_url = input.base_url;
    if (input.api_key) target.key_set = true;
    target.updated_at = new Date().toISOString();
    return { ...target };
  },
  remove_provider: ({ workspace, name }) => {
    providers.splice(providers.indexOf(findProvider(workspace, name)), 1);
    return null;
  },
  list_models: async ({ workspace, provider: name }) => {
    const target = findProvider(workspace, name);
    await delay(500);
    return modelsOf(target);
  },
  set_model_tools: ({ workspace, provider: name, model: id, tools }) => {
    const key = `${findProvider(workspace, name).id}\n${id}`;
    if (tools === null) overrides.delete(key);
    else overrides.set(key, tools);
    return null;
  },
  discover_local_providers: async (): Promise<LocalProvider[]> => {
    await delay(1500);
    return [
      {
        kind: 'openai-compatible',
        suggested_name: 'Ollama',
        base_url: 'http://127.0.0.1:11434/v1',
        models: ['qwen2.5-coder:7b', 'llama3.2:3b', 'gemma2:2b', 'phi3:mini'],
      },
      {
        kind: 'openai-compatible',
        suggested_name: 'LM Studio',
        base_url: 'http://127.0.0.1:1234/v1',
        models: ['qwen2.5-7b-instruct'],
      },
    ];
  },
  list_steps: ({ workspace }) => steps.filter((s) => s.workspace === workspace),
  save_step: ({ workspace, name, spec }) => {
    const existing = steps.find((s) => s.workspace === workspace && s.name === name);
    const now = new Date().toISOString();
    const saved: StepView = {
      id: existing?.id ?? `s-${Date.now()}`,
      workspace,
      name,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      ...spec,
    };
    if (existing) steps[steps.indexOf(existing)] = saved;
    else steps.push(saved);
    return saved;
  },
  remove_step: ({ workspace, name }) => {
    const index = steps.findIndex((s) => s.workspace === workspace && s.name === name);
    if (index === -1) throw ipcError('NotFound', `no step named “${name}”`);
    steps.splice(index, 1);
    return null;
  },
  step_budget: ({ spec }) => {
    // Every connector offers the sample server's tools, less the ones the step leaves out.
    const budgets = spec.connectors.map((entry) => {
      const tools = entry.tools.length > 0 ? entry.tools.length : 8 - entry.disabled_tools.length;
      return {
        connector: entry.name,
        budget: {
          enabled_tools: tools,
          total_tools: 8,
          enabled_tokens: tools * 120,
          total_tokens: 960,
          warning: null,
          method: 'estimated: characters of each definition ÷ 4',
        },
      };
    });
    const enabled = budgets.reduce((sum, entry) => sum + entry.budget.enabled_tools, 0);
    return {
      connectors: budgets,
      total: {
        enabled_tools: enabled,
        total_tools: budgets.length * 8,
        enabled_tokens: enabled * 120,
        total_tokens: budgets.length * 960,
        warning: null,
        method: 'estimated: characters of each definition ÷ 4',
      },
    };
  },
  run_step: ({ workspace, step, spec, runId }) => runScripted(workspace, step, spec, runId),
  answer_approval: ({ runId, requestId, answer }) => {
    const approval = flights.get(runId)?.approval;
    if (approval?.requestId === requestId) approval.answer(answer);
    return null;
  },
  cancel_run: ({ runId }) => {
    const flight = flights.get(runId);
    if (flight) {
      flight.cancelled = true;
      flight.wake?.();
    }
    return null;
  },
  list_runs: ({ workspace, step }) =>
    records
      .filter((r) => r.workspace === workspace && (step === null || r.step === step))
      .map(summary),
  run_record: ({ workspace, id }) => {
    const found = records.find((r) => r.workspace === workspace && r.id === id);
    if (!found) throw ipcError('NotFound', `no run ${id}`);
    return found;
  },
  always_allowed: ({ workspace }) => (workspace === 'Default' ? [...always] : []),
  revoke_always: ({ connector, tool }) => {
    const index = always.findIndex((a) => a.connector === connector && a.tool === tool);
    if (index !== -1) always.splice(index, 1);
    return null;
  },
};
