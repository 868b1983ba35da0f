// The code the first screen (the connector list) does not need: the Steps and Settings pages, a
// connector's workbench and the big dialogs. Each is a dynamic `import()`, so Vite puts it in a
// chunk of its own and the window parses only the list's code before it paints (`cargo xtask
// bench`, P4). Once the list has painted, App preloads them all, so opening one is instant;
// opened before that, it loads then (Deferred.svelte shows it when ready).
//
// Only values are imported lazily: a type imported from these modules (`import type`) is erased
// and costs the main chunk nothing.
//
// Styles: in one chunk, app.css came after every component's styles, and some component rules
// lose to it at equal specificity (a `.compact` state inside `.panel`, whose padding is
// `.panel .state`'s). A chunk's stylesheet is added after the main one, so it would win there
// instead; each load therefore puts app.css once more after the chunks' stylesheets, keeping
// the cascade as it was.

/** A component in its own chunk, loaded once, the first time it is asked for. */
export class Lazy<C> {
  /** The component, once loaded (reactive: a page waiting for it shows it). */
  component = $state<C | null>(null);
  #loading: Promise<C> | null = null;
  readonly #load: () => Promise<{ default: C }>;

  constructor(load: () => Promise<{ default: C }>) {
    this.#load = load;
  }

  /** Loads the component (once); a failed load is tried again by the next call. */
  load(): Promise<C> {
    this.#loading ??= this.#load()
      .then(async (module) => {
        await keepAppCssLast();
        return (this.component = module.default);
      })
      .catch((error: unknown) => {
        this.#loading = null;
        throw error;
      });
    return this.#loading;
  }
}

let appCss: Promise<string> | null = null;

/** Puts a copy of app.css after the stylesheets in the page (see the top of this file). */
async function keepAppCssLast(): Promise<void> {
  appCss ??= import('../app.css?inline').then(
    (module) => module.default,
    (error: unknown) => {
      appCss = null;
      throw error;
    },
  );
  const text = await appCss;
  let copy = document.head.querySelector<HTMLStyleElement>('style[data-app-css]');
  if (copy === null) {
    copy = document.createElement('style');
    copy.dataset.appCss = '';
    copy.textContent = text;
  }
  const sheets = document.head.querySelectorAll('link[rel="stylesheet"], style');
  if (sheets[sheets.length - 1] !== copy) document.head.append(copy);
}

export const lazyPages = {
  stepsPage: new Lazy(() => import('./StepsPage.svelte')),
  settingsPage: new Lazy(() => import('./SettingsPage.svelte')),
  connectorDetail: new Lazy(() => import('./ConnectorDetail.svelte')),
  connectorDialog: new Lazy(() => import('./ConnectorDialog.svelte')),
  reauthorizeDialog: new Lazy(() => import('./ReauthorizeDialog.svelte')),
  importDialog: new Lazy(() => import('./ImportDialog.svelte')),
  exportDialog: new Lazy(() => import('./ExportDialog.svelte')),
  installLinkDialog: new Lazy(() => import('./InstallLinkDialog.svelte')),
  questionDialog: new Lazy(() => import('./QuestionDialog.svelte')),
};

/**
 * Loads every deferred component; resolves when all are loaded or have failed (a failure is
 * reported when the component is opened, which tries again).
 */
export function preloadAll(): Promise<void> {
  return Promise.all(
    Object.values(lazyPages).map((lazy) => lazy.load().catch(() => undefined)),
  ).then(() => undefined);
}

/**
 * Runs `work` once the frame being prepared now has been painted (two animation frames, as
 * `markListPainted` does), so the work does not hold up that paint; without animation frames
 * (no window), on the next task.
 */
export function afterPaint(work: () => void): void {
  const frame = globalThis.requestAnimationFrame;
  if (typeof frame !== 'function') {
    setTimeout(work, 0);
    return;
  }
  frame(() => frame(() => work()));
}
