// What the connector list gained with the workbench: tool counts and the strip of recent checks,
// search, status filter and sort, Pause, Resume and Duplicate (from a row and from the
// workbench), and a connector's notifications on or off, against a fake Rust side
// (test-support.ts).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CheckView, type ConnectorView, EVENTS } from './lib/types';
import {
  calls,
  connector,
  diagnosis,
  emit,
  ipcError,
  openWorkbench,
  renderWith,
  renderWorkbench,
  resetTauri,
  row,
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

function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function shownNames(): string[] {
  return screen.getAllByTestId('connector-row').map((element) => element.dataset.name ?? '');
}

function check(status: CheckView['status'], minutesAgo: number): CheckView {
  return {
    checked_at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    status,
    latency_ms: 50,
    tool_count: 4,
    detail: status === 'connected' ? null : 'refused',
  };
}

const list: ConnectorView[] = [
  connector({ name: 'Search', status: 'error', last_checked_at: '2025-01-02T00:00:00Z' }),
  connector({ name: 'Archive', status: 'connected', paused: true }),
  connector({
    name: 'Docs',
    status: 'connected',
    last_checked_at: '2025-01-03T00:00:00Z',
    url: 'https://docs.corp.example/mcp',
  }),
  connector({ name: 'Notes', status: 'unknown' }),
];

describe('the rows', () => {
  it('show how many tools each server listed and its recent checks, newest on the right', async () => {
    const recent = [check('error', 1), check('connected', 6), check('connected', 11)];
    await renderWith([
      connector({ name: 'Docs', status: 'error', tool_count: 12, recent }),
      connector({ name: 'One', status: 'connected', tool_count: 1 }),
      connector({ name: 'New' }),
    ]);

    expect(text(within(row('Docs')).getByTestId('tool-count'))).toBe('12 tools');
    expect(text(within(row('One')).getByTestId('tool-count'))).toBe('1 tool');
    expect(
      within(row('New')).queryByTestId('tool-count'),
      'no count before a check listed tools',
    ).toBeNull();

    const strip = within(row('Docs')).getByRole('img', { name: '2 of the last 3 checks passed' });
    const marks = Array.from(strip.children) as HTMLElement[];
    expect(marks.map((mark) => mark.dataset.tone)).toEqual(['ok', 'ok', 'error']);
    expect(marks[2]?.title).toMatch(/: Error — refused$/);
    expect(within(row('New')).queryByTestId('status-strip')).toBeNull();
  });

  it('add the result of each check to the strip as it arrives', async () => {
    const docs = connector({
      name: 'Docs',
      status: 'connected',
      tool_count: 3,
      recent: [check('connected', 5)],
    });
    await renderWith([docs]);

    await emit(EVENTS.connectorStatus, {
      connector_id: docs.id,
      workspace: 'Default',
      name: 'Docs',
      previous: 'connected',
      current: 'connected',
      diagnosis: diagnosis({ tool_count: 7 }),
      error: null,
    });

    expect(text(within(row('Docs')).getByTestId('tool-count'))).toBe('7 tools');
    expect(
      within(row('Docs')).getByRole('img', { name: '2 of the last 2 checks passed' }),
    ).toBeTruthy();
  });

  it('dim a paused connector and say what pausing means', async () => {
    await renderWith(list);
    const archive = row('Archive');
    expect(archive.dataset.paused).toBe('true');
    expect(archive.classList.contains('paused')).toBe(true);
    expect(text(within(archive).getByTestId('paused-note'))).toBe(
      'Paused — not checked, not offered to steps',
    );
    expect(text(archive)).toContain('Paused');
    expect(text(screen.getByText(/^4 connectors/))).toBe(
      '4 connectors · 1 connected · 1 needs attention · 1 paused',
    );
  });
});

describe('finding connectors', () => {
  it('searches names, URLs and status words', async () => {
    await renderWith(list);
    expect(shownNames(), 'sorted by name at first').toEqual(['Archive', 'Docs', 'Notes', 'Search']);

    await type(screen.getByTestId('connector-search'), 'corp.example');
    expect(shownNames()).toEqual(['Docs']);
    await type(screen.getByTestId('connector-search'), 'error');
    expect(shownNames()).toEqual(['Search']);
    await type(screen.getByTestId('connector-search'), 'nothing');
    expect(text(screen.getByTestId('no-matches'))).toContain('No connectors match “nothing”.');
    await fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(shownNames()).toHaveLength(4);
  });

  it('filters by status', async () => {
    await renderWith(list);
    const filter = screen.getByTestId('connector-status-filter');

    await fireEvent.change(filter, { target: { value: 'connected' } });
    expect(shownNames()).toEqual(['Docs']);
    await fireEvent.change(filter, { target: { value: 'attention' } });
    expect(shownNames()).toEqual(['Search']);
    await fireEvent.change(filter, { target: { value: 'paused' } });
    expect(shownNames()).toEqual(['Archive']);
    await fireEvent.change(filter, { target: { value: 'all' } });
    expect(shownNames()).toHaveLength(4);
  });

  it('sorts by name, status and last checked', async () => {
    await renderWith(list);
    const sort = screen.getByTestId('connector-sort');

    await fireEvent.change(sort, { target: { value: 'status' } });
    expect(shownNames()).toEqual(['Search', 'Notes', 'Docs', 'Archive']);
    await fireEvent.change(sort, { target: { value: 'checked' } });
    expect(shownNames()).toEqual(['Docs', 'Search', 'Archive', 'Notes']);
    await fireEvent.change(sort, { target: { value: 'name' } });
    expect(shownNames()).toEqual(['Archive', 'Docs', 'Notes', 'Search']);
  });
});

describe('pausing and resuming', () => {
  it('pauses from the row’s details and resumes, which checks it again', async () => {
    const docs = connector({ name: 'Docs', status: 'connected' });
    await renderWith([docs], {
      pause_connector: () => ({ ...docs, paused: true }),
      resume_connector: () => ({ ...docs, paused: false }),
    });

    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Docs')).getByRole('button', { name: 'Pause' }));
    expect(calls('pause_connector')).toEqual([{ workspace: 'Default', name: 'Docs' }]);
    await waitFor(() => expect(row('Docs').dataset.paused).toBe('true'));
    expect(text(row('Docs'))).toContain('Paused — not checked, not offered to steps');
    expect(await screen.findByText('Paused Docs')).toBeTruthy();

    await fireEvent.click(within(row('Docs')).getByRole('button', { name: 'Resume' }));
    expect(calls('resume_connector')).toEqual([{ workspace: 'Default', name: 'Docs' }]);
    await waitFor(() => expect(row('Docs').dataset.paused).toBe('false'));
    expect(text(row('Docs')), 'Rust checks it at once').toContain('Checking…');
  });

  it('pauses and resumes from the workbench', async () => {
    const docs = connector({ name: 'Docs', status: 'connected' });
    await renderWorkbench([docs], [], {
      pause_connector: () => ({ ...docs, paused: true }),
      resume_connector: () => ({ ...docs, paused: false }),
    });
    const detail = await openWorkbench('Docs');

    await fireEvent.click(within(detail).getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(within(detail).getByTestId('paused-note')).toBeTruthy());
    expect(text(within(detail).getByTestId('detail-status'))).toBe('Paused');
    expect((within(detail).getByTestId('check-connector') as HTMLButtonElement).disabled).toBe(
      true,
    );

    await fireEvent.click(within(detail).getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(within(detail).queryByTestId('paused-note')).toBeNull());
    expect(calls('resume_connector')).toHaveLength(1);
  });

  it('leaves paused connectors out of Check all and Check now', async () => {
    await renderWith(list);
    await fireEvent.click(screen.getByTestId('check-all'));

    expect(calls('check_now')).toEqual([{ connectorId: null }]);
    expect(text(row('Docs'))).toContain('Checking…');
    expect(text(row('Archive')), 'Rust does not check it, so the row does not wait').not.toContain(
      'Checking…',
    );
    const check = within(row('Archive')).getByTestId('check-connector');
    expect(check.getAttribute('aria-disabled')).toBe('true');
    await fireEvent.click(check);
    expect(calls('check_now')).toHaveLength(1);
  });

  it('says when pausing fails and leaves the connector as it was', async () => {
    await renderWith([connector({ name: 'Docs' })], {
      pause_connector: () => {
        throw ipcError({ code: 'NotFound', message: 'no connector named “Docs”' });
      },
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Docs')).getByTestId('pause-connector'));
    expect(await screen.findByText('Couldn’t pause Docs')).toBeTruthy();
    expect(row('Docs').dataset.paused).toBe('false');
  });
});

describe('switching notifications', () => {
  it('mutes from the workbench, which the row then shows, and unmutes', async () => {
    const docs = connector({ name: 'Docs', status: 'connected' });
    await renderWorkbench([docs], [], {
      set_connector_notifications: (args) => ({ ...docs, muted: !args.on }),
    });
    let detail = await openWorkbench('Docs');
    const notifications = () => within(detail).getByTestId('connector-notifications');
    expect(notifications().getAttribute('aria-pressed'), 'on by default').toBe('true');

    await fireEvent.click(notifications());
    expect(calls('set_connector_notifications')).toEqual([
      { workspace: 'Default', name: 'Docs', on: false },
    ]);
    await waitFor(() => expect(notifications().getAttribute('aria-pressed')).toBe('false'));
    expect(await screen.findByText('Notifications off for Docs')).toBeTruthy();

    await fireEvent.click(within(detail).getByTestId('back-to-connectors'));
    const badge = within(row('Docs')).getByTestId('muted-badge');
    expect(badge.title).toBe('Notifications are off for this connector');

    detail = await openWorkbench('Docs');
    await fireEvent.click(notifications());
    expect(calls('set_connector_notifications')[1]).toEqual({
      workspace: 'Default',
      name: 'Docs',
      on: true,
    });
    await waitFor(() => expect(notifications().getAttribute('aria-pressed')).toBe('true'));
    expect(await screen.findByText('Notifications on for Docs')).toBeTruthy();
    await fireEvent.click(within(detail).getByTestId('back-to-connectors'));
    expect(within(row('Docs')).queryByTestId('muted-badge')).toBeNull();
  });

  it('shows a muted connector’s badge in the list from the start', async () => {
    await renderWith([connector({ name: 'Docs', muted: true }), connector({ name: 'Notes' })]);
    expect(within(row('Docs')).getByTestId('muted-badge')).toBeTruthy();
    expect(within(row('Notes')).queryByTestId('muted-badge')).toBeNull();
  });

  it('says when switching fails and leaves the connector as it was', async () => {
    await renderWorkbench([connector({ name: 'Docs' })], [], {
      set_connector_notifications: () => {
        throw ipcError({ code: 'NotFound', message: 'no connector named “Docs”' });
      },
    });
    const detail = await openWorkbench('Docs');
    await fireEvent.click(within(detail).getByTestId('connector-notifications'));
    expect(await screen.findByText('Couldn’t switch notifications off for Docs')).toBeTruthy();
    expect(
      within(detail).getByTestId('connector-notifications').getAttribute('aria-pressed'),
    ).toBe('true');
  });
});

describe('duplicating', () => {
  const docs = connector({ name: 'Docs', status: 'connected' });

  it('asks for the name, suggesting “(copy)”, and adds the copy to the list', async () => {
    await renderWith([docs], {
      duplicate_connector: (args) => connector({ name: args.newName as string }),
    });
    await fireEvent.click(within(row('Docs')).getByTestId('expand-connector'));
    await fireEvent.click(within(row('Docs')).getByRole('button', { name: 'Duplicate' }));

    const dialog = screen.getByRole('dialog', { name: 'Duplicate “Docs”' });
    const name = within(dialog).getByLabelText('Name of the copy') as HTMLInputElement;
    expect(name.value).toBe('Docs (copy)');
    await type(name, 'Docs staging');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Duplicate' }));

    expect(calls('duplicate_connector')).toEqual([
      { workspace: 'Default', name: 'Docs', newName: 'Docs staging' },
    ]);
    await waitFor(() => expect(shownNames()).toEqual(['Docs', 'Docs staging']));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(await screen.findByText('Duplicated Docs as Docs staging')).toBeTruthy();
  });

  it('lets Rust choose the name when it is left empty, and shows a refusal in the dialog', async () => {
    let refuse = true;
    await renderWorkbench([docs], [], {
      duplicate_connector: () => {
        if (refuse)
          throw ipcError({
            code: 'InvalidInput',
            message: 'a connector named “Docs (copy)” already exists',
          });
        return connector({ name: 'Docs (copy 2)' });
      },
    });
    const detail = await openWorkbench('Docs');
    await fireEvent.click(within(detail).getByRole('button', { name: 'Duplicate' }));
    const dialog = screen.getByRole('dialog', { name: 'Duplicate “Docs”' });

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Duplicate' }));
    expect(text(await within(dialog).findByTestId('duplicate-error'))).toContain('already exists');
    refuse = false;
    await type(within(dialog).getByLabelText('Name of the copy'), '  ');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Duplicate' }));

    expect(calls('duplicate_connector')[1]).toEqual({
      workspace: 'Default',
      name: 'Docs',
      newName: null,
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('connector-detail').dataset.name, 'the workbench stays open').toBe(
      'Docs',
    );
  });
});

describe('deleting from the workbench', () => {
  it('returns to the list without the connector', async () => {
    await renderWorkbench([connector({ name: 'Docs' }), connector({ name: 'Other' })], [], {
      remove_connector: () => null,
    });
    const detail = await openWorkbench('Docs');
    await fireEvent.click(within(detail).getByRole('button', { name: 'Delete Docs' }));
    await fireEvent.click(screen.getByTestId('confirm-delete'));

    await waitFor(() => expect(screen.queryByTestId('connector-detail')).toBeNull());
    expect(shownNames()).toEqual(['Other']);
  });
});
