// app.css states the dark colours twice (from the OS, and forced by Settings): they must agree.
import { describe, expect, it } from 'vitest';
import css from './app.css?raw';

/** The declarations of the first block that opens with `opening`, one per line, trimmed. */
function declarations(opening: string): string[] {
  const start = css.indexOf(opening);
  if (start === -1) throw new Error(`app.css has no ${opening}`);
  const body = css.slice(start + opening.length, css.indexOf('}', start));
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

describe('app.css', () => {
  it('has the same dark colours for the OS’s dark mode and for a forced dark theme', () => {
    const fromOs = declarations(":root:not([data-theme='light']) {");
    const forced = declarations(":root[data-theme='dark'] {");
    expect(fromOs.length, 'the dark block lists the colours').toBeGreaterThan(20);
    expect(forced).toEqual(fromOs);
  });

  it('forces light when Settings says so, whatever the OS', () => {
    expect(declarations(":root[data-theme='light'] {")).toEqual(['color-scheme: light;']);
  });
});
