// Transient news for the whole page. Successes fade after a few seconds; errors stay until the
// user dismisses them, so a failure never vanishes before it is read.
import { getContext, setContext } from 'svelte';

export type ToastTone = 'success' | 'error' | 'info';

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
  detail: string | null;
}

/** Long enough to read a one-line message twice. */
const SUCCESS_MS = 6000;

export class Toasts {
  items = $state<Toast[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  success(message: string, detail: string | null = null): number {
    return this.#push('success', message, detail);
  }

  info(message: string, detail: string | null = null): number {
    return this.#push('info', message, detail);
  }

  error(message: string, detail: string | null = null): number {
    return this.#push('error', message, detail);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  /** Keeps a toast up while the pointer or focus is on it. */
  hold(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  release(id: number): void {
    const toast = this.items.find((item) => item.id === id);
    if (toast && toast.tone !== 'error') this.#schedule(id);
  }

  #push(tone: ToastTone, message: string, detail: string | null): number {
    const id = this.#nextId++;
    this.items = [...this.items, { id, tone, message, detail }];
    if (tone !== 'error') this.#schedule(id);
    return id;
  }

  #schedule(id: number): void {
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), SUCCESS_MS),
    );
  }
}

const KEY = Symbol('toasts');

export function provideToasts(): Toasts {
  return setContext(KEY, new Toasts());
}

export function useToasts(): Toasts {
  const toasts = getContext<Toasts | undefined>(KEY);
  if (!toasts) throw new Error('useToasts() needs provideToasts() in an ancestor');
  return toasts;
}
