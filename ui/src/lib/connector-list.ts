// Which connectors the list shows and in what order: a search over name, URL and status words,
// a status filter, and a sort. Pure, so the page only keeps the person's choices.
import { statusLabel } from './status';
import type { ConnectorView } from './types';

export type StatusFilter = 'all' | 'connected' | 'attention' | 'paused';
export type SortKey = 'name' | 'status' | 'checked';

export const STATUS_FILTERS: { value: StatusFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'connected', label: 'Connected' },
  { value: 'attention', label: 'Needs attention' },
  { value: 'paused', label: 'Paused' },
];

export const SORT_KEYS: { value: SortKey; label: string }[] = [
  { value: 'name', label: 'Name' },
  { value: 'status', label: 'Status' },
  { value: 'checked', label: 'Last checked' },
];

/** A paused connector is not checked, so its last status is history, not something to fix. */
export function needsAttention(connector: ConnectorView): boolean {
  return (
    !connector.paused &&
    (connector.status === 'disconnected' ||
      connector.status === 'needs_auth' ||
      connector.status === 'error')
  );
}

function matchesStatus(connector: ConnectorView, filter: StatusFilter): boolean {
  switch (filter) {
    case 'connected':
      return !connector.paused && connector.status === 'connected';
    case 'attention':
      return needsAttention(connector);
    case 'paused':
      return connector.paused;
    default:
      return true;
  }
}

function matchesQuery(connector: ConnectorView, query: string): boolean {
  const words = query
    .toLocaleLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length === 0) return true;
  const haystack = [
    connector.name,
    connector.url,
    connector.paused ? 'paused' : statusLabel(connector.status).label,
  ]
    .join(' ')
    .toLocaleLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** Attention first, then not checked, connected, and paused last. */
function statusRank(connector: ConnectorView): number {
  if (connector.paused) return 3;
  if (needsAttention(connector)) return 0;
  return connector.status === 'unknown' ? 1 : 2;
}

const byName = (a: ConnectorView, b: ConnectorView) =>
  a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });

function checkedAt(connector: ConnectorView): number {
  const time = connector.last_checked_at === null ? NaN : Date.parse(connector.last_checked_at);
  return Number.isNaN(time) ? -Infinity : time;
}

/** The connectors to show, in order; the input is left as it is. */
export function visibleConnectors(
  connectors: ConnectorView[],
  query: string,
  filter: StatusFilter,
  sort: SortKey,
): ConnectorView[] {
  const shown = connectors.filter((c) => matchesStatus(c, filter) && matchesQuery(c, query));
  switch (sort) {
    case 'status':
      return shown.sort((a, b) => statusRank(a) - statusRank(b) || byName(a, b));
    case 'checked':
      // Most recently checked first; never checked last.
      return shown.sort((a, b) => checkedAt(b) - checkedAt(a) || byName(a, b));
    default:
      return shown.sort(byName);
  }
}
