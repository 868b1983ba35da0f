import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SignIn } from './signin.svelte';
import type { IpcError, Saved } from './types';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

function failure(code: IpcError['code'], message: string): IpcError {
  return { code, message, hint: null, diagnosis: null, redirect_uri: null, run_id: null };
}

beforeEach(() => {
  invokeMock.mockReset();
  listenMock.mockReset();
  invokeMock.mockResolvedValue(null);
  listenMock.mockResolvedValue(() => {});
});

describe('SignIn', () => {
  it('resolves a sign-in Rust reports as Cancelled as cancelled, without its own Cancel', async () => {
    const signIn = new SignIn();
    const stopped = failure('Cancelled', 'sign-in cancelled');
    const result = await signIn.run(() => Promise.reject(stopped));
    expect(result).toEqual({ ok: false, error: stopped, cancelled: true });
    expect(signIn.waiting).toBe(false);
  });

  it('does not take any other failure for a cancel', async () => {
    const refused = failure('NeedsAuth', 'the authorization server refused: access_denied');
    const result = await new SignIn().run(() => Promise.reject(refused));
    expect(result, 'a refusal is shown as a failure').toEqual({
      ok: false,
      error: refused,
      cancelled: false,
    });
  });

  it('counts whatever ends the sign-in after its own Cancel as cancelled', async () => {
    const signIn = new SignIn();
    let reject!: (error: IpcError) => void;
    const running = signIn.run(
      (flow) =>
        new Promise<Saved>((_, no) => {
          reject = no;
          expect(flow.flow_id).toMatch(/^[A-Za-z0-9-]+$/);
        }),
    );
    await vi.waitFor(() => expect(reject).toBeTypeOf('function'));
    await signIn.cancel();
    expect(invokeMock).toHaveBeenCalledWith('cancel_authorization', {
      flowId: expect.any(String),
    });
    // The sign-in failed on its own just as the person cancelled.
    reject(failure('NeedsAuth', 'the token endpoint answered invalid_grant'));
    expect(await running, 'the person stopped it').toMatchObject({ ok: false, cancelled: true });
  });
});
