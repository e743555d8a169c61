import { decodeHTML } from 'entities';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

/**
 * The text an analyst reads in a piece of HTML, and the way back from that text to the HTML it came from, so
 * entities are found in what is shown and flair can wrap them where they were written.
 */

/** Elements that flow inside a line: an indicator may be split by them (`1.2.<b>3</b>.4`, `evil<wbr>.com`). */
const INLINE = new Set([
  'a',
  'abbr',
  'b',
  'bdi',
  'bdo',
  'cite',
  'code',
  'data',
  'del',
  'dfn',
  'em',
  'font',
  'i',
  'ins',
  'kbd',
  'mark',
  'q',
  's',
  'samp',
  'small',
  'span',
  'strong',
  'sub',
  'sup',
  'time',
  'tt',
  'u',
  'var',
  'wbr',
]);

/** Elements whose content is not shown as text. */
const HIDDEN = new Set(['script', 'style', 'template', 'title', 'head']);

/** Elements that never have content or a closing tag. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** A character reference (`&amp;`, `&#46;`, `&#x2e;`); anything else after `&` is text. */
const REFERENCE = /&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});?/gi;

/** One tag as written in the HTML: `[start, end)` in the HTML. */
export interface Tag {
  start: number;
  end: number;
  name: string;
  kind: 'open' | 'close' | 'void';
}

/** The shown text of some HTML, its tags, and where each text index was written. */
export interface Markup {
  text: string;
  tags: Tag[];
  /** The HTML index of text index `index`: where its character starts, or for an `end`, where the previous one ends. */
  toHtml(index: number, edge: 'start' | 'end'): number;
}

/**
 * The tokenizer's listener: gathers the shown text in pieces and the tags. One entry per text piece in the parallel
 * arrays: where it starts in the text, and where it was written in the HTML. A piece is `exact` when each of its
 * characters was written as itself, else it stands for all of [htmlStart, htmlEnd). A class, not closures, so
 * reading a small cell allocates little.
 */
class MarkupReader implements TokenizerCallbacks, Markup {
  text = '';
  readonly tags: Tag[] = [];
  private readonly pieces: string[] = [];
  private readonly textStart: number[] = [];
  private readonly htmlStart: number[] = [];
  private readonly htmlEnd: number[] = [];
  private readonly exact: boolean[] = [];
  private length = 0;
  private hidden = 0;
  private openingStart = 0;
  private openingName = '';

  constructor(private readonly html: string) {}

  read(): this {
    const tokenizer = new Tokenizer({ decodeEntities: false }, this);
    tokenizer.write(this.html);
    tokenizer.end();
    this.text = this.pieces.join('');
    return this;
  }

  private add(piece: string, from: number, to: number, asWritten: boolean): void {
    this.pieces.push(piece);
    this.textStart.push(this.length);
    this.htmlStart.push(from);
    this.htmlEnd.push(to);
    this.exact.push(asWritten);
    this.length += piece.length;
  }

  private addTag(tag: Tag): void {
    this.tags.push(tag);
    if (HIDDEN.has(tag.name) && tag.kind !== 'void') {
      this.hidden = tag.kind === 'open' ? this.hidden + 1 : Math.max(0, this.hidden - 1);
    }
    if (!INLINE.has(tag.name)) this.add('\n', tag.start, tag.end, false);
  }

  ontext(from: number, to: number): void {
    if (this.hidden > 0) return;
    const html = this.html;
    const ampersand = html.indexOf('&', from);
    if (ampersand < 0 || ampersand >= to) {
      this.add(html.slice(from, to), from, to, true);
      return;
    }
    const data = html.slice(from, to);
    let last = 0;
    for (const reference of data.matchAll(REFERENCE)) {
      const at = reference.index;
      if (at > last) this.add(data.slice(last, at), from + last, from + at, true);
      this.add(decodeHTML(reference[0]), from + at, from + at + reference[0].length, false);
      last = at + reference[0].length;
    }
    if (last < data.length) this.add(data.slice(last), from + last, to, true);
  }

  onopentagname(from: number, to: number): void {
    this.openingStart = from - 1;
    this.openingName = this.html.slice(from, to).toLowerCase();
  }

  onopentagend(at: number): void {
    const name = this.openingName;
    this.addTag({ start: this.openingStart, end: at + 1, name, kind: VOID.has(name) ? 'void' : 'open' });
  }

  onselfclosingtag(at: number): void {
    this.addTag({ start: this.openingStart, end: at + 1, name: this.openingName, kind: 'void' });
  }

  onclosetag(from: number, to: number): void {
    const name = this.html.slice(from, to).toLowerCase();
    if (VOID.has(name)) return;
    const end = this.html.indexOf('>', to);
    this.addTag({ start: this.html.lastIndexOf('<', from), end: end < 0 ? this.html.length : end + 1, name, kind: 'close' });
  }

  onattribdata(): void {}
  onattribentity(): void {}
  onattribend(): void {}
  onattribname(): void {}
  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onend(): void {}
  onprocessinginstruction(): void {}
  ontextentity(): void {}

  /** The text piece holding text index `index`. */
  private pieceAt(index: number): number {
    let low = 0;
    let high = this.textStart.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.textStart[middle] <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  toHtml(index: number, edge: 'start' | 'end'): number {
    if (this.textStart.length === 0) return 0;
    const piece = this.pieceAt(edge === 'start' ? index : index - 1);
    if (this.exact[piece]) return this.htmlStart[piece] + index - this.textStart[piece];
    return edge === 'start' ? this.htmlStart[piece] : this.htmlEnd[piece];
  }
}

/** Reads `html` once: its shown text (references decoded, a line break between blocks) and its tags. */
export function readMarkup(html: string): Markup {
  return new MarkupReader(html).read();
}
