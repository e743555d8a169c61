/**
 * Defanged indicators: `1.2.3[.]4`, `evil[dot]com`, `user(at)example.com`, `hxxps[:]//`. Analysts and feeds write
 * them so nobody clicks; extraction reads them back as the real value.
 */

/**
 * One defanged piece. Each alternative starts with a bracket or `h`, so the engine skips quickly to the next one;
 * a square-bracketed dot or at-sign may have a space on either side (`evil [.] com`), taken in `refang`.
 */
const DEFANGED = /\[(?:\.|dot)\]|[({](?:\.|dot)[)}]|\[(?:@|at)\]|[({](?:@|at)[)}]|\[:\]|\[:\/\/\]|hxxp(?=s?(?::|\[:))/gi;

/** The pieces that take a space on either side with them. */
const SPACED = /^\[(?:\.|dot|@|at)\]$/i;
const SPACE = /\s/;

/** What a defanged piece stands for. */
function refangPiece(piece: string): string {
  const inner = piece.toLowerCase();
  if (inner === 'hxxp') return 'http';
  if (inner === '[:]') return ':';
  if (inner === '[://]') return '://';
  return inner.includes('@') || inner.includes('at') ? '@' : '.';
}

/** A text with its defanged pieces rewritten, and the way back to indexes in the text as written. */
export interface Refanged {
  text: string;
  /** The index in the original text of `index` in the rewritten one; an `end` inside a rewritten piece maps to its end. */
  toOriginal(index: number, edge: 'start' | 'end'): number;
}

/** A text's own indexes, for a text with nothing rewritten. */
const unchanged = (index: number) => index;

/** A text with some pieces rewritten: parallel arrays, one entry per piece, map its indexes back. */
class Rewritten implements Refanged {
  constructor(
    readonly text: string,
    /** Where each piece starts in the new text. */
    private readonly at: number[],
    /** Its new length. */
    private readonly length: number[],
    /** Where it was in the original: from, to. */
    private readonly from: number[],
    private readonly to: number[],
  ) {}

  toOriginal(index: number, edge: 'start' | 'end'): number {
    // The last rewritten piece starting at or before `index`.
    let low = 0;
    let high = this.at.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.at[middle] <= index) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    if (found < 0) return index;
    const past = index - (this.at[found] + this.length[found]);
    if (past >= 0) return this.to[found] + past;
    return edge === 'start' ? this.from[found] : this.to[found];
  }
}

/** A defanged `hxxp`, in any case. */
const HXXP = /hxxp/i;

/**
 * Whether `text` may hold a defanged piece: every one holds a bracket or `hxxp`. `indexOf` answers this several
 * times faster than the full regex, and most texts hold neither.
 */
const mayBeDefanged = (text: string) => text.includes('[') || text.includes('(') || text.includes('{') || HXXP.test(text);

/** Rewrites every defanged piece of `text` into its real form, in one linear pass. */
export function refang(text: string): Refanged {
  if (!mayBeDefanged(text)) return { text, toOriginal: unchanged };
  DEFANGED.lastIndex = 0;
  let match = DEFANGED.exec(text);
  // Most texts hold no defanged piece: they are their own real form.
  if (match === null) return { text, toOriginal: unchanged };
  const at: number[] = [];
  const length: number[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const parts: string[] = [];
  let copied = 0;
  let shift = 0;
  for (; match !== null; match = DEFANGED.exec(text)) {
    let start = match.index;
    let end = start + match[0].length;
    if (SPACED.test(match[0])) {
      if (start > copied && SPACE.test(text[start - 1])) start--;
      if (end < text.length && SPACE.test(text[end])) end++;
    }
    const real = refangPiece(match[0]);
    parts.push(text.slice(copied, start), real);
    at.push(start - shift);
    length.push(real.length);
    from.push(start);
    to.push(end);
    shift += end - start - real.length;
    copied = end;
    DEFANGED.lastIndex = end;
  }
  parts.push(text.slice(copied));
  return new Rewritten(parts.join(''), at, length, from, to);
}
