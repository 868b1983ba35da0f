// After the first paint (the frame after the first animation frame), as the app does.
requestAnimationFrame(() =>
  requestAnimationFrame(() => window.__TAURI_INTERNALS__.invoke('ready')),
);
