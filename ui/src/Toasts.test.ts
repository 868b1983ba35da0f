// Toasts never cover the page or a dialog's buttons: the page scrolls in its own box above the
// toast strip, the strip publishes its height (`--toast-space`) for dialogs to centre above it,
// and a dialog holds the page's scroller still. Messages from Rust read as sentences. jsdom has
// no layout: these tests check the structure and the numbers the CSS uses; the window tests'
// screenshots show the result.
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Toasts } from './lib/toasts.svelte';
import {
  connector,
  diagnosis,
  ipcError,
  openAddDialog,
  renderWith,
  resetTauri,
  row,
  type,
} from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

/** Stands in for ResizeObserver (jsdom has none): the test says when a size changed. */
class FakeResizeObserver {
  static instances: FakeResizeObserver[] = [];
  observed: Element[] = [];
  constructor(readonly callback: () => void) {
    FakeResizeObserver.instances.push(this);
  }
  observe(element: Element) {
    this.observed.push(element);
  }
  disconnect() {
    this.observed = [];
  }
}

function region(): HTMLElement {
  return screen.getByTestId('toast-region');
}

function scroller(): HTMLElement {
  const element = document.querySelector<HTMLElement>('[data-scroll-root]');
  if (!element) throw new Error('no scroll root');
  return element;
}

const failingCheck = {
  check_now: () => {
    throw ipcError({ code: 'Internal', message: 'the monitor is not running' });
  },
};

beforeEach(() => {
  resetTauri();
  localStorage.clear();
  FakeResizeObserver.instances = [];
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  document.documentElement.style.removeProperty('--toast-space');
});

describe('where toasts go', () => {
  it('takes its own room below the page instead of floating over it', async () => {
    await renderWith([connector({ name: 'Docs' })], failingCheck);
    await fireEvent.click(within(row('Docs')).getByTestId('check-connector'));
    await screen.findByTestId('toast');

    expect(scroller().contains(row('Docs')), 'the rows scroll in the page box').toBe(true);
    expect(scroller().contains(region()), 'toasts are not inside the page box').toBe(false);
    expect(region().parentElement, 'they share one column').toBe(scroller().parentElement);
    expect(
      scroller().compareDocumentPosition(region()) & Node.DOCUMENT_POSITION_FOLLOWING,
      'the strip comes after the page, at the bottom',
    ).toBeTruthy();
    expect(region().getAttribute('aria-live'), 'still announced').toBe('polite');
  });

  it('publishes the strip’s height for dialogs to centre above, and withdraws it', async () => {
    vi.stubGlobal('ResizeObserver', FakeResizeObserver);
    await renderWith([connector({ name: 'Docs' })], failingCheck);
    const observer = FakeResizeObserver.instances.find((o) => o.observed.includes(region()));
    expect(observer, 'the strip watches its own size').toBeTruthy();
    expect(document.documentElement.style.getPropertyValue('--toast-space')).toBe('0px');

    await fireEvent.click(within(row('Docs')).getByTestId('check-connector'));
    await screen.findByTestId('toast');
    Object.defineProperty(region(), 'offsetHeight', { value: 96, configurable: true });
    observer?.callback();
    expect(
      document.documentElement.style.getPropertyValue('--toast-space'),
      'dialogs keep clear of a 96 px strip',
    ).toBe('96px');

    cleanup();
    expect(document.documentElement.style.getPropertyValue('--toast-space')).toBe('');
  });

  it('keeps the page still behind a dialog and lets it scroll again after', async () => {
    await renderWith([connector({ name: 'Docs' })]);
    expect(scroller().style.overflow).toBe('');

    await openAddDialog();
    expect(scroller().style.overflow, 'the page box, not only the body, is held').toBe('hidden');
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(scroller().style.overflow).toBe('');
  });
});

describe('how long toasts stay', () => {
  it('fades successes and notes, keeps errors and warnings until dismissed', () => {
    vi.useFakeTimers();
    const toasts = new Toasts();
    toasts.success('Saved Docs');
    toasts.info('Checking');
    const error = toasts.error('Couldn’t check Docs');
    const warning = toasts.warning('The server did not grant: files:write');

    vi.advanceTimersByTime(60_000);
    expect(toasts.items.map((toast) => toast.tone)).toEqual(['error', 'warning']);
    toasts.hold(warning);
    toasts.release(warning);
    vi.advanceTimersByTime(60_000);
    expect(toasts.items.map((toast) => toast.id), 'releasing a warning does not time it out').toEqual([
      error,
      warning,
    ]);
    toasts.dismiss(warning);
    expect(toasts.items.map((toast) => toast.id)).toEqual([error]);
  });
});

describe('messages from Rust read as sentences', () => {
  it('capitalises them in toasts, error boxes and rows, and leaves URLs alone', async () => {
    await renderWith(
      [
        connector({ name: 'Docs', status: 'error', last_error: 'the server answered HTTP 500' }),
        connector({
          name: 'Local',
          status: 'disconnected',
          last_error: 'http://127.0.0.1:3001/mcp refused the connection',
        }),
      ],
      {
        ...failingCheck,
        add_connector: () => {
          throw ipcError({
            code: 'NeedsAuth',
            message: 'the authorization server rejected the client credentials (invalid_client)',
            diagnosis: diagnosis({ ok: false, stage: 'auth', http_status: 401 }),
          });
        },
      },
    );
    expect(row('Docs').textContent).toContain('The server answered HTTP 500');
    expect(row('Local').textContent, 'a URL keeps its case').toContain(
      'http://127.0.0.1:3001/mcp refused the connection',
    );

    await fireEvent.click(within(row('Docs')).getByTestId('check-connector'));
    expect((await screen.findByTestId('toast')).textContent).toContain(
      'The monitor is not running',
    );

    await openAddDialog();
    await type(screen.getByTestId('field-name'), 'Billing');
    await type(screen.getByTestId('field-url'), 'https://mcp.billing.example/mcp');
    await fireEvent.change(screen.getByTestId('field-auth'), { target: { value: 'none' } });
    await fireEvent.click(screen.getByTestId('save-connector'));
    const report = await screen.findByTestId('dialog-error');
    expect(report.textContent).toContain(
      'The authorization server rejected the client credentials (invalid_client)',
    );
    expect(report.textContent).not.toContain('the authorization server rejected');
  });
});
