import { describe, expect, it } from 'vitest';
import { asSentence } from './sentence';

describe('asSentence', () => {
  it.each([
    [
      'the authorization server rejected the client credentials (invalid_client)',
      'The authorization server rejected the client credentials (invalid_client)',
    ],
    ['needs more permissions: scope files:write', 'Needs more permissions: scope files:write'],
    ['sign-in cancelled', 'Sign-in cancelled'],
    ['couldn’t reach the server', 'Couldn’t reach the server'],
    ['timeout', 'Timeout'],
    ['ünreadable store', 'Ünreadable store'],
    ['  leading space kept', '  Leading space kept'],
  ])('capitalises a plain first word: %s', (message, shown) => {
    expect(asSentence(message)).toBe(shown);
  });

  it.each([
    ['http://127.0.0.1:3001/mcp refused the connection'],
    ['https://example.com is unreachable'],
    ['tools/list was refused'],
    ['iPhone sync failed'],
    ['x2 retries failed'],
    ['"files" is not a scope'],
    ['Already a sentence.'],
    ['401 Unauthorized'],
    [''],
  ])('leaves anything else alone: %s', (message) => {
    expect(asSentence(message)).toBe(message);
  });
});
