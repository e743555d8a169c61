import { escapeText } from 'entities';
import type { TextMatch } from './query.js';
import { refang } from './text.js';

/** Characters of text a snippet shows at most. */
const SNIPPET_LENGTH = 200;
/** Characters shown before the first match, so it reads in context. */
const LEAD = 60;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regular expression finding what `matches` asked for in plain text: whole words, or word starts for a prefix. */
export function patternOf(matches: readonly TextMatch[]): RegExp | undefined {
  const alternatives = matches.flatMap((m) => {
    // A pattern highlights each indicator it stands for.
    if (m.anyOf) return m.raw.map(escapeRegExp);
    const raw = m.raw.map(escapeRegExp).join('[^\\p{L}\\p{N}]+');
    return raw === '' ? [] : [`${raw}${m.prefix ? '[\\p{L}\\p{N}]*' : ''}`];
  });
  if (alternatives.length === 0) return undefined;
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
}

/**
 * The part of a hit's text around the first thing the search asked for: `snippet` as plain text,
 * `highlight` as HTML with each match in `<mark>`. The subject stands in when the text has no match.
 */
export function snippetOf(subject: string, text: string, matches: readonly TextMatch[]): { snippet: string; highlight: string } {
  const pattern = patternOf(matches);
  const sources = [refang(text), refang(subject)];
  const source = (pattern && sources.find((s) => s.search(pattern) >= 0)) ?? sources.find((s) => s !== '') ?? '';
  const first = pattern ? Math.max(source.search(pattern), 0) : 0;
  const start = first > LEAD ? source.lastIndexOf(' ', first - LEAD) + 1 : 0;
  const window = source.slice(start, start + SNIPPET_LENGTH);
  const snippet = `${start > 0 ? '…' : ''}${window}${start + SNIPPET_LENGTH < source.length ? '…' : ''}`;
  if (!pattern) return { snippet, highlight: escapeText(snippet) };
  let highlight = '';
  let at = 0;
  for (const m of snippet.matchAll(pattern)) {
    highlight += `${escapeText(snippet.slice(at, m.index))}<mark>${escapeText(m[0])}</mark>`;
    at = m.index + m[0].length;
  }
  return { snippet, highlight: highlight + escapeText(snippet.slice(at)) };
}
