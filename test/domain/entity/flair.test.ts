import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from 'htmlparser2';
import { extractFromHtml, type EntityMatch } from '../../../src/domain/entity/extract.js';
import { renderFlair } from '../../../src/domain/entity/flair.js';

/** Flair as the server renders it: the entities of the HTML, wrapped. */
const flaired = (html: string) => renderFlair(html, extractFromHtml(html));

/** The HTML without flair spans: what the analyst wrote, which flair must leave as it was. */
const unflaired = (html: string) =>
  html.replace(/<span class="entity [^"]*" data-entity-type="[^"]*" data-entity-value="[^"]*">|<\/span>/g, '');

/** Every element as a browser builds it, failing when a closing tag closes anything but the innermost element. */
function elements(html: string): { name: string; attributes: Record<string, string>; text: string }[] {
  const open: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const all: typeof open = [];
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const element = { name, attributes, text: '' };
        open.push(element);
        all.push(element);
      },
      ontext(text) {
        for (const element of open) element.text += text;
      },
      onclosetag(name, implied) {
        // The parser closes an element itself (implied) only when the markup closed it out of order.
        if (!['br', 'wbr', 'img'].includes(name)) assert.ok(!implied, `<${name}> is closed out of order`);
        open.pop();
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return all;
}

describe('renderFlair', () => {
  it('wraps an entity in the flair span, with its normalized value and the text as written', () => {
    assert.equal(
      flaired('<p>host 10.1.2[.]3 seen</p>'),
      '<p>host <span class="entity ipaddr" data-entity-type="ipaddr" data-entity-value="10.1.2.3">10.1.2[.]3</span> seen</p>',
    );
  });

  it('wraps a URL once, not also the domain inside it', () => {
    assert.equal(
      flaired('hxxp://evil[.]com/a'),
      '<span class="entity url" data-entity-type="url" data-entity-value="http://evil.com/a">hxxp://evil[.]com/a</span>',
    );
  });

  it('wraps an indicator split by balanced inline markup in one span around it', () => {
    assert.equal(
      flaired('<p>1.2.<b>3</b>.4</p>'),
      '<p><span class="entity ipaddr" data-entity-type="ipaddr" data-entity-value="1.2.3.4">1.2.<b>3</b>.4</span></p>',
    );
    assert.equal(
      flaired('evil<wbr>.com'),
      '<span class="entity domain" data-entity-type="domain" data-entity-value="evil.com">evil<wbr>.com</span>',
    );
  });

  it('wraps each piece of an indicator that crosses an element boundary, so elements still nest', () => {
    const html = '<p><i>see evil</i>.com and http://evil<a href="/x">.com/a</a> now</p>';
    const out = flaired(html);
    assert.equal(
      out,
      '<p><i>see <span class="entity domain" data-entity-type="domain" data-entity-value="evil.com">evil</span></i>' +
        '<span class="entity domain" data-entity-type="domain" data-entity-value="evil.com">.com</span> and ' +
        '<span class="entity url" data-entity-type="url" data-entity-value="http://evil.com/a">http://evil</span>' +
        '<a href="/x"><span class="entity url" data-entity-type="url" data-entity-value="http://evil.com/a">.com/a</span></a> now</p>',
    );
    elements(out);
  });

  it('keeps character references and the rest of the HTML exactly as written', () => {
    const html = '<table><tr><td>bob&#64;evil.com</td><td title="1.2.3.4">AT&amp;T 8.8.8.8</td></tr></table><!-- 5.6.7.8 -->';
    const out = flaired(html);
    assert.equal(unflaired(out), html);
    assert.deepEqual(
      elements(out)
        .filter((e) => e.name === 'span')
        .map((e) => [e.attributes['data-entity-value'], e.text]),
      [
        ['bob@evil.com', 'bob@evil.com'],
        ['8.8.8.8', '8.8.8.8'],
      ],
    );
  });

  it('never lets a hostile type or value break out of its attributes', () => {
    const hostile: EntityMatch[] = [
      { type: 'x" onmouseover="alert(1)', value: '"><script>alert(1)</script>', start: 3, end: 7 },
      { type: 'y', value: "'><img src=x onerror=alert(1)>&amp;", start: 8, end: 12 },
    ];
    const out = renderFlair('<p>abcd efgh</p>', hostile);
    const spans = elements(out).filter((e) => e.name === 'span');
    assert.deepEqual(
      spans.map((e) => e.attributes),
      [
        {
          class: 'entity x" onmouseover="alert(1)',
          'data-entity-type': 'x" onmouseover="alert(1)',
          'data-entity-value': '"><script>alert(1)</script>',
        },
        { class: 'entity y', 'data-entity-type': 'y', 'data-entity-value': "'><img src=x onerror=alert(1)>&amp;" },
      ],
    );
    assert.deepEqual(
      elements(out).map((e) => e.name),
      ['p', 'span', 'span'],
    );
  });

  it('leaves HTML without entities unchanged', () => {
    const html = '<p>nothing <b>to</b> see</p>';
    assert.equal(flaired(html), html);
  });

  it('flairs 100,000 entities in one entry', () => {
    const html = `<p>${Array.from({ length: 100_000 }, (_, i) => `h${i}.evil.com`).join(' <br> ')}</p>`;
    const out = flaired(html);
    assert.equal(out.split('<span class="entity domain"').length - 1, 100_000);
    assert.equal(unflaired(out), html);
  });
});
