import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeEntryHtml } from '../../src/domain/sanitize.js';

const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('sanitizeEntryHtml keeps what analysts write', () => {
  it('keeps formatting', () => {
    const html =
      '<p><b>bold</b> <i>it</i> <u>u</u> <s>s</s> <del>d</del> <ins>i</ins> x<sub>2</sub> y<sup>3</sup></p><h2>Title</h2><ul><li>one</li></ul><ol><li>two</li></ol><blockquote>q</blockquote><br />';
    assert.equal(sanitizeEntryHtml(html), html);
  });

  it('keeps code blocks and their text', () => {
    const html = '<pre><code>if (a &lt; b) { run(); }</code></pre>';
    assert.equal(sanitizeEntryHtml(html), html);
  });

  it('keeps tables with spans', () => {
    const html =
      '<table><thead><tr><th colspan="2">Hosts</th></tr></thead>' +
      '<tbody><tr><td rowspan="2">10.0.0.1</td><td>web</td></tr><tr><td>db</td></tr></tbody></table>';
    assert.equal(sanitizeEntryHtml(html), html);
    // Column groups survive (sanitize-html writes the void <col> with an end tag, which browsers ignore).
    assert.match(
      sanitizeEntryHtml('<table><colgroup><col /></colgroup><tr><td>x</td></tr></table>'),
      /^<table><colgroup><col>(<\/col>)?<\/colgroup><tr><td>x<\/td><\/tr><\/table>$/,
    );
  });

  it('keeps pasted images as data: URLs and linked images', () => {
    const pasted = `<p><img src="${PIXEL}" alt="screenshot" width="10" height="10" /></p>`;
    assert.equal(sanitizeEntryHtml(pasted), pasted);
    const linked = '<img src="https://scot.example/files/abc.png" alt="a" />';
    assert.equal(sanitizeEntryHtml(linked), linked);
  });

  it('keeps links, making them safe to open', () => {
    assert.equal(
      sanitizeEntryHtml('<a href="https://example.com/x?a=1&amp;b=2" target="_blank">report</a>'),
      '<a href="https://example.com/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">report</a>',
    );
    assert.match(sanitizeEntryHtml('<a href="mailto:soc@example.com">mail</a>'), /href="mailto:soc@example.com"/);
  });

  it('keeps flair markup and classes', () => {
    const html =
      '<span class="entity ipaddr" data-entity-id="7" data-entity-type="ipaddr" data-entity-value="10.0.0.1">10.0.0.1</span>';
    assert.equal(sanitizeEntryHtml(html), html);
  });

  it('leaves plain text, unicode and escaped markup alone', () => {
    assert.equal(sanitizeEntryHtml('just text — 日本語 👍'), 'just text — 日本語 👍');
    assert.equal(sanitizeEntryHtml('&lt;script&gt;'), '&lt;script&gt;');
  });
});

describe('sanitizeEntryHtml removes what could run', () => {
  it('removes scripts with their content', () => {
    assert.equal(sanitizeEntryHtml('<p>hi</p><script>alert(document.cookie)</script>'), '<p>hi</p>');
    assert.equal(sanitizeEntryHtml('<SCRIPT src="https://evil.example/x.js"></SCRIPT>ok'), 'ok');
  });

  it('removes event handlers', () => {
    assert.equal(
      sanitizeEntryHtml('<img src="https://x.example/a.png" onerror="alert(1)" />'),
      '<img src="https://x.example/a.png" />',
    );
    assert.equal(sanitizeEntryHtml('<p onclick="steal()" onmouseover="x()">t</p>'), '<p>t</p>');
    assert.equal(sanitizeEntryHtml('<b OnLoad="x()">t</b>'), '<b>t</b>');
  });

  it('removes javascript: and other unsafe URLs', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java&#x09;script:alert(1)',
      'vbscript:msgbox(1)',
      'data:text/html,<script>alert(1)</script>',
    ]) {
      const out = sanitizeEntryHtml(`<a href="${href}">x</a>`);
      assert.doesNotMatch(out, /href/i, href);
      assert.match(out, />x<\/a>$/, href);
    }
    assert.doesNotMatch(sanitizeEntryHtml('<img src="javascript:alert(1)" />'), /javascript/i);
  });

  it('removes styles, frames, forms and embeds', () => {
    assert.equal(sanitizeEntryHtml('<p style="background:url(https://evil.example/t.gif)">t</p>'), '<p>t</p>');
    assert.equal(sanitizeEntryHtml('<style>body{display:none}</style>t'), 't');
    assert.equal(sanitizeEntryHtml('<iframe src="https://evil.example"></iframe>t'), 't');
    assert.equal(sanitizeEntryHtml('<object data="x.swf"></object><embed src="x.swf" />t'), 't');
    assert.doesNotMatch(sanitizeEntryHtml('<form action="https://evil.example"><input name="p" /></form>'), /<form|<input/);
    assert.doesNotMatch(sanitizeEntryHtml('<svg><script>alert(1)</script></svg>'), /script|svg/i);
  });
});
