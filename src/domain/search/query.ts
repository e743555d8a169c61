import { badInput } from '../error.js';
import { chunksOf, indicatorToken, MAX_TOKEN_LENGTH, termOf, trimChunk, wordsOf } from './text.js';

/** What the search index holds documents of. */
export const SEARCH_TYPES = ['alertgroup', 'alert', 'event', 'incident', 'entry', 'entity'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/**
 * Known indicators one pattern stands for at most, the newest first: `*.com` fits millions, and a
 * query of them all would be slower than any analyst waits.
 */
export const MAX_PATTERN_INDICATORS = 100;

/** Characters a pattern holds in a row besides `*`, at the least: fewer would read every indicator. */
export const MIN_PATTERN_RUN = 3;

/** Longest query accepted, in characters: longer is a paste gone wrong, refused before any work. */
export const MAX_QUERY_LENGTH = 1000;
/** Most words, phrases and fields in one query. */
export const MAX_CLAUSES = 32;

/**
 * One thing a document must (or must not) contain: a word, an indicator term, or a phrase of words,
 * as encoded tokens; `raw` is what the analyst typed, lower case, for highlighting.
 */
export interface TextMatch {
  /** One token, or the words of a phrase in order. */
  tokens: string[];
  /** The token is a prefix (`evil*`). */
  prefix: boolean;
  /** Only in the subject (`subject:word`). */
  subject: boolean;
  raw: string[];
  /**
   * A pattern of an indicator, lower case: `*` inside or in front (`*.example.com`, `*c0ffee*`)
   * stands for any characters. It matches the known indicators (entity values) it fits, which
   * `withIndicators` puts in `anyOf` before the index is asked.
   */
  pattern?: string;
  /** Instead of `tokens`: the indicator tokens a pattern stands for, any one of which matches. */
  anyOf?: string[];
}

/** A parsed search: text to match and exclude, and the fields that narrow it (any of each field's values). */
export interface SearchQuery {
  match: TextMatch[];
  exclude: TextMatch[];
  types: SearchType[];
  tags: string[];
  statuses: string[];
  owners: string[];
  /** Epoch seconds, from inclusive, until exclusive. */
  created: { from?: number; until?: number };
}

const FIELDS = ['type', 'tag', 'status', 'owner', 'subject', 'created'] as const;
type Field = (typeof FIELDS)[number];

/** `-`, a known field and its colon, then a quoted phrase or a bare word. */
const PART = new RegExp(`\\s*(-?)(?:(${FIELDS.join('|')}):)?(?:"([^"]*)"|([^\\s"]+))`, 'y');
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parses the search language: words, `"exact phrases"`, `prefix*`, `-excluded`, `type:`, `tag:`,
 * `status:`, `owner:`, `subject:`, and `created:2026-01-01..2026-02-01` (either end may be left
 * out; days are UTC and both ends included). Indicators are matched as typed, defanged or not;
 * `*` inside or in front of one (`*.example.com`) matches inside the known indicators.
 * Bad input throws a 400 naming `field`.
 */
export function parseSearchQuery(input: string, field = 'q'): SearchQuery {
  if (input.length > MAX_QUERY_LENGTH)
    throw badInput(field, `the query is ${input.length} characters; at most ${MAX_QUERY_LENGTH} are searched`);
  // PostgreSQL refuses text holding NUL; no analyst types control characters.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(input))
    throw badInput(field, 'the query holds control characters; search for printable text');
  const query: SearchQuery = { match: [], exclude: [], types: [], tags: [], statuses: [], owners: [], created: {} };
  let clauses = 0;
  PART.lastIndex = 0;
  let position = 0;
  for (let m = PART.exec(input); m; m = PART.exec(input)) {
    position = PART.lastIndex;
    if (++clauses > MAX_CLAUSES)
      throw badInput(field, `the query has more than ${MAX_CLAUSES} words, phrases and fields; search for fewer`);
    const [, minus, name, phrase, word] = m as unknown as [
      string,
      string,
      Field | undefined,
      string | undefined,
      string | undefined,
    ];
    const value = phrase ?? word!;
    if (!name && phrase === undefined && value === '-')
      throw badInput(field, 'a lone "-" excludes nothing; put the word to exclude right after it, as in -spam');
    const bareField = word?.endsWith(':') ? word.slice(0, -1) : undefined;
    if (!name && bareField && (FIELDS as readonly string[]).includes(bareField))
      throw badInput(field, `${bareField}: needs a value, as in ${bareField}:x`);
    if (name && name !== 'subject') {
      if (minus) throw badInput(field, `only words and phrases can be excluded, not ${name}:`);
      addField(query, name, value, field);
      continue;
    }
    const matches = textMatches(value, phrase !== undefined, name === 'subject', field);
    (minus ? query.exclude : query.match).push(...matches);
  }
  if (input.slice(position).trim() !== '')
    throw badInput(field, 'the query has an unbalanced quote; close the phrase with another "');
  const filtered =
    query.types.length + query.tags.length + query.statuses.length + query.owners.length > 0 ||
    query.created.from !== undefined ||
    query.created.until !== undefined;
  if (query.match.length === 0 && !filtered) {
    throw badInput(
      field,
      query.exclude.length
        ? 'the query only excludes; add a word or a field to search for'
        : 'the query has nothing to search for',
    );
  }
  return query;
}

function textMatches(value: string, isPhrase: boolean, subject: boolean, field: string): TextMatch[] {
  if (isPhrase) {
    const chunks = chunksOf(value);
    const tokens = chunks.flatMap(wordsOf);
    if (tokens.length === 0) throw badInput(field, 'the query has an empty phrase ""');
    checkLength(tokens, field);
    return [{ tokens, prefix: false, subject, raw: chunks.map((c) => trimChunk(c.toLowerCase())) }];
  }
  if (value.replace(/\*+$/, '').includes('*')) return [indicatorPattern(value, subject, field)];
  const prefix = value.endsWith('*');
  const bare = prefix ? value.replace(/\*+$/, '') : value;
  const out: TextMatch[] = [];
  for (const chunk of chunksOf(bare)) {
    const term = termOf(chunk);
    const tokens = term ? [term] : wordsOf(chunk);
    checkLength(tokens, field);
    for (const token of tokens) out.push({ tokens: [token], prefix, subject, raw: [trimChunk(chunk.toLowerCase())] });
  }
  if (out.length === 0) throw badInput(field, `"${value}" holds no letters or digits to search for`);
  return out;
}

/** `*.example.com`: one indicator with `*` for any characters, refanged and lower case. */
function indicatorPattern(value: string, subject: boolean, field: string): TextMatch {
  const chunks = chunksOf(value.toLowerCase());
  if (chunks.length !== 1)
    throw badInput(field, `"${value}" is a pattern of one indicator: no brackets, quotes or commas inside, as in *.example.com`);
  const pattern = chunks[0].replace(/\*+/g, '*');
  if (!new RegExp(`[^*]{${MIN_PATTERN_RUN}}`).test(pattern))
    throw badInput(field, `"${value}" needs ${MIN_PATTERN_RUN} characters in a row besides *, as in *.example.com`);
  if (pattern.length > MAX_TOKEN_LENGTH) throw badInput(field, 'the query has a word too long to be indexed');
  return { tokens: [], prefix: false, subject, raw: [], pattern };
}

/** True when `value` fits `pattern` (`*` for any characters), ignoring case as the lookup does. */
export function fitsPattern(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'is').test(value);
}

/**
 * The query with each pattern standing for the indicators `found` for it: their tokens in `anyOf`,
 * their values to highlight. Undefined when a pattern the query needs fits no indicator, so nothing
 * can match; a pattern to exclude that fits none excludes nothing.
 */
export function withIndicators(query: SearchQuery, found: ReadonlyMap<string, readonly string[]>): SearchQuery | undefined {
  const resolve = (m: TextMatch): TextMatch => {
    if (m.pattern === undefined) return m;
    const values = (found.get(m.pattern) ?? []).filter((v) => fitsPattern(m.pattern!, v));
    const tokens = new Map<string, string>();
    for (const value of values) {
      const token = indicatorToken(value);
      if (token) tokens.set(token, trimChunk(value.toLowerCase()));
    }
    return { ...m, anyOf: [...tokens.keys()], raw: [...tokens.values()] };
  };
  const match = query.match.map(resolve);
  if (match.some((m) => m.anyOf?.length === 0)) return undefined;
  return { ...query, match, exclude: query.exclude.map(resolve).filter((m) => m.anyOf?.length !== 0) };
}

/** The patterns of indicators a query holds, to look up before it runs. */
export const patternsOf = (query: SearchQuery): string[] => [
  ...new Set([...query.match, ...query.exclude].flatMap((m) => (m.pattern === undefined ? [] : [m.pattern]))),
];

function checkLength(tokens: string[], field: string) {
  if (tokens.some((t) => t.length > MAX_TOKEN_LENGTH)) throw badInput(field, 'the query has a word too long to be indexed');
}

function addField(query: SearchQuery, name: Exclude<Field, 'subject'>, value: string, field: string) {
  if (value === '') throw badInput(field, `${name}: needs a value, as in ${name}:x`);
  switch (name) {
    case 'type':
      if (!(SEARCH_TYPES as readonly string[]).includes(value))
        throw badInput(field, `type:${value} is not searched; types: ${SEARCH_TYPES.join(', ')}`);
      query.types.push(value as SearchType);
      return;
    case 'tag':
      query.tags.push(value);
      return;
    case 'status':
      query.statuses.push(value);
      return;
    case 'owner':
      query.owners.push(value);
      return;
    case 'created':
      query.created = dateRange(value, field);
  }
}

/** `a..b`, `a..`, `..b` or one day `a`, as epoch seconds from the start of `a` to the end of `b`. */
function dateRange(value: string, field: string): SearchQuery['created'] {
  const [from, to, extra] = value.includes('..') ? value.split('..') : [value, value];
  if (extra !== undefined || (from === '' && to === ''))
    throw badInput(field, `created:${value} is not a date range; write created:2026-01-01..2026-02-01`);
  return {
    from: from === '' ? undefined : dayStart(from, field),
    until: to === '' ? undefined : dayStart(to, field) + 86_400,
  };
}

function dayStart(day: string, field: string): number {
  const m = DAY.exec(day);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== day)
    throw badInput(field, `created: "${day}" is not a day; write it as 2026-01-31`);
  return ms / 1000;
}
