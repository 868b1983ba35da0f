import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  addConnector,
  callTool,
  cancelToolCall,
  checkHistory,
  diagnosticsReport,
  duplicateConnector,
  getPrompt,
  onToolProgress,
  onToolsChanged,
  pauseConnector,
  promptCatalog,
  readResource,
  resourceCatalog,
  resumeConnector,
  serverDetails,
  setConnectorNotifications,
  setToolsEnabled,
  toolCatalog,
  unwatchTools,
  watchTools,
  answerApproval,
  cancelRun,
  listRuns,
  onStepRun,
  runStep,
  setModelTools,
  authorizeConnector,
  cancelAuthorization,
  checkNow,
  forgetCredentials,
  onAuthorizeWaiting,
  oauthRedirectUris,
  onConnectorStatus,
  onFocusConnector,
  reauthorizeConnector,
  renameWorkspace,
  toIpcError,
  exportWorkspace,
  importConnector,
  importPlan,
  onInstallOffer,
  takeInstallOffer,
} from './ipc';
import { type ConnectorInput, ERROR_CODES, EVENTS } from './types';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

describe('toIpcError', () => {
  it('keeps a command error with its hint and diagnosis', () => {
    const diagnosis = { ok: false, stage: 'auth', hint: 'Check the token.' };
    expect(
      toIpcError({ code: 'NeedsAuth', message: 'Rejected.', hint: 'Check the token.', diagnosis }),
    ).toEqual({
      code: 'NeedsAuth',
      message: 'Rejected.',
      hint: 'Check the token.',
      diagnosis,
      redirect_uri: null,
      run_id: null,
    });
  });

  it('keeps the redirect URI of a server that needs a client ID', () => {
    const uri = 'dev.patchbay.desktop:/oauth/callback';
    expect(toIpcError({ code: 'NeedsClientId', message: 'Needs a client ID.', redirect_uri: uri }))
      .toEqual({
        code: 'NeedsClientId',
        message: 'Needs a client ID.',
        hint: null,
        diagnosis: null,
        redirect_uri: uri,
        run_id: null,
      });
  });

  it('fills in a missing hint and diagnosis with null', () => {
    expect(toIpcError({ code: 'NotFound', message: 'No such connector.' })).toEqual({
      code: 'NotFound',
      message: 'No such connector.',
      hint: null,
      diagnosis: null,
      redirect_uri: null,
      run_id: null,
    });
  });

  it('keeps every error code generated from Rust, Cancelled among them', () => {
    expect(ERROR_CODES).toContain('Cancelled');
    for (const code of ERROR_CODES) {
      expect(toIpcError({ code, message: 'm' }).code, `${code} is a code Rust sends`).toBe(code);
    }
    expect(toIpcError({ code: 'Cancelled', message: 'sign-in cancelled' })).toEqual({
      code: 'Cancelled',
      message: 'sign-in cancelled',
      hint: null,
      diagnosis: null,
      redirect_uri: null,
      run_id: null,
    });
  });

  it('keeps the id of a step run that failed after it started', () => {
    expect(
      toIpcError({ code: 'Cancelled', message: 'step run cancelled', run_id: 'run-9' }).run_id,
    ).toBe('run-9');
    expect(toIpcError({ code: 'Internal', message: 'x', run_id: '' }).run_id).toBeNull();
  });

  it('keeps the remedy behind a diagnosis hint', () => {
    const diagnosis = { ok: false, stage: 'auth', hint: 'sign in again', remedy: 'sign_in_again' };
    expect(toIpcError({ code: 'NeedsAuth', message: 'Expired.', diagnosis }).diagnosis).toEqual(
      diagnosis,
    );
  });

  it('turns anything else into Internal with a readable message', () => {
    expect(toIpcError('command add_thing not found').code).toBe('Internal');
    expect(toIpcError(new Error('window is gone')).message).toBe('window is gone');
    expect(toIpcError({ code: 'Bogus', message: 'x' }).code, 'unknown codes are not trusted').toBe(
      'Internal',
    );
    expect(
      toIpcError({ code: 'cancelled', message: 'x' }).code,
      'codes are matched exactly, as Rust spells them',
    ).toBe('Internal');
  });
});

describe('commands', () => {
  beforeEach(() => {
    invokeMock.mockReset();
    listenMock.mockReset();
  });

  it('passes arguments with the camelCase names Tauri expects', async () => {
    invokeMock.mockResolvedValue(null);
    await renameWorkspace('Old', 'New');
    await checkNow(null);
    expect(invokeMock).toHaveBeenCalledWith('rename_workspace', { oldName: 'Old', newName: 'New' });
    expect(invokeMock).toHaveBeenCalledWith('check_now', { connectorId: null });
  });

  it('passes the OAuth commands their arguments', async () => {
    invokeMock.mockResolvedValue(null);
    const input: ConnectorInput = {
      name: 'L',
      url: 'https://l.example/mcp',
      auth: 'oauth',
      token: null,
      headers: [],
    };
    const client = { client_id: 'pb', client_secret: null };
    const flow = { flow_id: 'f-1', redirect: 'DeepLink' as const };
    const loopback = { flow_id: 'f-2', redirect: 'Loopback' as const };
    await authorizeConnector('Default', input, client, flow);
    await reauthorizeConnector('Default', 'L', null, loopback);
    await cancelAuthorization('f-1');
    await oauthRedirectUris();
    await forgetCredentials('Default', 'L');
    expect(invokeMock.mock.calls).toEqual([
      ['authorize_connector', { workspace: 'Default', input, client, flow }],
      ['reauthorize_connector', { workspace: 'Default', name: 'L', client: null, flow: loopback }],
      ['cancel_authorization', { flowId: 'f-1' }],
      ['oauth_redirect_uris', {}],
      ['forget_credentials', { workspace: 'Default', name: 'L' }],
    ]);
  });

  it('passes the step commands their camelCase arguments, with u64 fields as numbers', async () => {
    invokeMock.mockResolvedValue(null);
    const spec = {
      provider: 'Local',
      model: 'qwen',
      system: null,
      prompt: 'Add.',
      connectors: [],
      max_rounds: 10,
      approval: 'ask' as const,
      tool_timeout_seconds: 30,
      temperature: null,
      seed: null,
    };
    await runStep('Default', null, spec, 'run-1');
    await answerApproval('run-1', 'approval-1', 'always');
    await cancelRun('run-1');
    await listRuns('Default', 'Digest');
    await setModelTools('Default', 'Local', 'qwen', null);
    expect(invokeMock.mock.calls).toEqual([
      ['run_step', { workspace: 'Default', step: null, spec: { ...spec, tool_timeout_seconds: 30 }, runId: 'run-1' }],
      ['answer_approval', { runId: 'run-1', requestId: 'approval-1', answer: 'always' }],
      ['cancel_run', { runId: 'run-1' }],
      ['list_runs', { workspace: 'Default', step: 'Digest' }],
      ['set_model_tools', { workspace: 'Default', provider: 'Local', model: 'qwen', tools: null }],
    ]);
    expect(() => JSON.stringify(invokeMock.mock.calls[0]), 'JSON can carry it').not.toThrow();
  });

  it('passes the workbench commands their camelCase arguments', async () => {
    invokeMock.mockResolvedValue(null);
    await toolCatalog('Default', 'Docs');
    await setToolsEnabled('Default', 'Docs', ['echo', 'add'], false);
    await callTool('Default', 'Docs', 'add', { a: 1 }, 'call-1');
    await cancelToolCall('call-1');
    await watchTools('Default', 'Docs', 'watch-1');
    await unwatchTools('watch-1');
    await resourceCatalog('Default', 'Docs');
    await readResource('Default', 'Docs', 'file:///a');
    await promptCatalog('Default', 'Docs');
    await getPrompt('Default', 'Docs', 'summarize', { issue: '42' });
    await serverDetails('Default', 'Docs');
    await checkHistory('Default', 'Docs');
    await diagnosticsReport('Default', 'Docs');
    await pauseConnector('Default', 'Docs');
    await resumeConnector('Default', 'Docs');
    await setConnectorNotifications('Default', 'Docs', false);
    await duplicateConnector('Default', 'Docs', null);
    const docs = { workspace: 'Default', name: 'Docs' };
    expect(invokeMock.mock.calls).toEqual([
      ['tool_catalog', docs],
      ['set_tools_enabled', { ...docs, tools: ['echo', 'add'], enabled: false }],
      ['call_tool', { ...docs, tool: 'add', arguments: { a: 1 }, callId: 'call-1' }],
      ['cancel_tool_call', { callId: 'call-1' }],
      ['watch_tools', { ...docs, watchId: 'watch-1' }],
      ['unwatch_tools', { watchId: 'watch-1' }],
      ['resource_catalog', docs],
      ['read_resource', { ...docs, uri: 'file:///a' }],
      ['prompt_catalog', docs],
      ['get_prompt', { ...docs, prompt: 'summarize', arguments: { issue: '42' } }],
      ['server_details', docs],
      ['check_history', docs],
      ['diagnostics_report', docs],
      ['pause_connector', docs],
      ['resume_connector', docs],
      ['set_connector_notifications', { ...docs, on: false }],
      ['duplicate_connector', { ...docs, newName: null }],
    ]);
  });

  it('rejects with an IpcError', async () => {
    invokeMock.mockRejectedValue('boom');
    await expect(
      addConnector('Default', { name: 'a', url: 'http://a', auth: 'none', token: null, headers: [] }),
    ).rejects.toEqual({
      code: 'Internal',
      message: 'boom',
      hint: null,
      diagnosis: null,
      redirect_uri: null,
      run_id: null,
    });
  });

  it('hands event payloads to the handler', async () => {
    listenMock.mockImplementation(async (_event, handler) => {
      handler({ event: EVENTS.connectorStatus, id: 1, payload: { name: 'Docs' } });
      return () => {};
    });
    const handler = vi.fn();
    await onConnectorStatus(handler);
    expect(listenMock).toHaveBeenCalledWith(EVENTS.connectorStatus, expect.any(Function));
    expect(handler).toHaveBeenCalledWith({ name: 'Docs' });
  });

  it('hands the sign-in URL to the authorize-waiting handler', async () => {
    listenMock.mockImplementation(async (_event, handler) => {
      handler({
        event: EVENTS.authorizeWaiting,
        id: 1,
        payload: { authorize_url: 'https://a/authorize' },
      });
      return () => {};
    });
    const handler = vi.fn();
    await onAuthorizeWaiting(handler);
    expect(listenMock).toHaveBeenCalledWith(EVENTS.authorizeWaiting, expect.any(Function));
    expect(handler).toHaveBeenCalledWith({ authorize_url: 'https://a/authorize' });
  });

  it('listens to each event by the name generated from Rust', async () => {
    listenMock.mockResolvedValue(() => {});
    await onConnectorStatus(vi.fn());
    await onFocusConnector(vi.fn());
    await onAuthorizeWaiting(vi.fn());
    await onStepRun(vi.fn());
    await onToolProgress(vi.fn());
    await onToolsChanged(vi.fn());
    expect(listenMock.mock.calls.map(([event]) => event)).toEqual([
      EVENTS.connectorStatus,
      EVENTS.focusConnector,
      EVENTS.authorizeWaiting,
      EVENTS.stepRun,
      'tool-progress',
      'tools-changed',
    ]);
  });

  it('sends an import’s file whole and its values by reference, and export’s choice in camelCase', async () => {
    invokeMock.mockResolvedValue(null);
    await importPlan('Default', '{"servers":{}}', null);
    await importConnector('Default', '{"servers":{}}', 'vscode', 'GitHub', [
      { reference: '${input:token}', value: 'ghp' },
    ]);
    await exportWorkspace('Default', 'cursor', true);
    await takeInstallOffer();
    expect(invokeMock.mock.calls).toEqual([
      ['import_plan', { workspace: 'Default', text: '{"servers":{}}', format: null }],
      [
        'import_connector',
        {
          workspace: 'Default',
          text: '{"servers":{}}',
          format: 'vscode',
          name: 'GitHub',
          values: [{ reference: '${input:token}', value: 'ghp' }],
        },
      ],
      ['export_workspace', { workspace: 'Default', format: 'cursor', includeSecrets: true }],
      ['take_install_offer', {}],
    ]);
  });

  it('tells of an install link by its event, which has no payload', async () => {
    listenMock.mockImplementation(async (_event, handler) => {
      handler({ event: EVENTS.installOffer, id: 1, payload: null });
      return () => {};
    });
    const handler = vi.fn();
    await onInstallOffer(handler);
    expect(listenMock).toHaveBeenCalledWith('install-offer', expect.any(Function));
    expect(handler).toHaveBeenCalledWith();
  });
});
