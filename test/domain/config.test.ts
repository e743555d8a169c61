import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-config-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A config file holding `content` (an object is written as JSON). */
function configFile(content: unknown): string {
  const file = path.join(dir, `config-${++files}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** loadConfig with only these settings: an empty config file keeps the working folder's out. */
const load = (env: Record<string, string> = {}, file: unknown = {}) => loadConfig({ SCOT_CONFIG: configFile(file), ...env });

const refuses = (env: Record<string, string>, file: unknown, pattern: RegExp) =>
  assert.throws(
    () => load(env, file),
    (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
    `${JSON.stringify({ env, file })}`,
  );

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = load();
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.equal(config.databaseUrl, path.join(path.resolve('./data'), 'scot.sqlite'));
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.adminPassword, undefined);
    assert.deepEqual(config.defaultGroups, { read: ['ir'], modify: ['ir'] });
    assert.equal(config.adminGroup, 'admin');
    assert.equal(config.sessionHours, 168);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.trustProxy, false);
    assert.equal(config.sqliteSync, 'full');
    assert.equal(config.sqliteCacheMiB, 16);
    assert.equal(config.sqliteReadThreads, 2);
  });

  it('reads the file', () => {
    const mmdb = configFile('stands for an MMDB file');
    const config = load(
      {},
      {
        data_dir: '/srv/scot',
        database_url: 'postgres://scot@db/scot',
        port: 9000,
        host: '127.0.0.1',
        admin_password: 'from-file',
        default_groups: { read: ['ir', 'soc'], modify: ['ir'] },
        admin_group: 'wheel',
        session_hours: 12,
        log_level: 'debug',
        trust_proxy: true,
        sqlite_sync: 'normal',
        sqlite_cache_mb: 64,
        sqlite_read_threads: 0,
        plugin_dir: dir,
        enrichers: ['geoip', 'reverse-dns'],
        geoip_db: mmdb,
        consumers: ['flair'],
        list_count_bound: 250,
      },
    );
    assert.deepEqual(config, {
      dataDir: '/srv/scot',
      databaseUrl: 'postgres://scot@db/scot',
      port: 9000,
      host: '127.0.0.1',
      adminPassword: 'from-file',
      defaultGroups: { read: ['ir', 'soc'], modify: ['ir'] },
      adminGroup: 'wheel',
      sessionHours: 12,
      logLevel: 'debug',
      trustProxy: true,
      sqliteSync: 'normal',
      sqliteCacheMiB: 64,
      sqliteReadThreads: 0,
      pluginDir: dir,
      enrichers: ['geoip', 'reverse-dns'],
      geoipDb: [mmdb],
      consumers: ['flair'],
      listCountBound: 250,
    });
  });

  it('lets the environment win over the file', () => {
    const file = {
      port: 9000,
      host: '127.0.0.1',
      data_dir: '/from/file',
      default_groups: { read: ['a'], modify: ['a'] },
      trust_proxy: true,
    };
    const config = load(
      { SCOT_PORT: '9100', SCOT_DATA_DIR: '/from/env', SCOT_DEFAULT_GROUPS: 'ir, soc ,', SCOT_TRUST_PROXY: 'false' },
      file,
    );
    assert.equal(config.port, 9100);
    assert.equal(config.dataDir, '/from/env');
    assert.equal(config.databaseUrl, path.join('/from/env', 'scot.sqlite'), 'the database follows the data folder');
    assert.deepEqual(config.defaultGroups, { read: ['ir', 'soc'], modify: ['ir', 'soc'] });
    assert.equal(config.trustProxy, false);
    assert.equal(config.host, '127.0.0.1', 'settings the environment leaves alone come from the file');
  });

  it('treats an empty environment variable as unset, not as a reason to drop the file value', () => {
    const config = load(
      { SCOT_PORT: '', SCOT_DATABASE_URL: '', SCOT_ADMIN_PASSWORD: '' },
      { port: 9000, database_url: 'postgres://db/scot', admin_password: 'secret' },
    );
    assert.equal(config.port, 9000);
    assert.equal(config.databaseUrl, 'postgres://db/scot');
    assert.equal(config.adminPassword, 'secret');
  });

  it('accepts SQLite paths and postgres URLs', () => {
    assert.equal(load({ SCOT_DATABASE_URL: 'sqlite:///var/scot.db' }).databaseUrl, 'sqlite:///var/scot.db');
    assert.equal(load({ SCOT_DATABASE_URL: 'postgresql://u:p@h:5433/d' }).databaseUrl, 'postgresql://u:p@h:5433/d');
    assert.equal(load({ SCOT_DATABASE_URL: '/tmp/x.sqlite' }).databaseUrl, '/tmp/x.sqlite');
    assert.equal(load({ SCOT_TRUST_PROXY: '1' }).trustProxy, true);
  });

  it('runs every change-log consumer unless told which, by list or by comma-separated names', () => {
    assert.deepEqual(load({}).consumers, ['flair', 'search']);
    assert.deepEqual(load({ SCOT_CONSUMERS: 'search, flair' }).consumers, ['search', 'flair']);
    assert.deepEqual(load({ SCOT_CONSUMERS: 'none' }).consumers, []);
    refuses({ SCOT_CONSUMERS: 'flair,webhook' }, {}, /^consumers \(SCOT_CONSUMERS\) must list flair, search/);
  });

  it('refuses bad values, naming the setting', () => {
    refuses({ SCOT_PORT: 'http' }, {}, /^port \(SCOT_PORT\)/);
    refuses({ SCOT_PORT: '65536' }, {}, /^port/);
    refuses({ SCOT_PORT: '80.5' }, {}, /^port/);
    refuses({}, { port: -1 }, /^port/);
    refuses({ SCOT_SESSION_HOURS: '0' }, {}, /^session_hours/);
    refuses({ SCOT_SESSION_HOURS: String(24 * 366) }, {}, /^session_hours/);
    refuses(
      { SCOT_SQLITE_CACHE_MB: '0' },
      {},
      /^sqlite_cache_mb \(SCOT_SQLITE_CACHE_MB\) must be a whole number from 1 to 65536/,
    );
    refuses({}, { sqlite_cache_mb: '64 MiB' }, /^sqlite_cache_mb/);
    refuses(
      {},
      { sqlite_read_threads: 17 },
      /^sqlite_read_threads \(SCOT_SQLITE_READ_THREADS\) must be a whole number from 0 to 16/,
    );
    refuses({ SCOT_DATABASE_URL: 'mysql://db/scot' }, {}, /^database_url/);
    refuses({}, { host: 8080 }, /^host must be a string/);
    refuses({}, { default_groups: { read: ['ir'] } }, /^default_groups/);
    refuses({}, { default_groups: { read: ['ir'], modify: [1] } }, /^default_groups/);
    refuses({}, { default_groups: 7 }, /^default_groups/);
  });

  it('refuses typos with one line naming the setting and what it accepts', () => {
    refuses(
      { SCOT_LOG_LEVEL: 'verbose' },
      {},
      /^log_level \(SCOT_LOG_LEVEL\) must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"$/,
    );
    refuses({}, { log_level: 'INFO' }, /^log_level/);
    refuses({ SCOT_SQLITE_SYNC: 'off' }, {}, /^sqlite_sync \(SCOT_SQLITE_SYNC\) must be one of full, normal, got "off"$/);
    for (const empty of ['', ' ', ',', ' , ']) {
      refuses({ SCOT_DEFAULT_GROUPS: empty }, {}, /^default_groups \(SCOT_DEFAULT_GROUPS\) names no group/);
    }
    refuses({}, { default_groups: '' }, /^default_groups .* names no group/);
    refuses({}, { default_groups: { read: [], modify: ['ir'] } }, /^default_groups .* names no group/);
    for (const env of [{ SCOT_LOG_LEVEL: 'verbose' }, { SCOT_DEFAULT_GROUPS: '' }] as Record<string, string>[]) {
      assert.throws(
        () => load(env),
        (err: Error) => !err.message.includes('\n'),
        'one line',
      );
    }
  });

  it('syncs SQLite fully unless told that losing the last commits to a power cut is acceptable', () => {
    assert.equal(load().sqliteSync, 'full');
    assert.equal(load({ SCOT_SQLITE_SYNC: 'normal' }).sqliteSync, 'normal');
    assert.equal(load({}, { sqlite_sync: 'normal' }).sqliteSync, 'normal');
  });

  it('refuses a bad config file', () => {
    refuses({}, '{not json', /cannot read config file/);
    refuses({}, '[1, 2]', /must hold a JSON object/);
    refuses({}, 'null', /must hold a JSON object/);
    refuses({}, { prot: 8080 }, /unknown setting "prot"/);
    assert.throws(() => loadConfig({ SCOT_CONFIG: path.join(dir, 'missing.json') }), ConfigError);
  });
});
