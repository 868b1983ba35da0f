// The window's colours: the OS's light or dark (the default), or the one Settings forces, as
// `data-theme` on <html> (app.css keys its dark tokens on it). The choice is also kept in the
// webview's storage so the next launch paints in it before Rust's settings arrive.
import type { Theme } from './types';

const STORAGE_KEY = 'patchbay.theme';

/** Shows the window in `theme` now (a preview: the next launch does not know of it). */
export function showTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
}

/** Shows the window in the saved `theme`, and remembers it for the next launch's first paint. */
export function applyTheme(theme: Theme): void {
  showTheme(theme);
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage can be unavailable; the settings read at start apply the theme a moment later.
  }
}

/** The theme the last launch showed, to paint the first frame in it; the OS's without one. */
export function rememberedTheme(): Theme {
  try {
    const theme = localStorage.getItem(STORAGE_KEY);
    if (theme === 'light' || theme === 'dark') return theme;
  } catch {
    // Unavailable storage: the OS's colours until the settings arrive.
  }
  return 'system';
}
