// Checks the connector form can make before calling Rust, so obvious mistakes are caught without
// a round trip. Rust validates again; its InvalidInput messages are shown as they come.

export function validateName(name: string): string | null {
  return name.trim() === '' ? 'Enter a name for this connector.' : null;
}

export function validateUrl(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === '') return 'Enter the URL of the MCP server.';
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return 'Enter a full URL, such as https://example.com/mcp.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'The URL must start with http:// or https://.';
  }
  if (parsed.hostname === '') return 'The URL needs a host name.';
  return null;
}

/** An HTTP header name is an RFC 9110 token: no spaces, colons or other separators. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function validateHeaderName(name: string): string | null {
  if (name.trim() === '') return 'Enter the header name.';
  if (!HEADER_NAME.test(name.trim())) {
    return 'Header names use letters, digits and - only (no spaces or colons).';
  }
  return null;
}

export function validateWorkspaceName(name: string): string | null {
  return name.trim() === '' ? 'Enter a name for the workspace.' : null;
}

/** A model provider's base URL; `example` is the vendor's documented form for the chosen kind. */
export function validateBaseUrl(url: string, example: string): string | null {
  const trimmed = url.trim();
  if (trimmed === '') return `Enter the provider’s base URL, such as ${example}.`;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return `Enter a full URL, such as ${example}.`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'The URL must start with http:// or https://.';
  }
  return null;
}
