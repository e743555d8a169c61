import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Markup, readMarkup, readMarkupByTokenizer } from '../../../src/domain/entity/markup.js';

/** Everything a reader answers: the text, the tags, and where each text index (both edges) was written. */
function answer(markup: Markup) {
  const positions: number[] = [];
  for (let i = 0; i <= markup.text.length; i++) positions.push(markup.toHtml(i, 'start'), markup.toHtml(i, 'end'));
  return { text: markup.text, tags: markup.tags, positions };
}

const agree = (html: string) => assert.deepEqual(answer(readMarkup(html)), answer(readMarkupByTokenizer(html)), html);

/** Pieces of simple HTML, which the fast path reads whole. */
const simplePiece = fc.oneof(
  fc.constantFrom('10.1.2.3', 'evil.com', ' ', 'a', '.', '&amp;', '&#46;', '&lt;', '&', '>', '"', "'", '=', '/', '\n', '\t'),
  fc.constantFrom('<p>', '</p>', '<b>', '</b>', '<i>', '</i>', '<br>', '<br/>', '<br />', '<br / >', '<wbr>', '<td>', '</td>'),
  fc.constantFrom('<table>', '</table>', '<tr>', '</tr>', '<DIV>', '</Div >', '</p foo>', '<img src=x>', '<hr/>', '<span>'),
  fc.constantFrom('<a href="x>y">', "<a href='q\"'>", '<a href=x/>', '<a href = "u" title=t>', '<a b c=d e>', '<a =x>', '</a>'),
);

/** Pieces of HTML, simple and not: tags of every kind, attributes quoted every way, references, stray marks. */
const piece = fc.oneof(
  fc.constantFrom('10.1.2.3', 'evil.com', ' ', 'a', '.', '&amp;', '&#46;', '&lt;', '&', '<', '>', '"', "'", '=', '/', '\n', '\t'),
  fc.constantFrom('<p>', '</p>', '<b>', '</b>', '<i>', '</i>', '<br>', '<br/>', '<br />', '<br / >', '<wbr>', '<td>', '</td>'),
  fc.constantFrom('<table>', '</table>', '<tr>', '</tr>', '<DIV>', '</Div >', '</p foo>', '<img src=x>', '<hr/>', '<span>'),
  fc.constantFrom('<a href="x>y">', "<a href='q\"'>", '<a href=x/>', '<a href = "u" title=t>', '<a b c=d e>', '<a =x>', '</a>'),
  fc.constantFrom('<p class="x', '<a href="', '<p', '</p', '<title>', '</title>', '<script>', '</script>', '<style>a<b</style>'),
  fc.constantFrom('<!-- c -->', '<!doctype html>', '<?xml ?>', '<![CDATA[x]]>', '< p>', '</ p>', '</>', '<3', '<p/x>', '<x-y>'),
);

describe('readMarkup', () => {
  it('reads simple HTML on its fast path exactly as htmlparser2 tokenizer does', () => {
    for (const html of [
      '<p>blocked <b>10.1.2.3</b> and 1.2.<i>3</i>.4</p>',
      '<table><tr><td>evil.com</td></tr></table>',
      '<a href="https://x.example.com/a>b">see &amp; evil[.]com</a><br/>x<br / >y',
      '',
      'plain text only',
    ]) {
      agree(html);
    }
  });

  it('agrees with htmlparser2 tokenizer on random simple HTML', () => {
    fc.assert(
      fc.property(fc.array(simplePiece, { maxLength: 30 }), (pieces) => agree(pieces.join(''))),
      { numRuns: 3000 },
    );
  });

  it('agrees with htmlparser2 tokenizer on random HTML, simple or not', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => agree(pieces.join(''))),
      { numRuns: 3000 },
    );
  });
});
