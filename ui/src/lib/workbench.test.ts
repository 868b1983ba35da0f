// Pure helpers of the workbench: resource templates, the connector list's search, filter and
// sort, hint badges, the status strip, and a result as copied text.
import { describe, expect, it } from 'vitest';
import { visibleConnectors } from './connector-list';
import type { CheckView, ConnectorView } from './types';
import { expandTemplate, templateVariables } from './uri-template';
import { capabilityList, hintBadges, outcomeText, stripMarks, stripSummary } from './workbench';

function connector(name: string, fields: Partial<ConnectorView> = {}): ConnectorView {
  return {
    id: `c-${name}`,
    workspace: 'Default',
    name,
    url: `https://${name.toLowerCase()}.example.com/mcp`,
    auth: 'none',
    token_set: false,
    header_names: [],
    status: 'connected',
    last_checked_at: null,
    last_error: null,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    paused: false,
    muted: false,
    tool_count: null,
    recent: [],
    network: {},
    ...fields,
  };
}

function check(status: CheckView['status'], minute: number): CheckView {
  return {
    checked_at: `2025-01-01T10:${String(minute).padStart(2, '0')}:00Z`,
    status,
    latency_ms: 10,
    tool_count: 3,
    detail: status === 'connected' ? null : 'refused',
  };
}

describe('resource templates', () => {
  it('finds each variable once, in order, whatever the operator', () => {
    expect(templateVariables('repo://{owner}/{repo}/issues/{number}')).toEqual([
      'owner',
      'repo',
      'number',
    ]);
    expect(templateVariables('file:///{+path}{?ref,depth}{#frag}{path}')).toEqual([
      'path',
      'ref',
      'depth',
      'frag',
    ]);
    expect(templateVariables('db://{table:3}/{ids*}')).toEqual(['table', 'ids']);
  });

  it('expands simple, reserved, query and fragment expressions, leaving empty ones out', () => {
    expect(expandTemplate('repo://{owner}/{repo}', { owner: 'ada', repo: 'a b/c' })).toBe(
      'repo://ada/a%20b%2Fc',
    );
    expect(expandTemplate('file:///{+path}', { path: 'src/main.ts' })).toBe('file:///src/main.ts');
    expect(expandTemplate('file:///{+path}{?ref,depth}', { path: 'a', ref: 'v1', depth: '' })).toBe(
      'file:///a?ref=v1',
    );
    expect(expandTemplate('x://{a}{?b}', {})).toBe('x://');
    expect(expandTemplate('x://doc{#section}', { section: 'intro' })).toBe('x://doc#intro');
    expect(expandTemplate('x://{name:3}', { name: 'abcdef' })).toBe('x://abc');
  });
});

describe('the connector list', () => {
  const list = [
    connector('beta', { status: 'error', last_checked_at: '2025-01-02T00:00:00Z' }),
    connector('Alpha', { last_checked_at: '2025-01-03T00:00:00Z' }),
    connector('gamma', { status: 'unknown' }),
    connector('delta', { paused: true, status: 'error', last_checked_at: '2025-01-01T00:00:00Z' }),
    connector('epsilon', { status: 'needs_auth', url: 'https://auth.corp.example/mcp' }),
  ];
  const names = (shown: ConnectorView[]) => shown.map((c) => c.name);

  it('searches names, URLs and status words', () => {
    expect(names(visibleConnectors(list, 'ALP', 'all', 'name'))).toEqual(['Alpha']);
    expect(names(visibleConnectors(list, 'corp.example', 'all', 'name'))).toEqual(['epsilon']);
    expect(names(visibleConnectors(list, 'needs authentication', 'all', 'name'))).toEqual([
      'epsilon',
    ]);
    expect(names(visibleConnectors(list, 'paused', 'all', 'name'))).toEqual(['delta']);
  });

  it('filters by status: a paused connector is paused, not connected or in need of attention', () => {
    expect(names(visibleConnectors(list, '', 'connected', 'name'))).toEqual(['Alpha']);
    expect(names(visibleConnectors(list, '', 'attention', 'name'))).toEqual(['beta', 'epsilon']);
    expect(names(visibleConnectors(list, '', 'paused', 'name'))).toEqual(['delta']);
  });

  it('sorts by name (ignoring case), by status (attention first, paused last), by last check', () => {
    expect(names(visibleConnectors(list, '', 'all', 'name'))).toEqual([
      'Alpha',
      'beta',
      'delta',
      'epsilon',
      'gamma',
    ]);
    expect(names(visibleConnectors(list, '', 'all', 'status'))).toEqual([
      'beta',
      'epsilon',
      'gamma',
      'Alpha',
      'delta',
    ]);
    expect(names(visibleConnectors(list, '', 'all', 'checked'))).toEqual([
      'Alpha',
      'beta',
      'delta',
      'epsilon',
      'gamma',
    ]);
    expect(names(list), 'the input stays as it was').toEqual([
      'beta',
      'Alpha',
      'gamma',
      'delta',
      'epsilon',
    ]);
  });
});

describe('tool hints', () => {
  it('shows only the hints declared true, destructive as a warning', () => {
    expect(
      hintBadges({ read_only: true, destructive: false, idempotent: null, open_world: true }).map(
        (b) => b.label,
      ),
    ).toEqual(['read-only', 'open-world']);
    const [destructive] = hintBadges({
      read_only: null,
      destructive: true,
      idempotent: null,
      open_world: null,
    });
    expect(destructive).toMatchObject({ label: 'destructive', tone: 'warning' });
  });
});

describe('the status strip', () => {
  it('puts the newest check on the right, at most the limit, each titled "time: status"', () => {
    const recent = [check('error', 3), check('connected', 2), check('connected', 1)];
    const marks = stripMarks(recent, 2);
    expect(marks.map((mark) => mark.tone)).toEqual(['ok', 'error']);
    expect(marks[1]?.title).toMatch(/: Error — refused$/);
    expect(stripSummary(recent)).toBe('2 of the last 3 checks passed');
    expect(stripSummary([])).toBe('No checks yet');
  });
});

describe('copying and capabilities', () => {
  it('copies a result as text, binary by kind, structured content as JSON', () => {
    expect(
      outcomeText({
        parts: [
          { kind: 'text', text: 'Hello' },
          { kind: 'image', mime_type: 'image/png', data: 'AAAA' },
          { kind: 'omitted', what: 'a big file' },
        ],
        structured: { sum: 3 },
        is_error: false,
        duration_ms: 5,
        notes: [],
      }),
    ).toBe('Hello\n\n[image, image/png]\n\n[omitted: a big file]\n\n{\n  "sum": 3\n}');
  });

  it('lists capabilities with their flags in words', () => {
    expect(
      capabilityList({
        tools: { listChanged: true },
        logging: {},
        resources: { subscribe: true, listChanged: false },
      }),
    ).toEqual(['tools (list changes)', 'logging', 'resources (subscribe)']);
  });
});
