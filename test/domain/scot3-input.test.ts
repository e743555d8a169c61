import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppError } from '../../src/domain/error.js';
import { asSent, fromScot3, type Scot3Kind } from '../../src/domain/input/scot3.js';

/** [what SCOT 3 sends, kind of input, its body, SCOT's input] */
type Case = [string, Scot3Kind, Record<string, unknown>, Record<string, unknown>];

const CASES: Case[] = [
  [
    'read and modify groups',
    'event',
    { readgroups: ['ir'], modifygroups: ['ir', 'soc'] },
    { groups: { read: ['ir'], modify: ['ir', 'soc'] } },
  ],
  [
    'one group list beside groups',
    'entry',
    { groups: { read: ['ir'] }, modifygroups: ['ir'] },
    { groups: { read: ['ir'], modify: ['ir'] } },
  ],
  ['tags and sources for tag and source', 'alertgroup', { tags: ['a'], sources: ['b'] }, { tag: ['a'], source: ['b'] }],
  ['a single tag for a list of one', 'event', { tag: 'phishing', source: 'ids' }, { tag: ['phishing'], source: ['ids'] }],
  [
    'labels as {value, note}',
    'incident',
    { tags: [{ value: 'apt', note: 'actor' }, 'x'] },
    { tag: [{ name: 'apt', note: 'actor' }, 'x'] },
  ],
  ['one label as {value}', 'alert', { source: { value: 'splunk' } }, { source: [{ name: 'splunk' }] }],
  [
    "source and sources both, as SCOT 3's mail ingester sends them",
    'alertgroup',
    { source: ['email', 'splunk'], sources: 'splunk' },
    { source: ['email', 'splunk', 'splunk'] },
  ],
  ['a single data row', 'alertgroup', { data: { host: 'a' } }, { data: [{ host: 'a' }] }],
  [
    "column names in each row, as SCOT 3's mail parsers put them",
    'alertgroup',
    {
      data: [
        { sender: 's', alert: 'a', columns: ['sender', 'alert'] },
        { sender: 't', columns: ['sender', 'alert'] },
      ],
    },
    { data: [{ sender: 's', alert: 'a' }, { sender: 't' }], columns: ['sender', 'alert'] },
  ],
  [
    "row columns beside the alertgroup's",
    'alertgroup',
    { columns: ['b', 'a'], data: [{ a: 1, b: 2, columns: ['a', 'b'] }] },
    { columns: ['b', 'a'], data: [{ a: 1, b: 2 }] },
  ],
  ['parent 0 on an entry', 'entry', { parent: 0, body: 'b' }, { body: 'b' }],
  ['a real parent on an entry', 'entry', { parent: 7 }, { parent: 7 }],
  ['alert_id on an event', 'event', { alert_id: 2 }, { promote_from: { alert: [2] } }],
  ['alert on an event', 'event', { alert: [2, 3] }, { promote_from: { alert: [2, 3] } }],
  ['events on an incident', 'incident', { events: [4] }, { promote_from: { event: [4] } }],
  ['created on an alertgroup', 'alertgroup', { created: 1500000000 }, { occurred: 1500000000 }],
  ['tlp clear', 'event', { tlp: 'clear' }, { tlp: 'white' }],
  ['TLP 2.0 spelling', 'entry', { tlp: 'TLP:AMBER+STRICT' }, { tlp: 'amber+strict' }],
  [
    "SCOT's own spelling",
    'event',
    { subject: 's', tag: ['a'], groups: { read: ['ir'] } },
    { subject: 's', tag: ['a'], groups: { read: ['ir'] } },
  ],
  ['a name neither knows passes on to be refused', 'event', { severity: 'high' }, { severity: 'high' }],
  ['created on an event stays created, to be refused', 'event', { created: 1 }, { created: 1 }],
];

describe('SCOT 3 request spellings', () => {
  for (const [what, kind, body, expected] of CASES) {
    it(`maps ${what}`, () => {
      assert.deepEqual(fromScot3(kind, body).input, expected);
    });
  }

  it('leaves a body that is not an object to be refused', () => {
    assert.deepEqual(fromScot3('event', [1]).input, [1]);
    assert.equal(fromScot3('event', undefined).input, undefined);
  });

  it('does not change the body it was given', () => {
    const body = { readgroups: ['ir'], tags: 'a' };
    fromScot3('event', body);
    assert.deepEqual(body, { readgroups: ['ir'], tags: 'a' });
  });

  it("refuses a field sent under both its names, naming SCOT 3's", () => {
    const cases: [Scot3Kind, Record<string, unknown>, string][] = [
      ['alertgroup', { created: 1, occurred: 2 }, 'created'],
      ['event', { groups: { read: ['ir'] }, readgroups: ['ir'] }, 'readgroups'],
      ['event', { tag: 42, tags: ['a'] }, 'tags'],
    ];
    for (const [kind, body, field] of cases) {
      assert.throws(
        () => fromScot3(kind, body),
        (err: AppError) => err.statusCode === 400 && err.field === field,
        field,
      );
    }
  });

  it('names an error in a renamed field as it was sent', () => {
    const { sentAs } = fromScot3('event', { readgroups: ['ir'], alert_id: 'x', subject: 's' });
    assert.equal(asSent('groups.read.0', sentAs), 'readgroups.0');
    assert.equal(asSent('groups.read', sentAs), 'readgroups');
    assert.equal(asSent('promote_from.alert', sentAs), 'alert_id');
    assert.equal(asSent('promote_from', sentAs), 'alert_id');
    assert.equal(asSent('subject', sentAs), 'subject');
    assert.equal(asSent('tag.1', fromScot3('event', { tags: ['a', 7] }).sentAs), 'tags.1');
  });
});
