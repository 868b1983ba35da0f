// Saving text the app made (a run record, an exported workspace) as a file the person keeps. The
// webview has no save dialog: a link with `download` hands the blob to its download handling.

/** Saves `text` as `fileName` with media type `type` (JSON unless told). */
export function saveTextFile(text: string, fileName: string, type = 'application/json'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
