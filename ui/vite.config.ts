import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// The Tauri shell loads ui/dist (see tauri.conf.json); `cargo xtask` runs `npm run build` first.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Keep Tauri's Rust errors visible in the same terminal during `vite dev`.
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Tests see stylesheets as empty, but app-css.test.ts reads app.css's text.
    css: { include: [/app\.css/] },
  },
});
