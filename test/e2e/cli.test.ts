import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/backend.js';
import { freePort, scotFails, scotOk, Served, sleep, userEnv } from '../helpers/cli.js';
import { expectError, expectStatus } from '../helpers/e2e.js';
import { Client } from '../helpers/server.js';

/** The server remembers credentials this long; another process's revocation is heard within it. */
const CREDENTIAL_CACHE_MS = 10_000;

/** Polls until `request` answers 401; how long that took. */
async function refusedWithin(request: () => Promise<{ status: number }>, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const { status } = await request();
    if (status === 401) return Date.now() - start;
    assert.equal(status, 200, 'the credential is either still accepted or refused');
    if (Date.now() - start > ms) assert.fail(`still accepted after ${ms} ms`);
    await sleep(250);
  }
}

async function signIn(base: string, username: string, password: string) {
  return new Client(base).post('/login', { username, password });
}

describe('scot command line (SQLite)', { timeout: 180_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: Served | undefined;
  let port: number;
  let base: string;
  let adminPassword: string;
  let adminKey: string;

  before(async () => {
    dataDir = tempDir('scot-cli-');
    port = await freePort();
    // No SCOT_ADMIN_PASSWORD: the first start must generate one and print it.
    env = userEnv({ SCOT_DATA_DIR: dataDir, SCOT_PORT: String(port), SCOT_HOST: '127.0.0.1' });
    server = new Served(env);
  });

  after(async () => {
    try {
      await server?.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('serve prints its URL and a generated admin password that signs in', async () => {
    base = (await server!.waitFor(/SCOT is listening on (\S+)/))[1];
    assert.equal(base, `http://127.0.0.1:${port}/scot/api/v2`);
    adminPassword = (await server!.waitFor(/created user "admin" with password: (\S+)/))[1];
    assert.ok(adminPassword.length >= 16, 'a generated password is long');
    assert.ok(fs.existsSync(path.join(dataDir, 'scot.sqlite')), 'the database lives in SCOT_DATA_DIR');

    assert.deepEqual(expectStatus(await new Client(base).get('/health'), 200), { status: 'ok' });
    expectStatus(await signIn(base, 'admin', adminPassword), 200);
    expectError(await signIn(base, 'admin', 'not-the-password'), 401);
  });

  it('apikey create prints the key alone on the last line, and the key works', async () => {
    const stdout = await scotOk(env, ['apikey', 'create', '--user', 'admin', '--name', 'x']);
    adminKey = stdout.trimEnd().split('\n').at(-1)!;
    assert.match(adminKey, /^scot_[A-Za-z0-9_-]{20,}$/);
    const me = expectStatus(await new Client(base, { key: adminKey }).get('/whoami'), 200);
    assert.deepEqual([me.username, me.admin], ['admin', true]);
    const listed = (await scotOk(env, ['apikey', 'list']))
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.ok(
      listed.some(
        ([, user, name, prefix, state]) =>
          user === 'admin' && name === 'x' && adminKey.startsWith(prefix.replace('…', '')) && state === 'active',
      ),
    );
  });

  it('serve flairs and indexes on its background thread: a posted indicator is flaired, linked and found', async () => {
    const admin = new Client(base, { key: adminKey });
    const posted = expectStatus(
      await admin.post('/alertgroup', { subject: 'thread check', data: [{ ip: '10.1.2[.]3', note: 'beacon' }] }),
      201,
    );
    const alertId = posted.alerts[0];
    let alert = expectStatus(await admin.get(`/alert/${alertId}`), 200);
    for (let i = 0; i < 200 && alert.flair !== 'done'; i++) {
      await sleep(50);
      alert = expectStatus(await admin.get(`/alert/${alertId}`), 200);
    }
    assert.equal(alert.flair, 'done', 'flaired within 10 s');
    const entities = expectStatus(await admin.get(`/alert/${alertId}/entity`), 200).records;
    assert.equal(entities['10.1.2.3']?.type, 'ipaddr');
    let hits: { type: string; id: number }[] = [];
    for (let i = 0; i < 200 && !hits.some((h) => h.type === 'alert' && h.id === alertId); i++) {
      hits = expectStatus(await admin.get('/search?q=10.1.2.3'), 200).records;
      if (!hits.some((h) => h.type === 'alert' && h.id === alertId)) await sleep(50);
    }
    assert.ok(
      hits.some((h) => h.type === 'alert' && h.id === alertId),
      'the search index has the alert',
    );
    assert.doesNotMatch(server!.stderr, /background thread/, 'the background thread ran: nothing fell back to the main thread');
  });

  it('user add reads the password from stdin; user list shows the user', async () => {
    const stdout = await scotOk(env, ['user', 'add', 'bob', '--group', 'ir'], 'bob-password-1\n');
    assert.match(stdout, /created user bob/);
    const session = await signIn(base, 'bob', 'bob-password-1');
    expectStatus(session, 200);
    assert.deepEqual(session.body.groups, ['ir']);

    const users = (await scotOk(env, ['user', 'list']))
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.deepEqual(users.find(([name]) => name === 'bob')?.slice(0, 3), ['bob', 'active', 'ir']);
    assert.ok(
      users.some(([name, state, groups]) => name === 'admin' && state === 'active' && groups.split(',').includes('admin')),
    );
    assert.match(await scotFails(env, ['user', 'add', 'bob', '--group', 'ir'], 'bob-password-1\n'), /already exists/);
  });

  it('user passwd sets the password read from stdin and refuses a short one', async () => {
    await scotOk(env, ['user', 'passwd', 'bob'], 'bob-password-2\n');
    expectError(await signIn(base, 'bob', 'bob-password-1'), 401);
    expectStatus(await signIn(base, 'bob', 'bob-password-2'), 200);

    assert.match(await scotFails(env, ['user', 'passwd', 'bob'], 'short\n'), /at least 8/);
    assert.match(await scotFails(env, ['user', 'passwd', 'bob'], ''), /at least 8/);
    expectStatus(await signIn(base, 'bob', 'bob-password-2'), 200);
    expectError(await signIn(base, 'bob', ''), 401);
  });

  it('user disable and apikey revoke refuse at once for sign-in, and for keys within the cache time', async () => {
    const bobKey = (await scotOk(env, ['apikey', 'create', '--user', 'bob'])).trimEnd().split('\n').at(-1)!;
    const asBob = new Client(base, { key: bobKey });
    const asAdmin = new Client(base, { key: adminKey });
    // Used now, so that the server has both keys in its credential cache.
    expectStatus(await asBob.get('/whoami'), 200);
    expectStatus(await asAdmin.get('/whoami'), 200);

    assert.match(await scotOk(env, ['user', 'disable', 'bob']), /bob disabled/);
    expectError(await signIn(base, 'bob', 'bob-password-2'), 401);
    const keys = (await scotOk(env, ['apikey', 'list']))
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    const id = keys.find(([, user, name]) => user === 'admin' && name === 'x')![0];
    assert.match(await scotOk(env, ['apikey', 'revoke', id]), new RegExp(`API key ${id} revoked`));

    await Promise.all([
      refusedWithin(() => asBob.get('/whoami'), CREDENTIAL_CACHE_MS + 2_000),
      refusedWithin(() => asAdmin.get('/whoami'), CREDENTIAL_CACHE_MS + 2_000),
    ]);
    const users = (await scotOk(env, ['user', 'list']))
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.equal(users.find(([name]) => name === 'bob')?.[1], 'disabled');
    assert.match(await scotFails(env, ['apikey', 'revoke', id]), /already revoked/);
  });

  it('migrate reports the schema up to date', async () => {
    assert.match(await scotOk(env, ['migrate']), /schema is up to date/);
  });

  it('bad usage exits non-zero with a one-line message on stderr', async () => {
    const cases: [string[], RegExp, string?][] = [
      [['user', 'add'], /username/],
      [['apikey', 'revoke', 'abc'], /abc/],
      [['apikey', 'revoke', '999'], /999 not found/],
      [['apikey', 'create'], /--user/],
      [['apikey', 'create', '--user', 'nobody'], /nobody/],
      [['user', 'passwd', 'nobody'], /nobody/, 'long-enough-password\n'],
      [['no-such-command'], /no-such-command/],
    ];
    // Independent of one another: run side by side.
    const messages = await Promise.all(cases.map(([args, , stdin]) => scotFails(env, args, stdin)));
    cases.forEach(([args, expected], i) => {
      assert.match(messages[i], expected, `scot ${args.join(' ')}`);
    });
  });

  it('stops on SIGTERM, and a restart keeps the data without a new password', async () => {
    assert.deepEqual(await server!.stop(), { code: 0, signal: null });
    await assert.rejects(fetch(`${base}/health`), 'nothing listens after the stop');

    server = new Served(env);
    await server.waitFor(/SCOT is listening on/);
    expectStatus(await signIn(base, 'admin', adminPassword), 200);
    expectError(await signIn(base, 'bob', 'bob-password-2'), 401);
    assert.doesNotMatch(server.stdout, /password:/);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });
});

describe('scot command line: accounts made before the first start (SQLite)', { timeout: 180_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: Served | undefined;
  let base: string;

  before(async () => {
    dataDir = tempDir('scot-cli-admin-');
    env = userEnv({ SCOT_DATA_DIR: dataDir, SCOT_PORT: String(await freePort()), SCOT_HOST: '127.0.0.1' });
  });

  after(async () => {
    try {
      await server?.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a user added before the first serve does not keep serve from making the admin', async () => {
    await scotOk(env, ['user', 'add', 'detectotron', '--group', 'ir', '--no-password']);
    server = new Served({ ...env, SCOT_ADMIN_PASSWORD: 'first-admin-password' });
    base = (await server.waitFor(/SCOT is listening on (\S+)/))[1];
    await server.waitFor(/No enabled admin: created user "admin" with the password from SCOT_ADMIN_PASSWORD/);
    assert.deepEqual(expectStatus(await signIn(base, 'admin', 'first-admin-password'), 200).groups, ['admin', 'ir']);
  });

  it('user add --admin makes an admin', async () => {
    assert.match(
      await scotOk(env, ['user', 'add', 'carol', '--admin', '--group', 'ir'], 'carol-password-1\n'),
      /in groups: admin, ir/,
    );
    assert.deepEqual(expectStatus(await signIn(base, 'carol', 'carol-password-1'), 200).groups, ['admin', 'ir']);
  });

  it('user disable refuses to disable the last enabled admin', async () => {
    await scotOk(env, ['user', 'disable', 'admin']);
    assert.match(await scotFails(env, ['user', 'disable', 'carol']), /carol is the last enabled admin/);
    expectStatus(await signIn(base, 'carol', 'carol-password-1'), 200);
  });

  it('user reset-admin enables admin again with a password from stdin, SCOT_ADMIN_PASSWORD or generated', async () => {
    assert.match(await scotOk(env, ['user', 'reset-admin'], 'second-admin-password\n'), /user admin enabled/);
    expectError(await signIn(base, 'admin', 'first-admin-password'), 401);
    expectStatus(await signIn(base, 'admin', 'second-admin-password'), 200);

    await scotOk({ ...env, SCOT_ADMIN_PASSWORD: 'third-admin-password' }, ['user', 'reset-admin'], 'not-this-one-from-stdin\n');
    expectStatus(await signIn(base, 'admin', 'third-admin-password'), 200);

    const generated = /password \(shown only now\): (\S+)/.exec(await scotOk(env, ['user', 'reset-admin'], ''))?.[1];
    assert.ok(generated && generated.length >= 16, 'a generated password is printed');
    expectStatus(await signIn(base, 'admin', generated), 200);
    expectError(await signIn(base, 'admin', 'third-admin-password'), 401);
  });
});
