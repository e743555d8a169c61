import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, describe, it, mock } from 'node:test';
import { nodeFlagsOf } from '../../bench/server.js';
import { boundHeapGrowth } from '../../src/cli/serve.js';

afterEach(() => mock.restoreAll());

describe('scot serve', () => {
  it('lets V8 grow the old generation to twice what survived its last full collection, not four times', () => {
    const flags = mock.method(v8, 'setFlagsFromString', () => {});
    boundHeapGrowth([]);
    assert.deepEqual(
      flags.mock.calls.map((c) => c.arguments[0]),
      ['--heap-growing-percent=100'],
    );
  });

  it('leaves the heap growth to node when its command line sets it', () => {
    const flags = mock.method(v8, 'setFlagsFromString', () => {});
    boundHeapGrowth(['--heap-growing-percent=30']);
    assert.equal(flags.mock.calls.length, 0);
  });
});

describe('the scot command', () => {
  const built = 'dist/cli/main.js';

  it('runs through its #! line, which caps the young generation of its node at 4 MiB per semi-space', {
    skip: !fs.existsSync(built) && 'not built',
  }, () => {
    assert.deepEqual(nodeFlagsOf(built), ['--max-semi-space-size=4']);
    assert.match(execFileSync(path.resolve(built), ['--help']).toString(), /^Usage: scot /);
  });
});
