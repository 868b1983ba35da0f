// Shapes that cross the IPC boundary. Hand-written for the Spine skeleton; the Desktop issue
// replaces them with bindings generated from the Rust types (and a test that fails when stale).

/** Mirrors `ErrorCode` in src-tauri/src/error.rs; the UI branches on it, never on message text. */
export type ErrorCode =
  | 'InvalidInput'
  | 'NotFound'
  | 'KeychainUnavailable'
  | 'Unreachable'
  | 'NeedsAuth'
  | 'ServerError'
  | 'Internal';

/** Every failed command rejects with this. */
export interface IpcError {
  code: ErrorCode;
  message: string;
}

export type AuthKind = 'none' | 'token' | 'oauth';

export type ConnectorStatus = 'unknown' | 'connected' | 'disconnected' | 'needs_auth' | 'error';

/** Mirrors `patchbay_core::ConnectorView`. Secrets never cross: only whether a token is set. */
export interface ConnectorView {
  id: string;
  workspace: string;
  name: string;
  url: string;
  auth: AuthKind;
  token_set: boolean;
  header_names: string[];
  status: ConnectorStatus;
  last_checked_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}
