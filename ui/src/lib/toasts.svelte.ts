// Transient news for the whole page. Successes and notes fade after a few seconds; errors and
// warnings stay until the user dismisses them, so a failure or a caveat never vanishes before it
// is read.
import { getContext, setContext } from 'svelte';

export type ToastTone = 'success' | 'error' | 'warning' | 'info';

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

  /** Something worked, with a caveat the person should know (stays until dismissed). */
  warning(message: string, detail: string | null = null): number {
    return this.#push('warning', message, detail);
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
    if (toast && fades(toast.tone)) this.#schedule(id);
  }

  #push(tone: ToastTone, message: string, detail: string | null): number {
    const id = this.#nextId++;
    this.items = [...this.items, { id, tone, message, detail }];
    if (fades(tone)) this.#schedule(id);
    return id;
  }

  #schedule(id: number): void {
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), SUCCESS_MS),
    );
  }
}

function fades(tone: ToastTone): boolean {
  return tone === 'success' || tone === 'info';
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
