// Import from and export to other clients' files (Claude Desktop, VS Code, Cursor), from the
// Connectors page, against a fake Rust side (test-support.ts). Rust reads and writes the files;
// these tests are about what the person sees and what the page sends.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CandidateView, ConnectorView, ImportPlan, Saved } from './lib/types';
import {
  calls,
  connector,
  deferred,
  diagnosis,
  fakeClipboard,
  ipcError,
  renderWith,
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

/** A blob's text the way the page reads files (jsdom's Blob has no `text()`). */
function read(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

function byTestId(id: string): HTMLElement {
  return screen.getByTestId(id);
}

/** A VS Code file with a header value and a token reference (the values must never show). */
const FILE = JSON.stringify({
  inputs: [{ type: 'promptString', id: 'github-token', password: true }],
  servers: {
    GitHub: {
      type: 'http',
      url: 'https://api.githubcopilot.com/mcp/',
      headers: { Authorization: 'Bearer ${input:github-token}', 'X-Team': 'platform-secret-team' },
    },
    Legacy: { type: 'sse', url: 'https://legacy.example.com/sse', env: {}, timeout: 5 },
    Search: { type: 'http', url: 'https://search.example.net/mcp', headers: { 'X-Api-Key': '${env:SEARCH_KEY}' } },
    Files: { command: 'npx', args: ['files'] },
  },
});

function candidate(overrides: Partial<CandidateView>): CandidateView {
  return {
    name: 'Server',
    url: 'https://server.example.com/mcp',
    auth: 'none',
    header_names: [],
    transport: null,
    placeholders: [],
    ignored: [],
    ...overrides,
  };
}

const PLAN: ImportPlan = {
  format: 'vscode',
  candidates: [
    candidate({
      name: 'GitHub',
      url: 'https://api.githubcopilot.com/mcp/',
      auth: 'token',
      header_names: ['X-Team'],
      placeholders: [
        {
          reference: '${input:github-token}',
          kind: 'input',
          id: 'github-token',
          description: 'GitHub personal access token',
          secret: true,
        },
      ],
    }),
    candidate({
      name: 'Legacy',
      url: 'https://legacy.example.com/sse',
      transport: 'sse',
      ignored: ['env', 'timeout'],
    }),
    candidate({
      name: 'Search',
      url: 'https://search.example.net/mcp',
      header_names: ['X-Api-Key'],
      placeholders: [
        { reference: '${env:SEARCH_KEY}', kind: 'env', id: 'SEARCH_KEY', description: null, secret: false },
      ],
    }),
  ],
  skipped: [
    { name: 'Files', reason: 'it runs a local program (stdio); Patchbay connects to remote servers' },
    { name: 'Docs', reason: 'Default already has a connector named “Docs”' },
  ],
};

function saved(name: string, tools: number | null = 11): Saved {
  return {
    connector: connector({ name, status: 'connected' }),
    diagnosis: tools === null ? null : diagnosis({ tool_count: tools }),
  };
}

/** The fake Rust side of an import: `import_connector` answers by server name. */
async function renderImport(
  answers: Record<string, () => Saved | Promise<Saved>> = {},
  connectors: ConnectorView[] = [connector({ name: 'Docs' })],
) {
  const added: ConnectorView[] = [];
  await renderWith([], {
    list_connectors: () => [...connectors, ...added],
    import_plan: () => PLAN,
    import_connector: async (args) => {
      const answer = answers[args.name as string];
      const result = answer ? await answer() : saved(args.name as string);
      added.push(result.connector);
      return result;
    },
  });
}

async function openImport(): Promise<HTMLElement> {
  await fireEvent.click(byTestId('import-open'));
  return byTestId('import-dialog');
}

/** Pastes FILE, reads it and waits for the plan. */
async function readPasted(): Promise<HTMLElement> {
  const dialog = await openImport();
  await type(within(dialog).getByTestId('import-text'), FILE);
  await fireEvent.click(within(dialog).getByTestId('import-read'));
  await within(dialog).findByTestId('import-format-read');
  return dialog;
}

function candidateRow(name: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid="import-candidate"][data-name="${name}"]`,
  );
  if (!element) throw new Error(`no candidate ${name}`);
  return element;
}

function placeholder(reference: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(
    `[data-testid="import-placeholder"][data-reference="${reference}"]`,
  );
}

function fill(reference: string, value: string) {
  return type(within(placeholder(reference)!).getByLabelText(reference), value);
}

function result(name: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(
    `[data-testid="import-result"][data-name="${name}"]`,
  );
  if (!element) throw new Error(`no result for ${name}`);
  return element;
}

function addButton(): HTMLButtonElement {
  return byTestId('import-add') as HTMLButtonElement;
}

describe('importing', () => {
  it('shows what the file would add: the format, each server with its host, header names only, notes and what is skipped', async () => {
    await renderImport();
    const dialog = await readPasted();

    expect(calls('import_plan')).toEqual([{ workspace: 'Default', text: FILE, format: null }]);
    expect(text(within(dialog).getByTestId('import-format-read'))).toContain(
      'Read as VS Code’s mcp.json',
    );

    const github = candidateRow('GitHub');
    expect(github.querySelector('strong.host')?.textContent, 'the host stands out').toBe(
      'api.githubcopilot.com',
    );
    expect(text(within(github).getByTestId('import-url'))).toBe('https://api.githubcopilot.com/mcp/');
    expect(text(github)).toContain('Access token');
    expect(text(within(github).getByTestId('import-headers'))).toContain('X-Team');
    expect(text(dialog), 'a header value from the file is never shown').not.toContain(
      'platform-secret-team',
    );

    const legacy = candidateRow('Legacy');
    expect(text(legacy)).toContain('Legacy SSE server');
    expect(text(legacy)).toContain('Not used by Patchbay: env, timeout.');

    for (const name of ['GitHub', 'Legacy', 'Search']) {
      const check = within(candidateRow(name)).getByTestId('import-candidate-check');
      expect((check as HTMLInputElement).checked, `${name} is ticked at first`).toBe(true);
    }

    const skipped = screen.getAllByTestId('import-skipped');
    expect(skipped.map((item) => item.dataset.name)).toEqual(['Files', 'Docs']);
    expect(text(skipped[0]!)).toContain('It runs a local program (stdio)');
    expect(text(skipped[1]!)).toContain('Default already has a connector named “Docs”');

    const github_value = placeholder('${input:github-token}')!;
    expect(text(github_value)).toContain('GitHub personal access token');
    expect(text(github_value)).toContain('For GitHub');
    expect(
      within(github_value).getByLabelText('${input:github-token}').getAttribute('type'),
      'values are typed masked',
    ).toBe('password');
    expect(calls('import_connector'), 'nothing is added before the click').toEqual([]);
  });

  it('needs every value the ticked servers use before Add, and sends them by reference', async () => {
    await renderImport();
    await readPasted();

    expect(addButton().disabled).toBe(true);
    expect(text(addButton())).toBe('Add 3 connectors');
    expect(text(byTestId('import-blocked'))).toBe(
      'Fill in 2 values first: ${input:github-token}, ${env:SEARCH_KEY}.',
    );

    await fill('${input:github-token}', 'ghp_secret');
    expect(addButton().disabled, 'Search still needs its key').toBe(true);
    expect(text(byTestId('import-blocked'))).toBe(
      'Fill in ${env:SEARCH_KEY} to add the ticked servers.',
    );

    await fill('${env:SEARCH_KEY}', '  sk-search  ');
    expect(addButton().disabled).toBe(false);
    expect(screen.queryByTestId('import-blocked')).toBeNull();

    await fireEvent.click(addButton());
    await waitFor(() => expect(byTestId('import-summary').textContent).toContain('Added 3 of 3'));
    expect(calls('import_connector')).toEqual([
      {
        workspace: 'Default',
        text: FILE,
        format: 'vscode',
        name: 'GitHub',
        values: [{ reference: '${input:github-token}', value: 'ghp_secret' }],
      },
      { workspace: 'Default', text: FILE, format: 'vscode', name: 'Legacy', values: [] },
      {
        workspace: 'Default',
        text: FILE,
        format: 'vscode',
        name: 'Search',
        values: [{ reference: '${env:SEARCH_KEY}', value: 'sk-search' }],
      },
    ]);
  });

  it('leaves unticked servers out, and their values with them', async () => {
    await renderImport();
    await readPasted();

    await fireEvent.click(within(candidateRow('Search')).getByTestId('import-candidate-check'));
    expect(placeholder('${env:SEARCH_KEY}'), 'an unticked server asks for nothing').toBeNull();
    await fill('${input:github-token}', 'ghp_secret');
    expect(text(addButton())).toBe('Add 2 connectors');
    expect(addButton().disabled).toBe(false);

    await fireEvent.click(addButton());
    await waitFor(() => expect(byTestId('import-summary').textContent).toContain('Added 2 of 2'));
    expect(calls('import_connector').map((args) => args.name)).toEqual(['GitHub', 'Legacy']);
  });

  it('adds them one after another with progress; a failure does not stop the others', async () => {
    const first = deferred<Saved>();
    await renderImport({
      GitHub: () => first.promise,
      Legacy: () => {
        throw ipcError({
          code: 'Unreachable',
          message: 'couldn’t connect to https://legacy.example.com/sse: connection refused',
          hint: 'Is the server running?',
        });
      },
      Search: () => saved('Search', null),
    });
    const dialog = await readPasted();
    await fill('${input:github-token}', 'ghp_secret');
    await fill('${env:SEARCH_KEY}', 'sk-search');
    await fireEvent.click(addButton());

    expect(result('GitHub').dataset.outcome).toBe('running');
    expect(text(result('GitHub'))).toContain('Testing the connection…');
    expect(result('Legacy').dataset.outcome).toBe('waiting');
    expect(calls('import_connector'), 'one at a time').toHaveLength(1);
    expect(text(byTestId('import-summary'))).toBe('Adding 1 of 3…');
    expect(
      within(dialog).getByRole('button', { name: 'Close' }).matches(':disabled'),
      'the dialog stays while it works',
    ).toBe(true);

    first.resolve(saved('GitHub', 12));
    await waitFor(() => expect(result('Search').dataset.outcome).toBe('added'));

    expect(result('GitHub').dataset.outcome).toBe('added');
    expect(text(result('GitHub'))).toContain('Added — 12 tools');
    expect(result('Legacy').dataset.outcome).toBe('failed');
    expect(text(result('Legacy'))).toContain(
      'Couldn’t reach the server: couldn’t connect to https://legacy.example.com/sse: connection refused',
    );
    expect(text(result('Legacy'))).toContain('Is the server running?');
    expect(text(result('Search'))).toBe('Search Added');
    expect(text(byTestId('import-summary'))).toBe('Added 2 of 3. Nothing was saved for the other.');

    // The page reads its list again: the added connectors are there.
    await waitFor(() => expect(row('GitHub')).toBeTruthy());
    expect(row('Search')).toBeTruthy();
    expect(calls('list_connectors').length).toBeGreaterThan(1);

    await fireEvent.click(within(dialog).getByTestId('import-retry'));
    const github = within(candidateRow('GitHub')).getByTestId('import-candidate-check');
    expect((github as HTMLInputElement).disabled, 'an added server can’t be added twice').toBe(true);
    expect(text(addButton()), 'only the one that failed is ticked').toBe('Add 1 connector');
  });

  it('shows a file it cannot read in the dialog, and reads another', async () => {
    await renderWith([], {
      import_plan: (args) => {
        if ((args.text as string).startsWith('{')) return PLAN;
        throw ipcError({
          code: 'InvalidInput',
          message: 'the file is not valid JSON: expected value at line 1 column 1',
        });
      },
    });
    // An empty workspace offers Import too.
    await fireEvent.click(byTestId('import-open-empty'));
    const dialog = byTestId('import-dialog');
    const input = within(dialog).getByTestId('import-file') as HTMLInputElement;
    expect(input.accept).toBe('.json,.jsonc,application/json');
    expect((within(dialog).getByTestId('import-read') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.change(input, { target: { files: [new File(['not json'], 'broken.json')] } });
    await waitFor(() => expect(text(within(dialog).getByTestId('import-file-name'))).toBe('broken.json'));
    expect(within(dialog).queryByTestId('import-text'), 'the file replaces pasting').toBeNull();
    await fireEvent.click(within(dialog).getByTestId('import-read'));

    const error = await within(dialog).findByTestId('import-error');
    expect(text(error)).toContain('Couldn’t read broken.json');
    expect(text(error)).toContain('The file is not valid JSON: expected value at line 1 column 1');
    expect(calls('import_plan')).toEqual([{ workspace: 'Default', text: 'not json', format: null }]);

    await fireEvent.change(within(dialog).getByTestId('import-format'), {
      target: { value: 'vscode' },
    });
    await fireEvent.change(input, { target: { files: [new File([FILE], 'mcp.json')] } });
    await waitFor(() => expect(text(within(dialog).getByTestId('import-file-name'))).toBe('mcp.json'));
    expect(within(dialog).queryByTestId('import-error'), 'a new file clears the error').toBeNull();
    await fireEvent.click(within(dialog).getByTestId('import-read'));

    await within(dialog).findByTestId('import-format-read');
    expect(calls('import_plan')[1]).toEqual({ workspace: 'Default', text: FILE, format: 'vscode' });
    expect(screen.getAllByTestId('import-candidate')).toHaveLength(3);
  });
});

describe('exporting', () => {
  const CLAUDE = '{\n  "mcpServers": {\n    "Docs": { "url": "${env:DOCS_TOKEN}" }\n  }\n}';
  const VSCODE_SECRETS = '{\n  "servers": {\n    "Docs": { "headers": { "Authorization": "Bearer sk-live" } }\n  }\n}';

  async function renderExport() {
    await renderWith([connector({ name: 'Docs', auth: 'token', token_set: true })], {
      export_workspace: (args) =>
        args.includeSecrets ? VSCODE_SECRETS : args.format === 'claude' ? CLAUDE : '{ "servers": {} }',
    });
    await fireEvent.click(byTestId('export-open'));
    const dialog = byTestId('export-dialog');
    await within(dialog).findByTestId('export-preview');
    return dialog;
  }

  it('leaves secrets out unless asked, warns when they are in, and writes the chosen format', async () => {
    const dialog = await renderExport();

    const secrets = within(dialog).getByTestId('export-secrets') as HTMLInputElement;
    expect(secrets.checked, 'secrets are left out by default').toBe(false);
    expect(within(dialog).queryByTestId('export-warning')).toBeNull();
    expect(calls('export_workspace')).toEqual([
      { workspace: 'Default', format: 'claude', includeSecrets: false },
    ]);
    expect(within(dialog).getByTestId('export-preview').textContent).toBe(CLAUDE);

    await fireEvent.change(within(dialog).getByTestId('export-format'), {
      target: { value: 'vscode' },
    });
    await waitFor(() =>
      expect(within(dialog).getByTestId('export-preview').textContent).toBe('{ "servers": {} }'),
    );
    expect(calls('export_workspace')[1]).toEqual({
      workspace: 'Default',
      format: 'vscode',
      includeSecrets: false,
    });

    await fireEvent.click(secrets);
    expect(text(within(dialog).getByTestId('export-warning'))).toContain(
      'Anyone who gets this file can use these connectors as you',
    );
    await waitFor(() =>
      expect(within(dialog).getByTestId('export-preview').textContent).toBe(VSCODE_SECRETS),
    );
    expect(calls('export_workspace')[2]).toEqual({
      workspace: 'Default',
      format: 'vscode',
      includeSecrets: true,
    });

    await fireEvent.click(secrets);
    expect(within(dialog).queryByTestId('export-warning')).toBeNull();
  });

  it('copies the file and saves it under the workspace and format', async () => {
    const dialog = await renderExport();
    const writeText = fakeClipboard();
    await fireEvent.click(within(dialog).getByTestId('export-copy'));
    expect(writeText).toHaveBeenCalledWith(CLAUDE);
    await waitFor(() => expect(text(within(dialog).getByTestId('export-copy'))).toBe('Copied'));

    await fireEvent.change(within(dialog).getByTestId('export-format'), {
      target: { value: 'vscode' },
    });
    await waitFor(() =>
      expect(within(dialog).getByTestId('export-preview').textContent).toBe('{ "servers": {} }'),
    );
    let blob: Blob | null = null;
    URL.createObjectURL = vi.fn((value: Blob) => {
      blob = value;
      return 'blob:export';
    });
    URL.revokeObjectURL = vi.fn();
    let link: HTMLAnchorElement | null = null;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      link = this;
    });
    await fireEvent.click(within(dialog).getByTestId('export-save'));

    expect(link!.download).toBe('patchbay-Default-vscode.json');
    expect(blob!.type).toBe('application/json');
    expect(await read(blob!)).toBe('{ "servers": {} }');
  });
});
