import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedOf, allowFilter } from '../../../src/domain/entity/allow.js';
import { extractEntities } from '../../../src/domain/entity/extract.js';
import { AppError } from '../../../src/domain/error.js';

const values = (text: string, allowed: string[]) =>
  extractEntities(text, { skip: allowFilter(allowed.map(allowedOf)) }).map((e) => e.value);

describe('entity allow-list', () => {
  it('reads a CIDR block, a domain and a plain value, normalized', () => {
    assert.deepEqual(allowedOf(' 10.0.0.0/8 '), { value: '10.0.0.0/8', kind: 'cidr' });
    assert.deepEqual(allowedOf('Example.ORG'), { value: 'example.org', kind: 'domain' });
    assert.deepEqual(allowedOf('192.0.2.1'), { value: '192.0.2.1', kind: 'value' });
    assert.deepEqual(allowedOf('d41d8cd98f00b204e9800998ecf8427e'), { value: 'd41d8cd98f00b204e9800998ecf8427e', kind: 'value' });
  });

  it('refuses a malformed block or an empty value, naming the field', () => {
    for (const bad of ['10.0.0.0/33', 'evil.com/8', '   ']) {
      assert.throws(
        () => allowedOf(bad),
        (err: unknown) => err instanceof AppError && err.statusCode === 400 && err.field === 'value',
      );
    }
  });

  const cases: [string, string[], string[]][] = [
    ['10.1.2.3 and 8.8.8.8', ['10.0.0.0/8'], ['8.8.8.8']],
    ['mail.example.org example.org notexample.org', ['example.org'], ['notexample.org']],
    ['bob@corp.example.org and eve@evil.com', ['example.org'], ['eve@evil.com', 'evil.com']],
    ['hxxp://www.example[.]org/x and http://evil.com/y', ['example.org'], ['http://evil.com/y', 'evil.com']],
    ['192.0.2.1 192.0.2.2', ['192.0.2.1'], ['192.0.2.2']],
    ['2001:db8::1 and 10.1.1.1', ['2001:db8::/32'], ['10.1.1.1']],
  ];
  for (const [text, allowed, expected] of cases) {
    it(`in "${text}", allowing ${allowed.join(', ')} leaves ${expected.join(', ')}`, () => {
      assert.deepEqual(values(text, allowed), expected);
    });
  }
});
