// Copying text for the user. The clipboard API can be missing or refused (an insecure context,
// a webview without permission); callers then show the text in a selectable field instead.

/** Resolves true when `text` is on the clipboard, false when it could not be put there. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator === 'undefined' || !navigator.clipboard?.writeText) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
