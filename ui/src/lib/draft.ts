// The step editor's form as plain data: made empty, from a saved step, or for "Try in a step";
// turned into the `StepSpec` Rust checks again; and checked for the mistakes the page can catch
// before a round trip. A connector's choices are kept while it is unticked, or while the chosen
// model cannot call tools, so ticking it again (or picking another model) restores them.
import { parseToolNames, toolNamesText } from './steps';
import type { ApprovalPolicy, StepConnector, StepSpec, StepView } from './types';

/** Rust's default; a step may allow 1 to 100 rounds. */
export const DEFAULT_MAX_ROUNDS = 10;
export const MAX_ROUNDS_LIMIT = 100;
/** The tool timeout Rust accepts, in seconds; empty means the runner's default. */
export const TOOL_TIMEOUT_LIMIT = 3600;
/** The temperature Rust accepts (the range both provider kinds take); empty: the model's default. */
export const TEMPERATURE_LIMIT = 2;

export interface ConnectorChoice {
  enabled: boolean;
  /** Tool names, as typed; empty: every tool the connector lists. */
  tools: string;
  /** Tool names never offered, as typed. */
  disabledTools: string;
  trusted: boolean;
}

export interface Draft {
  /** The saved step this draft edits; null for a new, unsaved one. */
  savedName: string | null;
  name: string;
  provider: string;
  model: string;
  system: string;
  prompt: string;
  connectors: Record<string, ConnectorChoice>;
  maxRounds: number | null;
  /** Seconds; null: the runner's default. */
  toolTimeout: number | null;
  approval: ApprovalPolicy;
  /** Null: the model's default. */
  temperature: number | null;
  /** Null: no seed sent. */
  seed: number | null;
}

export function emptyDraft(provider = '', model = ''): Draft {
  return {
    savedName: null,
    name: '',
    provider,
    model,
    system: '',
    prompt: '',
    connectors: {},
    maxRounds: DEFAULT_MAX_ROUNDS,
    toolTimeout: null,
    approval: 'ask',
    temperature: null,
    seed: null,
  };
}

export function emptyChoice(enabled = false): ConnectorChoice {
  return { enabled, tools: '', disabledTools: '', trusted: false };
}

export function draftFromStep(step: StepView): Draft {
  const connectors: Record<string, ConnectorChoice> = {};
  for (const connector of step.connectors) {
    connectors[connector.name] = {
      enabled: true,
      tools: toolNamesText(connector.tools),
      disabledTools: toolNamesText(connector.disabled_tools),
      trusted: connector.trusted,
    };
  }
  return {
    savedName: step.name,
    name: step.name,
    provider: step.provider,
    model: step.model,
    system: step.system ?? '',
    prompt: step.prompt,
    connectors,
    maxRounds: step.max_rounds,
    toolTimeout: step.tool_timeout_seconds === null ? null : Number(step.tool_timeout_seconds),
    approval: step.approval,
    temperature: step.temperature,
    seed: step.seed,
  };
}

/** The connectors ticked in the draft, as Rust takes them. */
export function chosenConnectors(draft: Draft): StepConnector[] {
  return Object.entries(draft.connectors)
    .filter(([, choice]) => choice.enabled)
    .map(([name, choice]) => ({
      name,
      tools: parseToolNames(choice.tools),
      disabled_tools: parseToolNames(choice.disabledTools),
      trusted: choice.trusted,
    }));
}

/**
 * The step as Rust takes it. `withConnectors` is false while the chosen model cannot call
 * tools: Rust would refuse the run, and the picker (hidden then) says why.
 */
export function specFromDraft(draft: Draft, withConnectors: boolean): StepSpec {
  const system = draft.system.trim();
  return {
    provider: draft.provider,
    model: draft.model.trim(),
    system: system === '' ? null : draft.system,
    prompt: draft.prompt,
    connectors: withConnectors ? chosenConnectors(draft) : [],
    max_rounds: draft.maxRounds ?? DEFAULT_MAX_ROUNDS,
    approval: draft.approval,
    tool_timeout_seconds: draft.toolTimeout,
    temperature: draft.temperature,
    seed: draft.seed,
  };
}

/**
 * The step whose tool budget the picker shows: the draft's ticked connectors with their tool
 * lists, and nothing else that could be wrong mid-edit (Rust reads only the connectors); null
 * when none is ticked, so there is nothing to count.
 */
export function budgetSpec(draft: Draft): StepSpec | null {
  const connectors = chosenConnectors(draft);
  if (connectors.length === 0) return null;
  return {
    provider: draft.provider,
    model: draft.model.trim(),
    system: null,
    prompt: '',
    connectors,
    max_rounds: DEFAULT_MAX_ROUNDS,
    approval: draft.approval,
    tool_timeout_seconds: null,
    temperature: null,
    seed: null,
  };
}

/**
 * Equal for two budget specs that offer the same tools: the connectors and their tool lists
 * (trusting one, or another model, changes nothing), so only those ask Rust again.
 */
export function budgetKey(spec: StepSpec): string {
  return JSON.stringify(
    spec.connectors.map((c) => [c.name, c.tools, c.disabled_tools]),
  );
}

/** What the draft would save, to tell whether it has unsaved changes. */
export function fingerprint(draft: Draft): string {
  const spec = specFromDraft(draft, true);
  return JSON.stringify({ ...spec, name: draft.name.trim(), tool_timeout_seconds: draft.toolTimeout });
}

export interface DraftErrors {
  name?: string;
  provider?: string;
  model?: string;
  prompt?: string;
  maxRounds?: string;
  toolTimeout?: string;
  temperature?: string;
  seed?: string;
}

/** The mistakes the page catches; saving also needs a name, running does not. */
export function draftErrors(draft: Draft, saving: boolean): DraftErrors {
  const errors: DraftErrors = {};
  if (saving && draft.name.trim() === '') errors.name = 'Enter a name to save this step.';
  if (draft.provider === '') errors.provider = 'Choose the model provider.';
  if (draft.model.trim() === '') errors.model = 'Choose a model, or type its name.';
  if (draft.prompt.trim() === '') errors.prompt = 'Write what the model should do.';
  const rounds = draft.maxRounds;
  if (rounds !== null && (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS_LIMIT)) {
    errors.maxRounds = `Between 1 and ${MAX_ROUNDS_LIMIT}.`;
  }
  const timeout = draft.toolTimeout;
  if (
    timeout !== null &&
    (!Number.isInteger(timeout) || timeout < 1 || timeout > TOOL_TIMEOUT_LIMIT)
  ) {
    errors.toolTimeout = `Between 1 and ${TOOL_TIMEOUT_LIMIT} seconds, or empty for the default.`;
  }
  const temperature = draft.temperature;
  if (
    temperature !== null &&
    (!Number.isFinite(temperature) || temperature < 0 || temperature > TEMPERATURE_LIMIT)
  ) {
    errors.temperature = `Between 0 and ${TEMPERATURE_LIMIT}, or empty for the default.`;
  }
  const seed = draft.seed;
  if (seed !== null && (!Number.isSafeInteger(seed) || seed < 0)) {
    errors.seed = 'A whole number from 0, or empty for none.';
  }
  return errors;
}

export function hasErrors(errors: DraftErrors): boolean {
  return Object.keys(errors).length > 0;
}
