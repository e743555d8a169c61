import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/domain/error.js';
import {
  fitsPattern,
  MAX_CLAUSES,
  MAX_QUERY_LENGTH,
  parseSearchQuery,
  patternsOf,
  withIndicators,
  type SearchQuery,
} from '../../src/domain/search/query.js';
import { scorerOf } from '../../src/domain/search/rank.js';
import { snippetOf } from '../../src/domain/search/snippet.js';
import { encodeToken, refang, textOfHtml, tokenize } from '../../src/domain/search/text.js';

const word = (w: string, more: { prefix?: boolean; subject?: boolean } = {}) => ({
  tokens: [encodeToken(w)],
  prefix: more.prefix ?? false,
  subject: more.subject ?? false,
  raw: [w],
});
const pattern = (glob: string, subject = false) => ({ tokens: [], prefix: false, subject, raw: [], pattern: glob });
const none: SearchQuery = { match: [], exclude: [], types: [], tags: [], statuses: [], owners: [], created: {} };
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;

describe('parseSearchQuery', () => {
  const cases: [string, string, Partial<SearchQuery>][] = [
    ['words, lower case', 'Phishing Wave', { match: [word('phishing'), word('wave')] }],
    [
      'a phrase',
      '"Quick brown fox"',
      { match: [{ tokens: ['quick', 'brown', 'fox'], prefix: false, subject: false, raw: ['quick', 'brown', 'fox'] }] },
    ],
    ['a prefix', 'ransom*', { match: [word('ransom', { prefix: true })] }],
    ['an exclusion', 'phishing -spam', { match: [word('phishing')], exclude: [word('spam')] }],
    [
      'an excluded phrase',
      'a -"b c"',
      { match: [word('a')], exclude: [{ tokens: ['b', 'c'], prefix: false, subject: false, raw: ['b', 'c'] }] },
    ],
    ['an IP as one term', '10.1.2.3', { match: [word('10.1.2.3')] }],
    ['a domain as typed', 'Evil.Example.com', { match: [word('evil.example.com')] }],
    ['a defanged domain refanged', 'evil[.]example[.]com', { match: [word('evil.example.com')] }],
    ['a defanged URL refanged', 'hxxp://evil.com/x', { match: [word('http://evil.com/x')] }],
    ['an e-mail address', 'bob[at]example.com', { match: [word('bob@example.com')] }],
    ['a term prefix', '10.1.*', { match: [word('10.1', { prefix: true })] }],
    ['a field unknown to search is text', 'http://x.org', { match: [word('http://x.org')] }],
    [
      'fields',
      'type:alert tag:phishing status:open owner:bob x',
      {
        match: [word('x')],
        types: ['alert'],
        tags: ['phishing'],
        statuses: ['open'],
        owners: ['bob'],
      },
    ],
    ['a field alone', 'tag:phishing', { tags: ['phishing'] }],
    ['a field twice is either value', 'type:event type:incident', { types: ['event', 'incident'] }],
    ['a subject word', 'subject:Wave', { match: [word('wave', { subject: true })] }],
    [
      'a date range, both days included',
      'created:2026-01-01..2026-02-01',
      { created: { from: day('2026-01-01'), until: day('2026-02-02') } },
    ],
    ['a range open at the end', 'created:2026-01-01..', { created: { from: day('2026-01-01'), until: undefined } }],
    ['a range open at the start', 'created:..2026-01-01', { created: { from: undefined, until: day('2026-01-02') } }],
    ['one day', 'created:2026-03-04', { created: { from: day('2026-03-04'), until: day('2026-03-05') } }],
    ['a pattern of an indicator', '*.Example.com', { match: [pattern('*.example.com')] }],
    ['a defanged pattern, its stars run together', '**c0ffee*[.]example[.]com', { match: [pattern('*c0ffee*.example.com')] }],
    ['a star inside', 'login*.com', { match: [pattern('login*.com')] }],
    ['an excluded pattern in the subject', 'x -subject:*1.2.3*', { match: [word('x')], exclude: [pattern('*1.2.3*', true)] }],
  ];
  for (const [what, q, expected] of cases) {
    it(`parses ${what}: ${q}`, () => {
      assert.deepEqual(parseSearchQuery(q), { ...none, ...expected });
    });
  }

  const bad: [string, string, RegExp][] = [
    ['an empty query', '', /nothing to search for/],
    ['only spaces', '   ', /nothing to search for/],
    ['an unbalanced quote', 'evil "phrase', /unbalanced quote/],
    ['a quote inside a word', 'ev"il', /unbalanced quote/],
    ['a lone -', 'phishing -', /lone "-"/],
    ['only exclusions', '-spam', /only excludes/],
    ['an empty phrase', '""', /empty phrase/],
    ['punctuation only', '!!!', /no letters or digits/],
    ['an unknown type', 'type:banana', /type:banana is not searched/],
    ['a field without a value', 'tag:', /needs a value/],
    ['an excluded field', '-tag:x y', /only words and phrases can be excluded/],
    ['a date that is no day', 'created:2026-02-30', /not a day/],
    ['a date range of three', 'created:2026-01-01..2026-01-02..2026-01-03', /not a date range/],
    ['an empty range', 'created:..', /not a date range/],
    ['too many terms', Array.from({ length: MAX_CLAUSES + 1 }, (_, i) => `w${i}`).join(' '), /more than 32/],
    ['10,000 terms', 'a '.repeat(10_000), /characters; at most/],
    ['a 1 MB query', 'x'.repeat(1 << 20), /characters; at most/],
    ['a control character', 'tag:a\u0000b', /control characters/],
    ['a word too long to index', 'x'.repeat(300), /too long/],
    ['a pattern without 3 characters in a row', '*ab*c*', /needs 3 characters in a row/],
    ['a pattern of two indicators', '*evil.com,bad*', /pattern of one indicator/],
    ['a pattern too long to index', `*${'x'.repeat(300)}`, /too long/],
  ];
  for (const [what, q, message] of bad) {
    it(`refuses ${what} with a 400 on the query field`, () => {
      assert.throws(
        () => parseSearchQuery(q, 'qstring'),
        (err: unknown) =>
          err instanceof AppError && err.statusCode === 400 && err.field === 'qstring' && message.test(err.message),
      );
    });
  }

  it('fills a pattern with the tokens of the indicators that fit it, and drops one to exclude that fits none', () => {
    const query = parseSearchQuery('*.example.com -*nothing*');
    assert.deepEqual(patternsOf(query), ['*.example.com', '*nothing*']);
    const found = new Map([['*.example.com', ['evil.example.com', 'Bad.Example.com', 'example.com.au', 'other.org']]]);
    assert.deepEqual(withIndicators(query, found), {
      ...none,
      match: [
        {
          ...pattern('*.example.com'),
          anyOf: [encodeToken('evil.example.com'), encodeToken('bad.example.com')],
          raw: ['evil.example.com', 'bad.example.com'],
        },
      ],
    });
    assert.equal(withIndicators(parseSearchQuery('*nothing*'), found), undefined);
    assert.ok(fitsPattern('*_fin*', 'invoice_final.docx'));
    assert.ok(!fitsPattern('*_fin*', 'invoicexfinal.docx'));
  });

  it('scores a match in the subject above one in the text, a match in a long text below one in a short, and counts each', () => {
    const score = scorerOf(parseSearchQuery('beacon').match);
    assert.ok(score('Beacon seen', 'quiet host') > score('quiet host', 'beacon seen'));
    assert.ok(score('', `beacon ${'filler '.repeat(400)}`) < score('', 'beacon seen'));
    assert.ok(score('', 'beacon and beacon again') > score('', 'beacon and nothing else'));
    assert.equal(score('beacons', 'a beaconing host'), 0);
    assert.equal(scorerOf(parseSearchQuery('tag:phishing').match)('beacon', 'beacon'), 0);
  });

  it('refuses a query just over the length limit quickly, and accepts one at it', () => {
    assert.throws(() => parseSearchQuery('a'.repeat(MAX_QUERY_LENGTH + 1)), AppError);
    assert.equal(parseSearchQuery(`${'a'.repeat(150)} `.repeat(6).slice(0, MAX_QUERY_LENGTH)).match.length, 6);
  });
});

describe('tokenize', () => {
  it('indexes an indicator whole and its words in order, so phrases run through it', () => {
    assert.deepEqual(tokenize('Seen at evil.example.com, from 10.1.2.3.'), {
      words: ['seen', 'at', 'evil', 'example', 'com', 'from', '10', '1', '2', '3'],
      terms: [encodeToken('evil.example.com'), encodeToken('10.1.2.3')],
    });
  });

  it('encodes tokens to letters and digits only, keeping prefixes prefixes', () => {
    const ip = encodeToken('10.1.2.3');
    assert.match(ip, /^[a-z0-9]+$/);
    assert.ok(ip.startsWith(encodeToken('10.1.')));
    assert.notEqual(encodeToken('zd'), encodeToken('.'));
    assert.match(encodeToken('café'), /^[a-z0-9]+$/);
  });

  it('refangs the defanged forms analysts write', () => {
    assert.equal(refang('hxxps://evil[.]com (dot) bob[@]x(.)org 1.2.3{.}4'), 'https://evil.com . bob@x.org 1.2.3.4');
  });

  it('reads the text of HTML without its markup, blocks apart', () => {
    assert.equal(textOfHtml('<p>one&amp;two</p><p>three <b>four</b></p>'), 'one&two three four');
  });
});

describe('snippetOf', () => {
  it('shows the text around the first match, marked and escaped', () => {
    const text = `${'filler '.repeat(30)}the <evil> host 10.1.2.3 was seen`;
    const { snippet, highlight } = snippetOf('subject', text, parseSearchQuery('10.1.2.3').match);
    assert.ok(snippet.startsWith('…') && snippet.includes('10.1.2.3 was seen'));
    assert.ok(highlight.includes('the &lt;evil&gt; host <mark>10.1.2.3</mark> was seen'));
  });

  it('falls back to the subject when only it matched', () => {
    assert.deepEqual(snippetOf('Phishing wave', 'other text', parseSearchQuery('subject:phish*').match), {
      snippet: 'Phishing wave',
      highlight: '<mark>Phishing</mark> wave',
    });
  });
});
