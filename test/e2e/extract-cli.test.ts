import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scot, userEnv } from '../helpers/cli.js';

/** `scot extract <args>` that must succeed; its stdout lines parsed. */
async function extracted(args: string[], stdin: string | Buffer): Promise<unknown[]> {
  const run = await scot(userEnv({}), ['extract', ...args], stdin);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('scot extract', () => {
  it('prints the entities of the text on stdin with their offsets', async () => {
    assert.deepEqual(await extracted([], 'C2 at 10.1.2[.]3 and evil.com\n'), [
      {
        entities: [
          { type: 'ipaddr', value: '10.1.2.3', start: 6, end: 16, range: 'private' },
          { type: 'domain', value: 'evil.com', start: 21, end: 29 },
        ],
      },
    ]);
  });

  it('with --lines prints one result line for each JSON string line', async () => {
    const input = [
      '"mail bob@evil.com"',
      '"nothing here"',
      JSON.stringify('hash d41d8cd98f00b204e9800998ecf8427e\nnext line'),
    ].join('\n');
    assert.deepEqual(await extracted(['--lines'], `${input}\n`), [
      {
        entities: [
          { type: 'email', value: 'bob@evil.com', start: 5, end: 17 },
          { type: 'domain', value: 'evil.com', start: 9, end: 17 },
        ],
      },
      { entities: [] },
      { entities: [{ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', start: 5, end: 37 }] },
    ]);
  });

  it('with --html finds entities in the text the HTML shows, at their offsets in the HTML', async () => {
    assert.deepEqual(await extracted(['--html'], '<p>1.2.<b>3</b>.4</p>'), [
      { entities: [{ type: 'ipaddr', value: '1.2.3.4', start: 3, end: 17, range: 'public' }] },
    ]);
  });

  it('reads bytes that are not UTF-8 as replacement characters and still finds what is there', async () => {
    const input = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.from(' evil.com')]);
    assert.deepEqual(await extracted([], input), [{ entities: [{ type: 'domain', value: 'evil.com', start: 5, end: 13 }] }]);
  });

  it('fails with one line on stderr naming the line that is not a JSON string', async () => {
    const run = await scot(userEnv({}), ['extract', '--lines'], '"fine"\n{"text": "x"}\n');
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, '{"entities":[]}\n');
    assert.deepEqual(run.stderr.trimEnd().split('\n'), [
      'scot: line 2 is not a JSON string; with --lines each line must be one, like "text to search"',
    ]);
  });
});
