// One OAuth sign-in as a dialog sees it. Rust opens the browser and waits for the redirect; here
// we only track that it is waiting, the URL the browser was sent to (for "copy link"), and
// whether a failure was the user's own Cancel.
import { cancelAuthorization, onAuthorizeWaiting, type UnlistenFn } from './ipc';
import type { IpcError, Saved } from './types';

/** Rust gives up waiting for the browser after this long (`oauth::AUTHORIZE_TIMEOUT`). */
export const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

/** Where the browser comes back to. Any port: Rust listens on a random one (RFC 8252 §7.3). */
export const REDIRECT_URI = 'http://127.0.0.1/callback';

export type SignInResult =
  | { ok: true; saved: Saved }
  | { ok: false; error: IpcError; cancelled: boolean };

const CANCELLED: IpcError = {
  code: 'InvalidInput',
  message: 'sign-in cancelled',
  hint: null,
  diagnosis: null,
};

export class SignIn {
  waiting = $state(false);
  /** Where Rust sent the browser, once it says so. */
  authorizeUrl = $state<string | null>(null);
  cancelling = $state(false);
  cancelError = $state<IpcError | null>(null);
  startedAt = $state(0);
  #cancelRequested = false;

  /** Runs one sign-in (`request` calls authorize or reauthorize) until it saves or fails. */
  async run(request: () => Promise<Saved>): Promise<SignInResult> {
    if (this.waiting) return { ok: false, error: CANCELLED, cancelled: true };
    this.waiting = true;
    this.authorizeUrl = null;
    this.cancelling = false;
    this.cancelError = null;
    this.startedAt = Date.now();
    this.#cancelRequested = false;
    let stop: UnlistenFn | null = null;
    try {
      // Listen before asking, so the URL cannot be announced before anyone hears it.
      try {
        stop = await onAuthorizeWaiting((event) => {
          if (this.waiting) this.authorizeUrl = event.authorize_url;
        });
      } catch {
        // Then there is no "copy link"; the browser still opens and the sign-in still works.
      }
      if (this.#cancelRequested) return { ok: false, error: CANCELLED, cancelled: true };
      const saved = await request();
      return { ok: true, saved };
    } catch (error) {
      // Whatever Rust says after a Cancel (normally "sign-in cancelled"), the user stopped it.
      return { ok: false, error: error as IpcError, cancelled: this.#cancelRequested };
    } finally {
      stop?.();
      this.waiting = false;
      this.cancelling = false;
      this.authorizeUrl = null;
    }
  }

  /** Stops the waiting sign-in; `run` then resolves as cancelled. */
  async cancel(): Promise<void> {
    if (!this.waiting || this.cancelling) return;
    this.cancelling = true;
    this.cancelError = null;
    this.#cancelRequested = true;
    try {
      await cancelAuthorization();
    } catch (error) {
      this.#cancelRequested = false;
      this.cancelling = false;
      this.cancelError = error as IpcError;
    }
  }

  /** The dialog is going away mid-sign-in: stop Rust waiting for a browser nobody watches. */
  abandon(): void {
    if (this.waiting && !this.#cancelRequested) {
      this.#cancelRequested = true;
      cancelAuthorization().catch(() => {});
    }
  }
}
