// How the connector workbench words things: tool hints as badges, token sizes, a call's result
// as plain text (Copy result), a server's capabilities as a list, a check in the status strip.
// Pure, so the components stay about layout.
import { statusLabel, type Tone } from './status';
import { absoluteTime } from './time';
import type { CallOutcome, CheckView, ShownPart, ToolHints } from './types';

export interface HintBadge {
  key: keyof ToolHints;
  label: string;
  /** What the server claims, for the badge's tooltip. */
  explanation: string;
  tone: 'neutral' | 'warning';
}

const HINTS: HintBadge[] = [
  {
    key: 'read_only',
    label: 'read-only',
    explanation: 'The server says this tool only reads; it changes nothing.',
    tone: 'neutral',
  },
  {
    key: 'destructive',
    label: 'destructive',
    explanation: 'The server says this tool may delete or overwrite things.',
    tone: 'warning',
  },
  {
    key: 'idempotent',
    label: 'idempotent',
    explanation: 'The server says calling it twice with the same arguments does no more than once.',
    tone: 'neutral',
  },
  {
    key: 'open_world',
    label: 'open-world',
    explanation: 'The server says this tool reaches beyond it (the web, other systems).',
    tone: 'neutral',
  },
];

/** The hints a server declared true, as badges (a hint left out or false shows nothing). */
export function hintBadges(hints: ToolHints): HintBadge[] {
  return HINTS.filter((hint) => hints[hint.key] === true);
}

/** "~1,234 tokens". */
export function formatTokenCount(tokens: number): string {
  return `~${Number(tokens).toLocaleString('en-US')} ${Number(tokens) === 1 ? 'token' : 'tokens'}`;
}

/** A part as plain text, for Copy result (binary as its kind and size, never its bytes). */
export function partText(part: ShownPart): string {
  switch (part.kind) {
    case 'text':
      return part.text;
    case 'image':
      return `[image, ${part.mime_type}]`;
    case 'audio':
      return `[audio, ${part.mime_type}]`;
    case 'resource':
      return part.text !== null
        ? `${part.uri}\n${part.text}`
        : `${part.uri} [binary, ${part.blob_bytes ?? 0} bytes]`;
    case 'resource_link':
      return `${part.name} <${part.uri}>${part.description ? ` — ${part.description}` : ''}`;
    case 'omitted':
      return `[omitted: ${part.what}]`;
    default:
      return '';
  }
}

/** A call's result as the text Copy result puts on the clipboard. */
export function outcomeText(outcome: CallOutcome): string {
  const sections = outcome.parts.map(partText);
  if (outcome.structured !== null && outcome.structured !== undefined) {
    sections.push(JSON.stringify(outcome.structured, null, 2));
  }
  return sections.join('\n\n');
}

/** `data:` URI of base64 `data`; Rust sends the bytes and their type, never a URL. */
export function dataUri(mime: string, data: string): string {
  return `data:${mime};base64,${data}`;
}

/** The size of base64 data in bytes. */
export function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** "tools (list changes)", "logging", "resources (subscribe, list changes)". */
export function capabilityList(capabilities: Record<string, unknown>): string[] {
  return Object.entries(capabilities).map(([name, value]) => {
    const flags =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value as Record<string, unknown>)
            .filter(([, on]) => on === true)
            .map(([flag]) => FLAG_WORDS[flag] ?? flag)
        : [];
    return flags.length > 0 ? `${name} (${flags.join(', ')})` : name;
  });
}

const FLAG_WORDS: Record<string, string> = {
  listChanged: 'list changes',
  subscribe: 'subscribe',
};

export interface StripMark {
  key: string;
  tone: Tone;
  title: string;
}

/** Up to `limit` checks, oldest first (newest on the right), each with its "time: status". */
export function stripMarks(recent: CheckView[], limit = 12): StripMark[] {
  return recent
    .slice(0, limit)
    .reverse()
    .map((check, index) => {
      const label = statusLabel(check.status);
      return {
        key: `${check.checked_at}-${index}`,
        tone: label.tone,
        title: `${absoluteTime(check.checked_at)}: ${label.label}${check.detail ? ` — ${check.detail}` : ''}`,
      };
    });
}

/** "8 of the last 10 checks passed", for the strip's accessible name. */
export function stripSummary(recent: CheckView[], limit = 12): string {
  const shown = recent.slice(0, limit);
  if (shown.length === 0) return 'No checks yet';
  const passed = shown.filter((check) => check.status === 'connected').length;
  const checks = shown.length === 1 ? 'check' : `${shown.length} checks`;
  return shown.length === 1
    ? `The last ${checks} ${passed === 1 ? 'passed' : 'failed'}`
    : `${passed} of the last ${checks} passed`;
}

/** A fresh id for one tool call or tools watch (at most 64 characters, as Rust requires). */
export function newCallId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return `call-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** "Running… 3 s", "1 min 5 s": how long a call has run, to the second. */
export function elapsedText(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${seconds % 60} s`;
}
