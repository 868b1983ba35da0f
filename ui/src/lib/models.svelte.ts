// The models of each provider of the workspace, read when a step first needs them and kept
// for the page's life (Reload asks again), and the verdict on a chosen model: from the list,
// or — for a model typed by hand that the list lacks — the person's own setting this session,
// else unknown. Rust decides again when the step runs.
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import { listModels, setModelTools } from './ipc';
import type { IpcError, ModelView } from './types';

/** A provider's models as the page has read them (`list_models`). */
export type ModelsState =
  | { kind: 'loading' }
  | { kind: 'ready'; models: ModelView[] }
  | { kind: 'failed'; error: IpcError };

export class ModelCatalog {
  readonly #workspace: string;
  readonly #lists = new SvelteMap<string, ModelsState>();
  /** Settings made here for models not in their provider's list, by `provider\nmodel`. */
  readonly #unlisted = new SvelteMap<string, boolean>();
  #seq = 0;
  readonly #latest = new Map<string, number>();
  readonly #pending = new Map<string, Promise<ModelView[]>>();

  constructor(workspace: string) {
    this.#workspace = workspace;
  }

  /** The models of `provider` as read so far; null before they were asked for. */
  state(provider: string): ModelsState | null {
    return this.#lists.get(provider) ?? null;
  }

  /** Reads the models of `provider` unless already read (or being read); `force` asks again. */
  load(provider: string, force = false): Promise<ModelView[]> {
    // Callers may be effects: nothing read here makes them run again.
    return untrack(() => {
      const known = this.#lists.get(provider);
      if (!force && known?.kind === 'ready') return Promise.resolve(known.models);
      const pending = this.#pending.get(provider);
      if (!force && pending) return pending;
      const seq = ++this.#seq;
      this.#latest.set(provider, seq);
      if (known?.kind !== 'ready') this.#lists.set(provider, { kind: 'loading' });
      const request = this.#read(provider, seq);
      this.#pending.set(provider, request);
      return request;
    });
  }

  async #read(provider: string, seq: number): Promise<ModelView[]> {
    try {
      const models = await listModels(this.#workspace, provider);
      if (this.#latest.get(provider) === seq) this.#lists.set(provider, { kind: 'ready', models });
      return models;
    } catch (error) {
      if (this.#latest.get(provider) === seq) {
        this.#lists.set(provider, { kind: 'failed', error: error as IpcError });
      }
      return [];
    } finally {
      if (this.#latest.get(provider) === seq) this.#pending.delete(provider);
    }
  }

  /** The chosen model with its verdict; null for an empty name. */
  verdict(provider: string, model: string): ModelView | null {
    const id = model.trim();
    if (provider === '' || id === '') return null;
    const state = this.#lists.get(provider);
    const listed = state?.kind === 'ready' ? state.models.find((m) => m.id === id) : undefined;
    if (listed) return listed;
    const own = this.#unlisted.get(`${provider}\n${id}`);
    if (own !== undefined) {
      return { id, display_name: null, tools: own, tools_source: 'override' };
    }
    return { id, display_name: null, tools: null, tools_source: 'unknown' };
  }

  /** Records the person's verdict (`null` forgets it), then reads the list again. */
  async setTools(provider: string, model: string, tools: boolean | null): Promise<void> {
    const id = model.trim();
    await setModelTools(this.#workspace, provider, id, tools);
    const key = `${provider}\n${id}`;
    if (tools === null) this.#unlisted.delete(key);
    else this.#unlisted.set(key, tools);
    await this.load(provider, true);
  }

  /** Forgets a provider's list (it was edited or removed). */
  forget(provider: string): void {
    this.#lists.delete(provider);
    this.#latest.delete(provider);
    this.#pending.delete(provider);
  }
}
