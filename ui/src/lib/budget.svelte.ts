// What a step being edited would offer its model — its tools and their size in tokens, per
// connector and in all — read from Rust (`step_budget`) a moment after the connectors or their
// tool lists stop changing. Counting opens a session with each connector, so it takes a while
// and can fail (a connector down or paused): the failure is shown beside the picker, never in
// the way of running the step. Only the latest request's answer is kept.
import { stepBudget } from './ipc';
import type { IpcError, StepBudget, StepSpec } from './types';

/** How long the connectors must stay as they are before Rust is asked. */
export const BUDGET_DELAY_MS = 400;

export class StepBudgetProbe {
  /** The last answer; kept (shown as stale) while the next is on its way. */
  budget = $state<StepBudget | null>(null);
  /** Why the last request failed; null once one succeeds or there is nothing to count. */
  error = $state<IpcError | null>(null);
  /** A request is waiting out the pause or on its way. */
  loading = $state(false);

  readonly #workspace: string;
  readonly #delay: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;

  constructor(workspace: string, delay = BUDGET_DELAY_MS) {
    this.#workspace = workspace;
    this.#delay = delay;
  }

  /**
   * Counts `spec`'s tools after the pause, dropping any request not answered yet; null means
   * there is nothing to count (no connector ticked, or the picker hidden) and forgets the last
   * answer.
   */
  request(spec: StepSpec | null): void {
    const seq = this.#cancel();
    if (spec === null) {
      this.budget = null;
      this.error = null;
      this.loading = false;
      return;
    }
    this.loading = true;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#ask(spec, seq);
    }, this.#delay);
  }

  /** Stops whatever is pending; a late answer is ignored. */
  dispose(): void {
    this.#cancel();
  }

  async #ask(spec: StepSpec, seq: number): Promise<void> {
    try {
      const budget = await stepBudget(this.#workspace, spec);
      if (seq !== this.#seq) return;
      this.budget = budget;
      this.error = null;
    } catch (error) {
      if (seq !== this.#seq) return;
      this.budget = null;
      this.error = error as IpcError;
    }
    this.loading = false;
  }

  /** Makes any pending request stale; the new request's number. */
  #cancel(): number {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    return ++this.#seq;
  }
}
