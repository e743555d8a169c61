import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePassword, hashPassword, newToken, tokenHash, verifyPassword } from '../../src/app/secret.js';

describe('passwords', () => {
  it('a hash verifies its password and nothing else', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!stored.includes('correct horse'));
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapl', stored), false);
    assert.equal(await verifyPassword('Correct horse battery staple', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same password', b), true);
  });

  it('handles unicode passwords', async () => {
    const stored = await hashPassword('pässwörd 🔑 密码');
    assert.equal(await verifyPassword('pässwörd 🔑 密码', stored), true);
    assert.equal(await verifyPassword('passwort 🔑 密码', stored), false);
  });

  it('a missing or malformed hash never verifies', async () => {
    assert.equal(await verifyPassword('anything', null), false);
    assert.equal(await verifyPassword('anything', ''), false);
    assert.equal(await verifyPassword('anything', 'plaintext'), false);
    assert.equal(await verifyPassword('anything', 'bcrypt$1$2$3$4$5'), false);
  });
});

describe('tokens', () => {
  it('tokenHash is a stable SHA-256 hex digest', () => {
    assert.equal(tokenHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(tokenHash('scot_x'), tokenHash('scot_x'));
    assert.notEqual(tokenHash('scot_x'), tokenHash('scot_y'));
  });

  it('new tokens are random, URL-safe and carry their prefix', () => {
    const a = newToken('scot_');
    const b = newToken('scot_');
    assert.match(a, /^scot_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.match(newToken(), /^[A-Za-z0-9_-]{43}$/);
  });

  it('generated passwords are long enough to be accepted', () => {
    const p = generatePassword();
    assert.match(p, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(p, generatePassword());
  });
});
