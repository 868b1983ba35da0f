import { describe, expect, it } from 'vitest';
import { isReload, isTyping, shortcutAction, shortcutList } from './shortcuts';

type Key = Parameters<typeof shortcutAction>[0];

function key(key: string, extra: Partial<Key> = {}): Key {
  const code = /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : '';
  return { key, code, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...extra };
}

const ctrl = (k: string, extra: Partial<Key> = {}) => key(k, { ctrlKey: true, ...extra });
const cmd = (k: string, extra: Partial<Key> = {}) => key(k, { metaKey: true, ...extra });

describe('shortcutAction', () => {
  it('reads Ctrl shortcuts on Linux and Windows', () => {
    expect(shortcutAction(ctrl('n'), false, false)).toBe('add');
    expect(shortcutAction(ctrl('r'), false, false)).toBe('check');
    expect(shortcutAction(key('F5'), false, false)).toBe('check');
    expect(shortcutAction(ctrl('f'), false, false)).toBe('search');
    expect(shortcutAction(ctrl(','), false, false)).toBe('settings');
    expect(shortcutAction(ctrl('q'), false, false)).toBe('quit');
    expect(shortcutAction(key('?', { shiftKey: true }), false, false)).toBe('help');
    expect(shortcutAction(ctrl('/'), false, false)).toBe('help');
  });

  it('reads Cmd on macOS, and not Ctrl there', () => {
    expect(shortcutAction(cmd('q'), false, true)).toBe('quit');
    expect(shortcutAction(cmd(','), false, true)).toBe('settings');
    expect(shortcutAction(ctrl('q'), false, true), 'Ctrl+Q is not Quit on a Mac').toBeNull();
    expect(shortcutAction(cmd('q'), false, false), 'the Windows key is not Ctrl').toBeNull();
  });

  it('leaves other combinations alone', () => {
    expect(shortcutAction(key('n'), false, false), 'a plain letter').toBeNull();
    expect(shortcutAction(ctrl('n', { shiftKey: true }), false, false)).toBeNull();
    expect(shortcutAction(ctrl('n', { altKey: true }), false, false)).toBeNull();
    expect(shortcutAction(ctrl('c'), false, false), 'copy stays copy').toBeNull();
    expect(shortcutAction(key('F5', { ctrlKey: true }), false, false)).toBeNull();
  });

  it('finds the letter by its place on a non-Latin layout', () => {
    expect(shortcutAction({ ...ctrl('т'), code: 'KeyN' }, false, false)).toBe('add');
    expect(shortcutAction({ ...ctrl('й'), code: 'KeyQ' }, false, false)).toBe('quit');
  });

  it('while typing, only Quit and Settings run', () => {
    expect(shortcutAction(ctrl('q'), true, false)).toBe('quit');
    expect(shortcutAction(ctrl(','), true, false)).toBe('settings');
    expect(shortcutAction(ctrl('n'), true, false)).toBeNull();
    expect(shortcutAction(ctrl('f'), true, false)).toBeNull();
    expect(shortcutAction(ctrl('r'), true, false)).toBeNull();
    expect(shortcutAction(key('?', { shiftKey: true }), true, false)).toBeNull();
  });
});

describe('isReload', () => {
  it('knows the webview’s reload keys', () => {
    expect(isReload(ctrl('r'), false)).toBe(true);
    expect(isReload(ctrl('R', { shiftKey: true }), false), 'a hard reload too').toBe(true);
    expect(isReload(key('F5'), false)).toBe(true);
    expect(isReload(cmd('r'), true)).toBe(true);
    expect(isReload(key('r'), false)).toBe(false);
  });
});

describe('isTyping', () => {
  it('is true in text fields, selects and editable text; false on buttons and boxes', () => {
    const text = document.createElement('input');
    const search = Object.assign(document.createElement('input'), { type: 'search' });
    const checkbox = Object.assign(document.createElement('input'), { type: 'checkbox' });
    const editable = document.createElement('div');
    editable.contentEditable = 'true';
    // jsdom does not compute isContentEditable.
    Object.defineProperty(editable, 'isContentEditable', { value: true });

    expect(isTyping(text)).toBe(true);
    expect(isTyping(search)).toBe(true);
    expect(isTyping(document.createElement('textarea'))).toBe(true);
    expect(isTyping(document.createElement('select'))).toBe(true);
    expect(isTyping(editable)).toBe(true);
    expect(isTyping(checkbox)).toBe(false);
    expect(isTyping(document.createElement('button'))).toBe(false);
    expect(isTyping(document.body)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});

describe('shortcutList', () => {
  it('names the modifier as the keyboard shows it', () => {
    expect(shortcutList(false)[0]?.keys).toEqual([['Ctrl', 'N']]);
    expect(shortcutList(true)[0]?.keys).toEqual([['⌘', 'N']]);
  });
});
