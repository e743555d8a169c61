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
  private openingSets = 0;
  /** The first `&` at or after `ampersandFrom` (the HTML's length when there is none), kept between text pieces. */
  private ampersand = -1;
  private ampersandFrom = -1;

  constructor(
    private readonly html: string,
    /** Whether to keep the tags: flair needs them, extraction only the text. */
    private readonly keepTags = true,
  ) {}

  /** Reads the HTML with htmlparser2's tokenizer. */
  read(): this {
    const tokenizer = new Tokenizer({ decodeEntities: false }, this);
    tokenizer.write(this.html);
    tokenizer.end();
    this.text = this.pieces.join('');
    return this;
  }

  /** Reads the HTML with `tokenizeSimply`; false, having read part of it, when it is not simple HTML. */
  readSimply(): boolean {
    if (!tokenizeSimply(this.html, this)) return false;
    this.text = this.pieces.join('');
    return true;
  }

  private add(piece: string, from: number, to: number, asWritten: boolean): void {
    this.pieces.push(piece);
    this.textStart.push(this.length);
    this.htmlStart.push(from);
    this.htmlEnd.push(to);
    this.exact.push(asWritten);
    this.length += piece.length;
  }

  /** A tag, `sets` saying (by `tagSets`) which of the sets of names its name is in. */
  private addTag(start: number, end: number, name: string, kind: Tag['kind'], sets: number): void {
    if (this.keepTags) this.tags.push({ start, end, name, kind });
    if ((sets & IN_HIDDEN) !== 0 && kind !== 'void') {
      this.hidden = kind === 'open' ? this.hidden + 1 : Math.max(0, this.hidden - 1);
    }
    if ((sets & IN_INLINE) === 0) this.add('\n', start, end, false);
  }

  ontext(from: number, to: number): void {
    if (this.hidden > 0) return;
    const html = this.html;
    // `indexOf` looks past the piece, to the next `&` or the end of the HTML: searched again for each piece, a
    // document without one would be read once a piece.
    if (from < this.ampersandFrom || from > this.ampersand) {
      const found = html.indexOf('&', from);
      this.ampersand = found < 0 ? html.length : found;
      this.ampersandFrom = from;
    }
    if (this.ampersand >= to) {
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

  /** The tokenizer gives only where the name is; the fast path, having looked the name up already, gives it too. */
  onopentagname(from: number, to: number, name = this.html.slice(from, to).toLowerCase(), sets = tagSets(name)): void {
    this.openingStart = from - 1;
    this.openingName = name;
    this.openingSets = sets;
  }

  onopentagend(at: number): void {
    const sets = this.openingSets;
    this.addTag(this.openingStart, at + 1, this.openingName, (sets & IN_VOID) !== 0 ? 'void' : 'open', sets);
  }

  onselfclosingtag(at: number): void {
    this.addTag(this.openingStart, at + 1, this.openingName, 'void', this.openingSets);
  }

  onclosetag(from: number, to: number, name = this.html.slice(from, to).toLowerCase(), sets = tagSets(name)): void {
    if ((sets & IN_VOID) !== 0) return;
    const html = this.html;
    const end = html.indexOf('>', to);
    // The tag's `<` is nearly always just before its `/`; `lastIndexOf` costs a call into the runtime.
    const start =
      html.charCodeAt(from - 1) === SLASH && html.charCodeAt(from - 2) === LT && html.charCodeAt(from) !== LT
        ? from - 2
        : html.lastIndexOf('<', from);
    this.addTag(start, end < 0 ? html.length : end + 1, name, 'close', sets);
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

/**
 * Reads `html` once: its shown text (references decoded, a line break between blocks) and, unless `withTags` is
 * false (extraction needs only the text), its tags. Simple HTML
 * (what the sanitizer keeps of an entry) takes the fast path; anything else, htmlparser2's tokenizer.
 */
export function readMarkup(html: string, withTags = true): Markup {
  const simple = new MarkupReader(html, withTags);
  return simple.readSimply() ? simple : new MarkupReader(html, withTags).read();
}

/** `readMarkup` by htmlparser2's tokenizer alone: what the fast path must agree with. */
export function readMarkupByTokenizer(html: string): Markup {
  return new MarkupReader(html).read();
}

/**
 * Tags whose content is read as HTML (not raw text, as in `<script>`, `<style>`, `<title>`): those of sanitized
 * entries and common markup. The fast path leaves any other tag to the tokenizer.
 */
const SIMPLE_TAGS = new Set([
  ...INLINE,
  ...VOID,
  'address',
  'article',
  'aside',
  'big',
  'blockquote',
  'body',
  'caption',
  'center',
  'colgroup',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'html',
  'label',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'strike',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);

/**
 * Which of the sets of tag names above a name is in, one bit a set, looked up once a tag instead of once a set; 0
 * for a name in none.
 */
const IN_INLINE = 1;
const IN_HIDDEN = 2;
const IN_VOID = 4;
const IN_SIMPLE = 8;
const SETS_OF_NAME = new Map<string, number>();
for (const [set, bit] of [
  [INLINE, IN_INLINE],
  [HIDDEN, IN_HIDDEN],
  [VOID, IN_VOID],
  [SIMPLE_TAGS, IN_SIMPLE],
] as const) {
  for (const name of set) SETS_OF_NAME.set(name, (SETS_OF_NAME.get(name) ?? 0) | bit);
}
const tagSets = (name: string) => SETS_OF_NAME.get(name) ?? 0;

const LT = 60;
const GT = 62;
const SLASH = 47;
const EQUALS = 61;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;

/** Whitespace as the tokenizer knows it: space, tab, line feed, form feed, carriage return. */
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

/** Where the tag name starting at `from` ends: at whitespace, `>`, or (in an open tag) `/`. */
function nameEnd(html: string, from: number, slashEnds: boolean): number {
  let at = from;
  for (; at < html.length; at++) {
    const c = html.charCodeAt(at);
    if (isSpace(c) || c === GT || (slashEnds && c === SLASH)) break;
  }
  return at;
}

/** Whether the open tag about to end (`tagEnd`) closed itself (`<br/>`). */
let selfClosing = false;

/**
 * The `>` ending the attributes of an open tag, read from `from` just past its name as the tokenizer reads them
 * (quoted values may hold `>`; `/` before `>`, spaces between allowed, closes the tag itself); -1 when the tag does
 * not end.
 */
function tagEnd(html: string, from: number): number {
  const n = html.length;
  let at = from;
  for (;;) {
    while (at < n && isSpace(html.charCodeAt(at))) at++;
    if (at >= n) return -1;
    let c = html.charCodeAt(at);
    if (c === GT) {
      selfClosing = false;
      return at;
    }
    if (c === SLASH) {
      at++;
      while (at < n && isSpace(html.charCodeAt(at))) at++;
      if (at < n && html.charCodeAt(at) === GT) {
        selfClosing = true;
        return at;
      }
      continue;
    }
    // An attribute name: its first character whatever it is, then up to `=`, whitespace, `/` or `>`.
    for (at++; at < n; at++) {
      c = html.charCodeAt(at);
      if (c === EQUALS || c === SLASH || c === GT || isSpace(c)) break;
    }
    while (at < n && isSpace(html.charCodeAt(at))) at++;
    if (at >= n) return -1;
    if (html.charCodeAt(at) !== EQUALS) continue;
    for (at++; at < n && isSpace(html.charCodeAt(at)); at++);
    if (at >= n) return -1;
    c = html.charCodeAt(at);
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      const close = html.indexOf(c === DOUBLE_QUOTE ? '"' : "'", at + 1);
      if (close < 0) return -1;
      at = close + 1;
    } else {
      while (at < n && !isSpace((c = html.charCodeAt(at))) && c !== GT) at++;
    }
  }
}

/**
 * Reads simple HTML (text, and open, close and self-closing tags of `SIMPLE_TAGS`) with the very callbacks, at the
 * very positions, htmlparser2's tokenizer gives, several times faster; false at the first thing it does not read
 * that way (a comment, a declaration, `<` not starting a tag, another tag, an unended tag).
 */
function tokenizeSimply(html: string, listener: MarkupReader): boolean {
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf('<', at);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > at) listener.ontext(at, textEnd);
    if (lt < 0) return true;
    const closing = html.charCodeAt(lt + 1) === SLASH;
    const nameStart = closing ? lt + 2 : lt + 1;
    if (!isLetter(html.charCodeAt(nameStart))) return false;
    const end = nameEnd(html, nameStart, !closing);
    const name = html.slice(nameStart, end).toLowerCase();
    const sets = tagSets(name);
    if ((sets & IN_SIMPLE) === 0) return false;
    if (closing) {
      const gt = html.indexOf('>', end);
      if (gt < 0) return false;
      listener.onclosetag(nameStart, end, name, sets);
      at = gt + 1;
    } else {
      const gt = tagEnd(html, end);
      if (gt < 0) return false;
      listener.onopentagname(nameStart, end, name, sets);
      if (selfClosing) listener.onselfclosingtag(gt);
      else listener.onopentagend(gt);
      at = gt + 1;
    }
  }
  return true;
}
