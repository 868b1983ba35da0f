// The window's keyboard shortcuts: which key press means which action, and the list the help
// overlay shows. App runs the actions; this module only reads key events, so it is tested alone.

export type ShortcutAction = 'add' | 'check' | 'search' | 'settings' | 'quit' | 'help';

/** macOS says Cmd where other systems say Ctrl. */
export function isMac(platform: string = navigator.platform || navigator.userAgent): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** The modifier's name as the person's keyboard shows it. */
export function modifierName(mac: boolean = isMac()): string {
  return mac ? '⌘' : 'Ctrl';
}

/** What the help overlay lists, in order; `keys` are joined with "+" and alternatives with "or". */
export function shortcutList(mac: boolean = isMac()): { keys: string[][]; action: string }[] {
  const mod = modifierName(mac);
  return [
    { keys: [[mod, 'N']], action: 'Add a connector' },
    { keys: [[mod, 'R'], ['F5']], action: 'Check all connectors' },
    { keys: [[mod, 'F']], action: 'Search the connectors' },
    { keys: [[mod, ',']], action: 'Open Settings' },
    { keys: [['?'], [mod, '/']], action: 'Show these shortcuts' },
    { keys: [['Esc']], action: 'Close a dialog or this list' },
    { keys: [[mod, 'Q']], action: 'Quit Patchbay' },
  ];
}

/** Actions that still run while the person types in a field: they never mean a character. */
const WHILE_TYPING: ReadonlySet<ShortcutAction> = new Set(['quit', 'settings']);

/**
 * The action `event` asks for, or null. `typing` is whether focus is in a text field: then only
 * Quit and Settings run, so letters and "?" reach the field.
 */
export function shortcutAction(
  event: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  typing: boolean,
  mac: boolean = isMac(),
): ShortcutAction | null {
  const action = match(event, mac);
  if (action === null || (typing && !WHILE_TYPING.has(action))) return null;
  return action;
}

function match(
  event: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean,
): ShortcutAction | null {
  if (event.altKey) return null;
  const mod = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  const none = !event.ctrlKey && !event.metaKey;
  if (event.key === 'F5' && none && !event.shiftKey) return 'check';
  // "?" is Shift and a key that differs by layout: the character is what counts.
  if (event.key === '?' && none) return 'help';
  if (!mod) return null;
  if (event.key === '/') return 'help';
  if (event.shiftKey) return null;
  if (event.key === ',') return 'settings';
  switch (letter(event)) {
    case 'n':
      return 'add';
    case 'r':
      return 'check';
    case 'f':
      return 'search';
    case 'q':
      return 'quit';
    default:
      return null;
  }
}

/**
 * The letter pressed: the character on a Latin layout, the key's place on another (a Cyrillic
 * layout's Ctrl+Т is Ctrl+N's key, as other apps treat it).
 */
function letter(event: Pick<KeyboardEvent, 'key' | 'code'>): string | null {
  const key = event.key.toLowerCase();
  if (/^[a-z]$/.test(key)) return key;
  const place = /^Key([A-Z])$/.exec(event.code);
  return place?.[1]?.toLowerCase() ?? null;
}

/** Whether key presses on `target` are someone typing (a text field, a select, editable text). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  // Buttons, checkboxes and radios take no text: shortcuts work there.
  return !['button', 'checkbox', 'radio', 'range', 'color', 'file', 'submit', 'reset'].includes(
    target.type,
  );
}

/** Whether `event` would reload the webview (Ctrl+R, Cmd+R, F5): never wanted in an app. */
export function isReload(
  event: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean = isMac(),
): boolean {
  if (event.key === 'F5') return true;
  const mod = mac ? event.metaKey : event.ctrlKey;
  return mod && letter(event) === 'r';
}
