// How steps, models, providers and runs read on the Steps page: the words for each kind, verdict,
// policy, approval and outcome, and the numbers (durations, tokens) as a person reads them.
// Text always accompanies colour, as on the Connectors page.
import type {
  Approval,
  ApprovalPolicy,
  Budget,
  ModelView,
  Outcome,
  ProviderKind,
  RunRecord,
  ToolsSource,
  Transcript,
} from './types';
import { saveTextFile } from './download';
import type { Tone } from './status';

export const PROVIDER_KINDS: { kind: ProviderKind; label: string }[] = [
  { kind: 'openai-compatible', label: 'OpenAI-compatible' },
  { kind: 'anthropic', label: 'Anthropic' },
];

export function providerKindLabel(kind: ProviderKind): string {
  return PROVIDER_KINDS.find((entry) => entry.kind === kind)?.label ?? kind;
}

/** The base URL as each vendor documents it: the form's placeholder. */
export function baseUrlPlaceholder(kind: ProviderKind): string {
  return kind === 'anthropic' ? 'https://api.anthropic.com/v1' : 'http://127.0.0.1:11434/v1';
}

/** Why a model can or cannot call tools, in a word or two ("known model"). */
const TOOLS_SOURCE_LABELS: Record<ToolsSource, string> = {
  override: 'your override',
  provider: 'the provider says',
  known_models: 'known model',
  unknown: 'unknown',
};

export function toolsSourceLabel(source: ToolsSource): string {
  return TOOLS_SOURCE_LABELS[source] ?? source;
}

/** Whether a model can call tools: `null` (nobody knows) counts as able to, with a note. */
export function canCallTools(model: Pick<ModelView, 'tools'>): boolean {
  return model.tools !== false;
}

export interface Verdict {
  label: string;
  tone: Tone;
  /** Who says so ("known model"). */
  source: string;
}

export function toolsVerdict(model: Pick<ModelView, 'tools' | 'tools_source'>): Verdict {
  const source = toolsSourceLabel(model.tools_source);
  if (model.tools === true) return { label: 'Can call tools', tone: 'ok', source };
  if (model.tools === false) return { label: 'Cannot call tools', tone: 'attention', source };
  return { label: 'Tools unknown', tone: 'neutral', source };
}

/** The sentence shown instead of the connector picker for a model that cannot call tools. */
export function noToolsReason(model: Pick<ModelView, 'id' | 'tools_source'>): string {
  return (
    `${model.id} cannot call tools (${toolsSourceLabel(model.tools_source)}): choose a ` +
    'tool-capable model to use connectors, or mark this model as able to if it is.'
  );
}

export const APPROVAL_POLICIES: { policy: ApprovalPolicy; label: string; explanation: string }[] =
  [
    {
      policy: 'ask',
      label: 'Ask for every call',
      explanation:
        'Each tool call waits for you, with its arguments, unless you said “always” for that tool.',
    },
    {
      policy: 'read-only',
      label: 'Run read-only tools of trusted connectors',
      explanation:
        'Tools the server marks read-only run without asking on connectors you trust; the rest ask.',
    },
    {
      policy: 'auto',
      label: 'Run every call without asking',
      explanation: 'Every call runs at once. Use it only with tools you would let anyone run.',
    },
  ];

export function approvalPolicyExplanation(policy: ApprovalPolicy): string {
  return APPROVAL_POLICIES.find((entry) => entry.policy === policy)?.explanation ?? '';
}

/** How a call came to run, or not, as the call card says it. */
const APPROVAL_LABELS: Record<Approval, string> = {
  allowed_once: 'Allowed once',
  always_allowed: 'Always allowed',
  auto_approved: 'Ran without asking',
  read_only: 'Read-only, trusted',
  denied: 'Denied',
  not_run: 'Not run',
};

export function approvalLabel(approval: Approval): string {
  return APPROVAL_LABELS[approval] ?? approval;
}

export interface OutcomeLabel {
  label: string;
  tone: Tone;
}

/** An outcome by its kind, which is also what run summaries carry (`outcome: "max_rounds"`). */
const OUTCOME_LABELS: Record<Outcome['kind'], OutcomeLabel> = {
  answered: { label: 'Answered', tone: 'ok' },
  max_rounds: { label: 'Stopped at max rounds', tone: 'attention' },
  repeated_call: { label: 'Stopped on a repeated call', tone: 'attention' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  failed: { label: 'Failed', tone: 'error' },
};

export function outcomeLabel(kind: string): OutcomeLabel {
  // An outcome added in Rust before the UI learns it still renders.
  return OUTCOME_LABELS[kind as Outcome['kind']] ?? { label: kind, tone: 'neutral' };
}

/** What an outcome means for the answer, when it needs saying; null for a plain answer. */
export function outcomeNote(transcript: Transcript): string | null {
  const outcome = transcript.outcome;
  switch (outcome.kind) {
    case 'max_rounds':
      return `The step used all ${transcript.rounds} rounds; the answer is the model’s last word without tools.`;
    case 'repeated_call':
      return `The model repeated a call to ${outcome.tool} with the same arguments, so Patchbay stopped it; the answer is its last word without tools.`;
    case 'cancelled':
      return 'You cancelled the run; the transcript so far is saved.';
    case 'failed':
      return outcome.message;
    default:
      return null;
  }
}

/** A count or duration from Rust (a u64, a number in JSON and in the bindings). */
export function count(value: number): number {
  return Number(value);
}

/** "850 ms", "4.2 s", "2 min 5 s". */
export function formatDuration(milliseconds: number): string {
  const ms = count(milliseconds);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

export function formatNumber(value: number): string {
  return count(value).toLocaleString('en-US');
}

/** "1,234 in / 56 out tokens". */
export function formatTokens(input: number, output: number): string {
  return `${formatNumber(input)} in / ${formatNumber(output)} out tokens`;
}

/** A token count at a glance: "~840 tokens", "~3.1k tokens", "~12k tokens", "~1.2M tokens". */
export function formatTokensCompact(tokens: number): string {
  const n = Math.max(0, Math.round(count(tokens)));
  const unit = n === 1 ? 'token' : 'tokens';
  if (n < 1000) return `~${n} ${unit}`;
  const [scaled, suffix] = n < 999_500 ? [n / 1000, 'k'] : [n / 1_000_000, 'M'];
  const shown = scaled < 9.95 ? scaled.toFixed(1).replace(/\.0$/, '') : String(Math.round(scaled));
  return `~${shown}${suffix} ${unit}`;
}

/** "12 tools · ~3.1k tokens": what a connector (or a whole step) offers its model. */
export function budgetFigures(budget: Pick<Budget, 'enabled_tools' | 'enabled_tokens'>): string {
  const tools = count(budget.enabled_tools);
  return `${tools} ${tools === 1 ? 'tool' : 'tools'} · ${formatTokensCompact(budget.enabled_tokens)}`;
}

/** "12.3 KB" for an image a tool returned. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Arguments or structured results, indented; a string (arguments that were not JSON) as is. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A run as the JSON file Export saves: the whole record, as Rust sent it. */
export function runJson(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

export function runFileName(record: RunRecord): string {
  const step = (record.step ?? 'run').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  return `patchbay-${step}-${record.id}.json`;
}

/** Saves the run as a JSON file through the browser's download (the webview's save dialog). */
export function downloadRun(record: RunRecord): void {
  saveTextFile(runJson(record), runFileName(record));
}

/** Tool names typed as a list: commas, spaces or new lines between them; duplicates dropped. */
export function parseToolNames(text: string): string[] {
  const names = text.split(/[\s,]+/).filter((name) => name !== '');
  return [...new Set(names)];
}

export function toolNamesText(names: string[]): string {
  return names.join(', ');
}
