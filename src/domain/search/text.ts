import { decodeHTML } from 'entities';
import sanitizeHtml from 'sanitize-html';

/**
 * How text becomes search tokens, the same for what is indexed and what is asked, so both engines
 * (and any external one) see identical tokens and need no tokenizer of their own.
 *
 * - A *word* is a run of letters and digits: "Seen", "at", "evil", "example", "com".
 * - A *term* is a chunk holding punctuation inside, as indicators do: "evil.example.com",
 *   "10.1.2.3", "bob@example.com". It is indexed whole, so an indicator is found exactly as typed,
 *   and its words are indexed too, so a phrase may run through it.
 * Tokens are lower case and encoded to letters and digits only: SQLite's FTS5 and PostgreSQL's
 * tsvector then keep each one whole. The encoding keeps prefixes ("10.1.*" stays a prefix).
 */

/** Characters that end a chunk: space, brackets, quotes and list punctuation never sit inside an indicator. */
const CHUNK_BREAK = /[\s<>"'`()[\]{},;|]+/u;
const WORD = /[\p{L}\p{N}]+/gu;
/** Tokens longer than this (encoded) are not indexed: no one types them, and PostgreSQL caps lexemes. */
export const MAX_TOKEN_LENGTH = 200;
/** Words of one document that are indexed; PostgreSQL keeps positions only up to 16383. */
export const MAX_WORDS = 16_000;

/** Short codes for the punctuation indicators hold; every code starts with z, so z itself is zz. */
const CODES: Record<string, string> = { z: 'zz', '.': 'zd', '-': 'zh', '@': 'za', ':': 'zc', '/': 'zs', _: 'zl' };

/** Letters and digits that stand for themselves: most words are made of nothing else. */
const PLAIN = /^[a-y0-9]*$/;

function encodeChar(ch: string): string {
  const code = CODES[ch];
  if (code) return code;
  if (ch.length === 1 && ch.charCodeAt(0) < 128) return `zx${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `zu${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** Encodes a lower-case chunk to [a-z0-9]; prefix-free codes, so a prefix of the chunk encodes to a prefix. */
export const encodeToken = (chunk: string): string => (PLAIN.test(chunk) ? chunk : chunk.replace(/[^a-y0-9]/gu, encodeChar));

/** Defanged forms analysts write, and what each stands for. */
const DEFANGED = /\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[@\]|\(@\)|\[at\]|\(at\)|\[:\]|\bhxxps?:|\bfxp:/gi;

function fang(form: string): string {
  const lower = form.toLowerCase();
  if (lower.includes('.') || lower.includes('dot')) return '.';
  if (lower.includes('@') || lower.includes('at')) return '@';
  if (lower === '[:]') return ':';
  return lower.replace('hxxp', 'http').replace('fxp', 'ftp');
}

/**
 * The token a tag name is indexed as, so `tag:` narrows inside the full-text index. `zt` starts no
 * word or term (z is always followed by a code letter there, and t is none), so no text matches it.
 */
export const tagToken = (name: string): string => `zt${encodeToken(name.toLowerCase())}`;

/** Undoes the defanging analysts apply to indicators (`hxxp://`, `evil[.]com`, `bob[at]example.com`). */
export const refang = (text: string): string => text.replace(DEFANGED, fang);

/** A chunk without the punctuation around it ("evil.com." at the end of a sentence is evil.com). */
export const trimChunk = (chunk: string) => chunk.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/** The words of a chunk, encoded. */
export const wordsOf = (chunk: string): string[] => (chunk.toLowerCase().match(WORD) ?? []).map(encodeToken);

/** The chunk as one term when it holds punctuation inside; undefined for a plain word. */
export function termOf(chunk: string): string | undefined {
  const trimmed = trimChunk(chunk.toLowerCase());
  if (!/[^\p{L}\p{N}]/u.test(trimmed)) return undefined;
  return encodeToken(trimmed);
}

/**
 * The one token an indicator (an entity value) is indexed as where it is written alone: its term, or
 * the word it is; undefined when it would be indexed as several (a value with a space).
 */
export function indicatorToken(value: string): string | undefined {
  const chunks = chunksOf(value);
  if (chunks.length !== 1) return undefined;
  const term = termOf(chunks[0]);
  if (term !== undefined) return term.length <= MAX_TOKEN_LENGTH ? term : undefined;
  const words = wordsOf(chunks[0]);
  return words.length === 1 && words[0].length <= MAX_TOKEN_LENGTH ? words[0] : undefined;
}

/** The chunks of a text, defanged forms refanged. */
export const chunksOf = (text: string): string[] =>
  refang(text)
    .split(CHUNK_BREAK)
    .filter((c) => c !== '');

/** What a document's text indexes as: its words in order (for phrases) and its distinct terms. */
export function tokenize(text: string): { words: string[]; terms: string[] } {
  const words: string[] = [];
  const terms = new Set<string>();
  for (const chunk of chunksOf(text.toLowerCase())) {
    if (words.length >= MAX_WORDS) break;
    if (PLAIN.test(chunk)) {
      if (chunk.length <= MAX_TOKEN_LENGTH) words.push(chunk);
      continue;
    }
    const term = termOf(chunk);
    if (term && term.length <= MAX_TOKEN_LENGTH) terms.add(term);
    for (const word of wordsOf(chunk)) if (word.length <= MAX_TOKEN_LENGTH) words.push(word);
  }
  return { words: words.slice(0, MAX_WORDS), terms: [...terms] };
}

/** The text of an entry's sanitized HTML: its markup gone, block boundaries kept as spaces. */
export function textOfHtml(html: string): string {
  return decodeHTML(sanitizeHtml(html.replace(/</g, ' <'), { allowedTags: [], allowedAttributes: {} }))
    .replace(/\s+/g, ' ')
    .trim();
}
