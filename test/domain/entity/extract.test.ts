import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import { extractEntities, extractFromHtml, type EntityMatch } from '../../../src/domain/entity/extract.js';
import { ENTITY_TYPES } from '../../../src/domain/entity/type.js';
import { HTML_CASES, TEXT_CASES, type LabelledCase } from './cases.js';

/** What an analyst sees of the matches: type and value, in order. */
const seen = (matches: EntityMatch[]) => matches.map((m) => [m.type, m.value]);

/** The written text each match covers. */
const written = (text: string, matches: EntityMatch[]) => matches.map((m) => text.slice(m.start, m.end));

/** Checks one labelled case: the same entities, as a multiset (the table does not fix their order). */
function checkCase([text, expected]: LabelledCase, found: EntityMatch[]) {
  const sorted = (pairs: string[][]) => pairs.map((p) => p.join(' ')).sort();
  assert.deepEqual(sorted(seen(found)), sorted(expected), `entities of ${JSON.stringify(text)}`);
}

describe('the labelled entity cases', () => {
  it('hold at least 300 cases across every type, with positives, negatives and HTML', () => {
    const all = [...TEXT_CASES, ...HTML_CASES];
    assert.ok(all.length >= 300, `${all.length} cases`);
    assert.ok(all.filter(([, expected]) => expected.length === 0).length >= 60, 'negative cases');
    const types = new Set(all.flatMap(([, expected]) => expected.map(([type]) => type)));
    for (const type of ENTITY_TYPES) {
      assert.ok(types.has(type), `a case for ${type}`);
    }
  });

  for (const labelled of TEXT_CASES) {
    it(`in text ${JSON.stringify(labelled[0]).slice(0, 100)} finds ${labelled[1].map((e) => e.join(' ')).join(', ') || 'nothing'}`, () => {
      checkCase(labelled, extractEntities(labelled[0]));
    });
  }
  for (const labelled of HTML_CASES) {
    it(`in HTML ${JSON.stringify(labelled[0]).slice(0, 100)} finds ${labelled[1].map((e) => e.join(' ')).join(', ') || 'nothing'}`, () => {
      checkCase(labelled, extractFromHtml(labelled[0]));
    });
  }
});

describe('extractEntities', () => {
  it('gives offsets into the text as written, defanged pieces included', () => {
    const text = 'ip 10.1.2[.]3, mail bob(at)evil[dot]com, hxxps[:]//evil[.]com/x';
    const found = extractEntities(text);
    assert.deepEqual(written(text, found), [
      '10.1.2[.]3',
      'bob(at)evil[dot]com',
      'evil[dot]com',
      'hxxps[:]//evil[.]com/x',
      'evil[.]com',
    ]);
    assert.deepEqual(seen(found), [
      ['ipaddr', '10.1.2.3'],
      ['email', 'bob@evil.com'],
      ['domain', 'evil.com'],
      ['url', 'https://evil.com/x'],
      ['domain', 'evil.com'],
    ]);
  });

  it('orders matches by position, a URL before the domain inside it', () => {
    const found = extractEntities('see http://evil.com/a then 1.2.3.4');
    assert.deepEqual(
      found.map((m) => [m.type, m.start, m.end]),
      [
        ['url', 4, 21],
        ['domain', 11, 19],
        ['ipaddr', 27, 34],
      ],
    );
  });

  it('marks the range of each address: public, private, loopback, reserved and the rest as ipaddr.js names them', () => {
    const ranges = extractEntities('8.8.8.8 10.1.2.3 127.0.0.1 240.0.0.1 169.254.1.1 ::1 fe80::1 2001:db8::1 100.64.0.0/10').map(
      (m) => [m.value, m.range],
    );
    assert.deepEqual(ranges, [
      ['8.8.8.8', 'public'],
      ['10.1.2.3', 'private'],
      ['127.0.0.1', 'loopback'],
      ['240.0.0.1', 'reserved'],
      ['169.254.1.1', 'linkLocal'],
      ['::1', 'loopback'],
      ['fe80::1', 'linkLocal'],
      ['2001:db8::1', 'reserved'],
      ['100.64.0.0/10', 'carrierGradeNat'],
    ]);
  });

  it('gives no range to entities that are not addresses', () => {
    assert.equal(extractEntities('evil.com')[0].range, undefined);
  });

  it('counts a hash once, under its own type', () => {
    const sha512 =
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';
    assert.deepEqual(seen(extractEntities(sha512)), [['sha512', sha512]]);
  });

  it('finds admin-defined types beside the built-in ones', () => {
    const ticket = {
      type: 'ticket',
      *find(text: string) {
        for (const m of text.matchAll(/INC-\d+/g)) yield { start: m.index, end: m.index + m[0].length, value: m[0] };
      },
    };
    const found = extractEntities('INC-42 on 1.2.3.4', { extra: [ticket] });
    assert.deepEqual(
      found.map((m) => [m.type, m.value, m.start, m.end]),
      [
        ['ticket', 'INC-42', 0, 6],
        ['ipaddr', '1.2.3.4', 10, 17],
      ],
    );
  });

  it('leaves out what the allow-list skips', () => {
    const found = extractEntities('ours.example.com and evil.com 10.0.0.1', {
      skip: (m) => m.value.endsWith('example.com') || m.range === 'private',
    });
    assert.deepEqual(seen(found), [['domain', 'evil.com']]);
  });
});

describe('extractFromHtml', () => {
  it('gives offsets into the HTML that cover the indicator and the inline markup splitting it', () => {
    const html = '<p>go to 1.2.<b>3</b>.4 or evil<wbr>.com or evil&#46;org</p>';
    assert.deepEqual(written(html, extractFromHtml(html)), ['1.2.<b>3</b>.4', 'evil<wbr>.com', 'evil&#46;org']);
  });

  it('does not join text across block elements', () => {
    assert.deepEqual(seen(extractFromHtml('<p>1.2.3</p><p>.4</p>')), []);
  });
});

/** Lower-case words with no dots or digits: prose that holds no entity by itself (and says no `version`). */
const prose = fc.array(
  fc.stringMatching(/^[a-z]{1,10}$/).filter((w) => !/^(ver|version|release|build|firmware|rev|revision)$/.test(w)),
  { maxLength: 20 },
);

/** A label of a domain name. */
const label = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);

/** A valid indicator as written, with its type and normalized value. */
const indicator = fc.oneof(
  fc.ipV4().map((ip) => ({ type: 'ipaddr', written: ip, value: ip })),
  fc
    .tuple(
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'net', 'org', 'co.uk', 'io', 'ru', 'de', 'com.au'),
    )
    .map(([labels, suffix]) => ({
      type: 'domain',
      written: `${labels.join('.')}.${suffix}`,
      value: `${labels.join('.')}.${suffix}`,
    }))
    // A name that is itself a public suffix (`co.io`, `com.ru`) is no one's domain.
    .filter(({ value }) => parseDomain(value, { allowPrivateDomains: false }).domain !== null),
  fc
    .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,12}[a-z0-9]$/), label)
    .filter(([local]) => !local.includes('..'))
    .map(([local, host]) => ({ type: 'email', written: `${local}@${host}.com`, value: `${local}@${host}.com` })),
  ...(
    [
      [32, 'md5'],
      [40, 'sha1'],
      [64, 'sha256'],
      [128, 'sha512'],
    ] as const
  ).map(([length, type]) =>
    fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).map((hex) => ({ type, written: hex.toUpperCase(), value: hex })),
  ),
  fc
    .ipV6()
    .filter((ip) => /\d/.test(ip))
    .map((ip) => {
      const parsed = ipaddr.IPv6.parse(ip);
      return {
        type: 'ipv6',
        written: ip,
        value: parsed.isIPv4MappedAddress() ? `::ffff:${parsed.toIPv4Address()}` : parsed.toRFC5952String(),
      };
    }),
  fc
    .tuple(fc.integer({ min: 1999, max: 2030 }), fc.integer({ min: 1000, max: 9999999 }))
    .map(([year, n]) => ({ type: 'cve', written: `cve-${year}-${n}`, value: `CVE-${year}-${n}` })),
);

describe('a random valid indicator in random prose', () => {
  it('is found with its exact value and where it was written', () => {
    fc.assert(
      fc.property(prose, indicator, prose, (before, entity, after) => {
        const text = [...before, entity.written, ...after].join(' ');
        const start = before.length === 0 ? 0 : before.join(' ').length + 1;
        const found = extractEntities(text).filter((m) => m.type === entity.type);
        assert.deepEqual(
          found.map((m) => [m.value, m.start, m.end]),
          [[entity.value, start, start + entity.written.length]],
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is found with its real value when defanged', () => {
    fc.assert(
      fc.property(
        prose,
        indicator.filter((e) => e.type === 'ipaddr' || e.type === 'domain'),
        fc.constantFrom('[.]', '(.)', '{.}', '[dot]'),
        prose,
        (before, entity, dot, after) => {
          const defanged = entity.written.replaceAll('.', dot);
          const found = extractEntities([...before, defanged, ...after].join(' '));
          assert.deepEqual(seen(found), [[entity.type, entity.value]]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is found inside HTML, split by inline markup at any point', () => {
    fc.assert(
      fc.property(indicator, fc.nat(), fc.constantFrom('b', 'i', 'span', 'em'), (entity, at, tag) => {
        const cut = at % (entity.written.length + 1);
        const html = `<p>${entity.written.slice(0, cut)}<${tag}>${entity.written.slice(cut)}</${tag}> seen</p>`;
        const found = extractFromHtml(html).filter((m) => m.type === entity.type);
        assert.deepEqual(
          found.map((m) => m.value),
          [entity.value],
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile input', () => {
  const MB = 1024 * 1024;

  it('a 10 MB cell of mixed text finishes with every indicator in it', () => {
    const chunk = 'alert from 10.1.2.3 to evil.com with d41d8cd98f00b204e9800998ecf8427e and some words in between. ';
    const copies = Math.ceil((10 * MB) / chunk.length);
    const found = extractEntities(chunk.repeat(copies));
    assert.equal(found.length, copies * 3);
  });

  // Each of these makes a backtracking regex go quadratic or worse; here each is one linear pass.
  const adversarial: [name: string, text: string, entities: number][] = [
    ['one endless word', 'a'.repeat(2 * MB), 0],
    ['endless dotted labels', 'a.'.repeat(MB), 0],
    ['endless dotted numbers', '1.'.repeat(MB), 0],
    ['endless hyphens', 'a-'.repeat(MB), 0],
    ['endless colons', 'a:'.repeat(MB), 0],
    ['endless hex', 'f'.repeat(2 * MB), 0],
    ['endless at-signs', 'a@'.repeat(MB), 0],
    ['endless angle brackets', '<a@'.repeat(MB), 0],
    ['endless defang pieces', '[.]'.repeat(MB), 0],
    ['endless percent and plus', '%+'.repeat(MB), 0],
    ['a registry key with endless spaced words', `HKLM\\${'a '.repeat(MB)}`, 1],
    ['one endless URL', `http://a.com/${'x'.repeat(2 * MB)}`, 2],
    ['a URL ending in endless parentheses', `http://a.com/${')'.repeat(2 * MB)}`, 2],
  ];
  for (const [name, text, entities] of adversarial) {
    it(`a 2 MB cell of ${name} finishes with ${entities} entities`, () => {
      assert.equal(extractEntities(text).length, entities);
    });
  }

  it('100,000 indicators in one entry are all found', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join(' ');
    const found = extractEntities(text);
    assert.equal(found.length, 100_000);
    assert.deepEqual(seen(found.slice(-1)), [['ipaddr', '10.1.134.159']]);
  });

  it('binary data and replacement characters around an indicator leave it found', () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256);
    const binary = Buffer.from(bytes).toString('utf8');
    const invalid = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]).toString('utf8');
    const text = `${binary} ${invalid} evil.com \uD800 1.2.3.4 \0`;
    const found = extractEntities(text).filter((m) => m.value === 'evil.com' || m.value === '1.2.3.4');
    assert.deepEqual(written(text, found), ['evil.com', '1.2.3.4']);
  });

  it('100,000 indicators in one HTML entry are all found', () => {
    const html = `<table>${Array.from({ length: 100_000 }, (_, i) => `<tr><td>h${i}.example.com</td></tr>`).join('')}</table>`;
    assert.equal(extractFromHtml(html).length, 100_000);
  });
});
