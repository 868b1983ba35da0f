// One OAuth sign-in as a dialog sees it. Rust opens the browser and waits for the redirect; here
// we only track that it is waiting, the URL the browser was sent to (for "copy link"), where the
// browser comes back to, and whether a failure was the user's own Cancel. Each run has its own
// flow id: Rust may run several sign-ins at once, and Cancel and events name the one they mean.
import { cancelAuthorization, onAuthorizeWaiting, type UnlistenFn } from './ipc';
import {
  AUTHORIZE_TIMEOUT_SECONDS,
  type IpcError,
  type RedirectChoice,
  type Saved,
  type SignInInput,
} from './types';

/** Rust gives up waiting for the browser after this long (generated from core's timeout). */
export const SIGN_IN_TIMEOUT_MS = AUTHORIZE_TIMEOUT_SECONDS * 1000;

export type SignInResult =
  | { ok: true; saved: Saved }
  | { ok: false; error: IpcError; cancelled: boolean };

const CANCELLED: IpcError = {
  code: 'Cancelled',
  message: 'sign-in cancelled',
  hint: null,
  diagnosis: null,
  redirect_uri: null,
  run_id: null,
};

/** A fresh id for one sign-in (letters, digits and dashes, as Rust requires). */
function newFlowId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return `flow-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * A server needs a client ID: bring its explanation (at the top of `fields`) into view and put
 * the cursor in the client ID field, without scrolling the explanation away.
 */
export function showClientId(fields: HTMLElement | null): void {
  fields?.querySelector('[data-testid="needs-client-id"]')?.scrollIntoView?.({ block: 'start' });
  fields
    ?.querySelector<HTMLElement>('[data-testid="field-client-id"]')
    ?.focus({ preventScroll: true });
}

export class SignIn {
  waiting = $state(false);
  /** Where Rust sent the browser, once it says so. */
  authorizeUrl = $state<string | null>(null);
  /** Where the browser comes back to (the app's link, or loopback), once Rust says so. */
  redirectUri = $state<string | null>(null);
  cancelling = $state(false);
  cancelError = $state<IpcError | null>(null);
  startedAt = $state(0);
  #flowId: string | null = null;
  #cancelRequested = false;

  /**
   * Runs one sign-in (`request` calls authorize or reauthorize with this run's flow) until it
   * saves or fails. `redirect` is how the browser should come back.
   */
  async run(
    request: (flow: SignInInput) => Promise<Saved>,
    redirect: RedirectChoice = 'DeepLink',
  ): Promise<SignInResult> {
    if (this.waiting) return { ok: false, error: CANCELLED, cancelled: true };
    const flowId = newFlowId();
    this.#flowId = flowId;
    this.waiting = true;
    this.authorizeUrl = null;
    this.redirectUri = null;
    this.cancelling = false;
    this.cancelError = null;
    this.startedAt = Date.now();
    this.#cancelRequested = false;
    let stop: UnlistenFn | null = null;
    try {
      // Listen before asking, so the URL cannot be announced before anyone hears it.
      try {
        stop = await onAuthorizeWaiting((event) => {
          // Another dialog's sign-in is not ours.
          if (!this.waiting || event.flow_id !== flowId) return;
          this.authorizeUrl = event.authorize_url;
          this.redirectUri = event.redirect_uri;
        });
      } catch {
        // Then there is no "copy link"; the browser still opens and the sign-in still works.
      }
      if (this.#cancelRequested) return { ok: false, error: CANCELLED, cancelled: true };
      const saved = await request({ flow_id: flowId, redirect });
      return { ok: true, saved };
    } catch (error) {
      // Rust says `Cancelled` when someone stopped the sign-in by its flow id; after our own
      // Cancel, whatever it says (the sign-in may have failed just before), the user stopped it.
      const failure = error as IpcError;
      const cancelled = this.#cancelRequested || failure.code === 'Cancelled';
      return { ok: false, error: failure, cancelled };
    } finally {
      stop?.();
      this.waiting = false;
      this.cancelling = false;
      this.authorizeUrl = null;
      this.redirectUri = null;
    }
  }

  /** Stops the waiting sign-in; `run` then resolves as cancelled. */
  async cancel(): Promise<void> {
    if (!this.waiting || this.cancelling || this.#flowId === null) return;
    this.cancelling = true;
    this.cancelError = null;
    this.#cancelRequested = true;
    try {
      await cancelAuthorization(this.#flowId);
    } catch (error) {
      this.#cancelRequested = false;
      this.cancelling = false;
      this.cancelError = error as IpcError;
    }
  }

  /** The dialog is going away mid-sign-in: stop Rust waiting for a browser nobody watches. */
  abandon(): void {
    if (this.waiting && !this.#cancelRequested && this.#flowId !== null) {
      this.#cancelRequested = true;
      cancelAuthorization(this.#flowId).catch(() => {});
    }
  }
}
