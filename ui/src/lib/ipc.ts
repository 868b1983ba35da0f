// The only module that calls into Rust: components import these functions, tests mock
// `@tauri-apps/api/core`.
import { invoke } from '@tauri-apps/api/core';
import type { ConnectorView, ErrorCode, IpcError } from './types';

const ERROR_CODES: readonly ErrorCode[] = [
  'InvalidInput',
  'NotFound',
  'KeychainUnavailable',
  'Unreachable',
  'NeedsAuth',
  'ServerError',
  'Internal',
];

export function listConnectors(workspace: string): Promise<ConnectorView[]> {
  return call<ConnectorView[]>('list_connectors', { workspace });
}

async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

/**
 * Commands reject with `{ code, message }`; anything else (a missing command, a panic, no Tauri
 * at all) becomes `Internal` so the UI has one error shape to show.
 */
export function toIpcError(error: unknown): IpcError {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message } = error as { code: unknown; message: unknown };
    if (ERROR_CODES.includes(code as ErrorCode) && typeof message === 'string') {
      return { code: code as ErrorCode, message };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Internal', message };
}
