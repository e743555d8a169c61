import type { TextMatch } from './query.js';
import { patternOf } from './snippet.js';
import { refang } from './text.js';

/** How much more a match in the subject counts than one in the text. */
const SUBJECT_WEIGHT = 4;
/** Characters of text past which a match counts less, as one word among many says less. */
const TEXT_SCALE = 500;

/**
 * How well a hit matches, higher is better, the same whichever engine found it: each match in the
 * subject counts four, each in the text one, divided by a slowly growing function of the text's
 * length. It needs no statistics of the whole index (as BM25's document frequencies do, which
 * SQLite's FTS5 recounts over every match of each term on every query), so ranking reads only the
 * few hundred candidates it ranks. Made once per query, used on each candidate.
 */
export function scorerOf(matches: readonly TextMatch[]): (subject: string, text: string) => number {
  const pattern = patternOf(matches);
  if (!pattern) return () => 0;
  const count = (s: string) => (s === '' ? 0 : (refang(s).match(pattern)?.length ?? 0));
  return (subject, text) => SUBJECT_WEIGHT * count(subject) + count(text) / Math.log2(2 + text.length / TEXT_SCALE);
}
