import { decodeHTML } from 'entities';
import { Tokenizer } from 'htmlparser2';

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

/** Reads `html` once: its shown text (references decoded, a line break between blocks) and its tags. */
export function readMarkup(html: string): Markup {
  const pieces: string[] = [];
  // One entry per text piece: where it starts in the text, and where it was written in the HTML. A piece is
  // `exact` when each of its characters was written as itself, else it stands for all of [htmlStart, htmlEnd).
  const textStart: number[] = [];
  const htmlStart: number[] = [];
  const htmlEnd: number[] = [];
  const exact: boolean[] = [];
  let length = 0;
  const add = (piece: string, from: number, to: number, asWritten: boolean) => {
    pieces.push(piece);
    textStart.push(length);
    htmlStart.push(from);
    htmlEnd.push(to);
    exact.push(asWritten);
    length += piece.length;
  };
  const tags: Tag[] = [];
  let hidden = 0;
  let opening: Tag = { start: 0, end: 0, name: '', kind: 'open' };
  const addTag = (tag: Tag) => {
    tags.push(tag);
    if (HIDDEN.has(tag.name) && tag.kind !== 'void') hidden = tag.kind === 'open' ? hidden + 1 : Math.max(0, hidden - 1);
    if (!INLINE.has(tag.name)) add('\n', tag.start, tag.end, false);
  };
  const ignore = () => undefined;
  // The tokenizer, not the full parser: it reports positions only, which is all this needs, several times faster.
  const tokenizer = new Tokenizer(
    { decodeEntities: false },
    {
      ontext(from, to) {
        if (hidden > 0) return;
        const ampersand = html.indexOf('&', from);
        if (ampersand < 0 || ampersand >= to) return add(html.slice(from, to), from, to, true);
        const data = html.slice(from, to);
        let last = 0;
        for (const reference of data.matchAll(REFERENCE)) {
          const at = reference.index;
          if (at > last) add(data.slice(last, at), from + last, from + at, true);
          add(decodeHTML(reference[0]), from + at, from + at + reference[0].length, false);
          last = at + reference[0].length;
        }
        if (last < data.length) add(data.slice(last), from + last, to, true);
      },
      onopentagname(from, to) {
        const name = html.slice(from, to).toLowerCase();
        opening = { start: from - 1, end: to, name, kind: VOID.has(name) ? 'void' : 'open' };
      },
      onopentagend(at) {
        addTag({ ...opening, end: at + 1 });
      },
      onselfclosingtag(at) {
        addTag({ ...opening, end: at + 1, kind: 'void' });
      },
      onclosetag(from, to) {
        const name = html.slice(from, to).toLowerCase();
        if (VOID.has(name)) return;
        const end = html.indexOf('>', to);
        addTag({ start: html.lastIndexOf('<', from), end: end < 0 ? html.length : end + 1, name, kind: 'close' });
      },
      onattribdata: ignore,
      onattribentity: ignore,
      onattribend: ignore,
      onattribname: ignore,
      oncdata: ignore,
      oncomment: ignore,
      ondeclaration: ignore,
      onend: ignore,
      onprocessinginstruction: ignore,
      ontextentity: ignore,
    },
  );
  tokenizer.write(html);
  tokenizer.end();

  /** The text piece holding text index `index`. */
  const pieceAt = (index: number): number => {
    let low = 0;
    let high = textStart.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (textStart[middle] <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  return {
    text: pieces.join(''),
    tags,
    toHtml(index, edge) {
      if (textStart.length === 0) return 0;
      const piece = pieceAt(edge === 'start' ? index : index - 1);
      if (exact[piece]) return htmlStart[piece] + index - textStart[piece];
      return edge === 'start' ? htmlStart[piece] : htmlEnd[piece];
    },
  };
}
