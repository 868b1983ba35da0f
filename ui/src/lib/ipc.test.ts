import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { addConnector, checkNow, onConnectorStatus, renameWorkspace, toIpcError } from './ipc';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

describe('toIpcError', () => {
  it('keeps a command error with its hint and diagnosis', () => {
    const diagnosis = { ok: false, stage: 'auth', hint: 'Check the token.' };
    expect(
      toIpcError({ code: 'NeedsAuth', message: 'Rejected.', hint: 'Check the token.', diagnosis }),
    ).toEqual({ code: 'NeedsAuth', message: 'Rejected.', hint: 'Check the token.', diagnosis });
  });

  it('fills in a missing hint and diagnosis with null', () => {
    expect(toIpcError({ code: 'NotFound', message: 'No such connector.' })).toEqual({
      code: 'NotFound',
      message: 'No such connector.',
      hint: null,
      diagnosis: null,
    });
  });

  it('turns anything else into Internal with a readable message', () => {
    expect(toIpcError('command add_thing not found').code).toBe('Internal');
    expect(toIpcError(new Error('window is gone')).message).toBe('window is gone');
    expect(toIpcError({ code: 'Bogus', message: 'x' }).code, 'unknown codes are not trusted').toBe(
      'Internal',
    );
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

  it('rejects with an IpcError', async () => {
    invokeMock.mockRejectedValue('boom');
    await expect(
      addConnector('Default', { name: 'a', url: 'http://a', auth: 'none', token: null, headers: [] }),
    ).rejects.toEqual({ code: 'Internal', message: 'boom', hint: null, diagnosis: null });
  });

  it('hands event payloads to the handler', async () => {
    listenMock.mockImplementation(async (_event, handler) => {
      handler({ event: 'connector-status', id: 1, payload: { name: 'Docs' } });
      return () => {};
    });
    const handler = vi.fn();
    await onConnectorStatus(handler);
    expect(listenMock).toHaveBeenCalledWith('connector-status', expect.any(Function));
    expect(handler).toHaveBeenCalledWith({ name: 'Docs' });
  });
});
