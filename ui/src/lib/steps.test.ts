// The Steps page's words and numbers, and the editor's draft ⇄ StepSpec, without a window.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_ROUNDS,
  draftErrors,
  draftFromStep,
  emptyChoice,
  emptyDraft,
  fingerprint,
  specFromDraft,
  budgetKey,
  budgetSpec,
} from './draft';
import {
  budgetFigures,
  canCallTools,
  formatDuration,
  formatTokens,
  formatTokensCompact,
  noToolsReason,
  outcomeLabel,
  outcomeNote,
  parseToolNames,
  prettyJson,
  runFileName,
  runJson,
  toolsVerdict,
} from './steps';
import type { RunRecord, StepView, Transcript } from './types';

const u64 = (value: number) => value;

describe('whether a model can call tools', () => {
  it('counts unknown as able to, and only false as not', () => {
    expect(canCallTools({ tools: true })).toBe(true);
    expect(canCallTools({ tools: null })).toBe(true);
    expect(canCallTools({ tools: false })).toBe(false);
  });

  it('says who says so', () => {
    expect(toolsVerdict({ tools: true, tools_source: 'provider' })).toEqual({
      label: 'Can call tools',
      tone: 'ok',
      source: 'the provider says',
    });
    expect(toolsVerdict({ tools: null, tools_source: 'unknown' }).label).toBe('Tools unknown');
    expect(toolsVerdict({ tools: false, tools_source: 'override' }).source).toBe('your override');
  });

  it('explains a hidden connector picker in one sentence', () => {
    expect(noToolsReason({ id: 'gemma2:2b', tools_source: 'known_models' })).toBe(
      'gemma2:2b cannot call tools (known model): choose a tool-capable model to use connectors, or mark this model as able to if it is.',
    );
    expect(noToolsReason({ id: 'x', tools_source: 'provider' })).toContain('(the provider says)');
  });
});

describe('the step draft', () => {
  const saved: StepView = {
    id: 's-1',
    workspace: 'Default',
    name: 'Digest',
    created_at: '',
    updated_at: '',
    provider: 'Local',
    model: 'qwen',
    system: 'Be brief.',
    prompt: 'Summarise.',
    connectors: [{ name: 'Docs', tools: ['search', 'read'], disabled_tools: ['delete'], trusted: true }],
    max_rounds: 4,
    approval: 'read-only',
    tool_timeout_seconds: u64(30),
    temperature: 0.2,
    seed: 7,
  };

  it('starts with Rust’s defaults', () => {
    const spec = specFromDraft(emptyDraft('Local', 'qwen'), true);
    expect(spec).toMatchObject({
      provider: 'Local',
      model: 'qwen',
      system: null,
      connectors: [],
      max_rounds: DEFAULT_MAX_ROUNDS,
      approval: 'ask',
      tool_timeout_seconds: null,
    });
  });

  it('turns a saved step into a draft and back without losing anything', () => {
    const draft = draftFromStep(saved);
    expect(draft.connectors.Docs).toEqual({
      enabled: true,
      tools: 'search, read',
      disabledTools: 'delete',
      trusted: true,
    });
    const spec = specFromDraft(draft, true);
    expect({ ...spec, tool_timeout_seconds: Number(spec.tool_timeout_seconds) }).toEqual({
      provider: 'Local',
      model: 'qwen',
      system: 'Be brief.',
      prompt: 'Summarise.',
      connectors: saved.connectors,
      max_rounds: 4,
      approval: 'read-only',
      tool_timeout_seconds: 30,
      temperature: 0.2,
      seed: 7,
    });
    expect(fingerprint(draftFromStep(saved)), 'a loaded step has no changes').toBe(fingerprint(draft));
  });

  it('leaves the connectors out for a model that cannot call tools, and keeps unticked ones aside', () => {
    const draft = draftFromStep(saved);
    draft.connectors.Wiki = emptyChoice(false);
    expect(specFromDraft(draft, false).connectors).toEqual([]);
    expect(specFromDraft(draft, true).connectors.map((c) => c.name)).toEqual(['Docs']);
  });

  it('catches what it can before Rust does', () => {
    const draft = emptyDraft();
    expect(draftErrors(draft, false)).toEqual({
      provider: 'Choose the model provider.',
      model: 'Choose a model, or type its name.',
      prompt: 'Write what the model should do.',
    });
    expect(draftErrors(draft, true).name).toBe('Enter a name to save this step.');
    const bad = {
      ...emptyDraft('Local', 'qwen'),
      prompt: 'x',
      maxRounds: 0,
      toolTimeout: 4000,
      temperature: 2.5,
      seed: 1.5,
    };
    expect(Object.keys(draftErrors(bad, false))).toEqual([
      'maxRounds',
      'toolTimeout',
      'temperature',
      'seed',
    ]);
    const sampled = { ...emptyDraft('Local', 'qwen'), prompt: 'x', temperature: 0, seed: 7 };
    expect(draftErrors(sampled, false)).toEqual({});
    expect(specFromDraft(sampled, true)).toMatchObject({ temperature: 0, seed: 7 });
    expect(draftErrors({ ...sampled, seed: -1 }, false).seed).toBe(
      'A whole number from 0, or empty for none.',
    );
  });

  it('reads typed tool names with commas, spaces or lines between them', () => {
    expect(parseToolNames(' get-sum, echo\nsearch  echo ,')).toEqual(['get-sum', 'echo', 'search']);
    expect(parseToolNames('')).toEqual([]);
  });
});

describe('runs as a person reads them', () => {
  const transcript = (overrides: Partial<Transcript>): Transcript => ({
    provider: 'Local',
    model: 'qwen',
    system: null,
    prompt: 'p',
    tools: [],
    turns: [],
    answer: null,
    outcome: { kind: 'answered' },
    rounds: 3,
    usage: { input: u64(0), output: u64(0) },
    started_at: '',
    duration_ms: u64(0),
    ...overrides,
  });

  it('names every outcome, and one Rust adds later', () => {
    expect(outcomeLabel('answered')).toEqual({ label: 'Answered', tone: 'ok' });
    expect(outcomeLabel('repeated_call').label).toBe('Stopped on a repeated call');
    expect(outcomeLabel('failed').tone).toBe('error');
    expect(outcomeLabel('paused')).toEqual({ label: 'paused', tone: 'neutral' });
  });

  it('says what an outcome means for the answer', () => {
    expect(outcomeNote(transcript({}))).toBeNull();
    expect(outcomeNote(transcript({ outcome: { kind: 'max_rounds' } }))).toContain('all 3 rounds');
    expect(outcomeNote(transcript({ outcome: { kind: 'repeated_call', tool: 'Docs__search' } })))
      .toContain('Docs__search');
    expect(outcomeNote(transcript({ outcome: { kind: 'failed', message: 'HTTP 500' } }))).toBe(
      'HTTP 500',
    );
  });

  it('formats durations and tokens', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(u64(4200))).toBe('4.2 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatTokens(1234, 56)).toBe('1,234 in / 56 out tokens');
  });

  it('shows arguments as indented JSON, and text that was not JSON as it came', () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{not json')).toBe('{not json');
  });

  it('exports the record as JSON', () => {
    const record: RunRecord = {
      id: 'r-1',
      workspace: 'Default',
      step: 'Daily digest',
      transcript: transcript({ duration_ms: 4200 }),
    };
    const parsed = JSON.parse(runJson(record));
    expect(parsed.transcript.duration_ms).toBe(4200);
    expect(parsed.step).toBe('Daily digest');
    expect(runFileName(record)).toBe('patchbay-Daily-digest-r-1.json');
  });
});

describe('the tool budget at a glance', () => {
  it('rounds token counts the way a person reads them', () => {
    expect(formatTokensCompact(1)).toBe('~1 token');
    expect(formatTokensCompact(840)).toBe('~840 tokens');
    expect(formatTokensCompact(1000)).toBe('~1k tokens');
    expect(formatTokensCompact(3149)).toBe('~3.1k tokens');
    expect(formatTokensCompact(12_400)).toBe('~12k tokens');
    expect(formatTokensCompact(999_999)).toBe('~1M tokens');
    expect(formatTokensCompact(-5)).toBe('~0 tokens');
    expect(budgetFigures({ enabled_tools: u64(1), enabled_tokens: u64(55) })).toBe('1 tool · ~55 tokens');
  });

  it('counts only the ticked connectors and asks again only when the tools offered may change', () => {
    const draft = emptyDraft();
    expect(budgetSpec(draft), 'nothing ticked').toBeNull();
    draft.connectors.Docs = { ...emptyChoice(), enabled: true };
    draft.connectors.Mail = { ...emptyChoice(), enabled: false };
    const spec = budgetSpec(draft)!;
    expect(spec.connectors.map((c) => c.name)).toEqual(['Docs']);

    const before = budgetKey(spec);
    draft.prompt = 'something else';
    draft.model = 'another-model';
    expect(budgetKey(budgetSpec(draft)!)).toBe(before);
    draft.connectors.Docs.tools = 'search, fetch';
    expect(budgetKey(budgetSpec(draft)!)).not.toBe(before);
  });
});
