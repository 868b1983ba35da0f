// Core writes its messages to follow a colon or a dash ("couldn't save: the server rejected…"),
// so they start in lower case. Shown on their own (an error box, a toast, a row's last error)
// they should read as sentences: the first word gets its capital here, at display time, and the
// text from Rust stays as it is.

/**
 * The first word starts with a capital letter when it is a plain lower-case word ("the",
 * "sign-in", "couldn’t"). Anything else is left alone: a URL or path ("http://…",
 * "tools/list"), a mixed-case name ("iPhone"), a number, or a quoted value.
 */
export function asSentence(text: string): string {
  const match = /^(\s*)(\S+)/.exec(text);
  if (!match) return text;
  const [, space, word] = match as unknown as [string, string, string];
  if (!/^\p{Ll}[\p{Ll}'’-]*[.,:;!?]?$/u.test(word)) return text;
  return space + word.charAt(0).toLocaleUpperCase() + text.slice(space.length + 1);
}
