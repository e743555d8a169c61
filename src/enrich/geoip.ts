import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import maxmind, { type Reader, type Response } from 'maxmind';
import type { Enricher } from './enricher.js';

/** The country database shipped in an npm package (CC0, from RIR and WHOIS data), so GeoIP works offline. */
const SHIPPED_DB = createRequire(import.meta.url).resolve(
  '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
);

/** What GeoIP tells of an address; only what the database holds. */
export interface GeoipResult {
  country?: string;
  city?: string;
  asn?: number;
  as_org?: string;
}

/** Fields in both layouts the enricher reads: MaxMind's (GeoLite2, GeoIP2) and ip-location-db's flat one. */
interface AnyRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  country_code?: string;
  city?: { names?: { en?: string } } | string;
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/** The GeoIP fields of one database record. */
export function geoipOf(record: AnyRecord): GeoipResult {
  const result: GeoipResult = {};
  const country = record.country?.iso_code ?? record.country_code ?? record.registered_country?.iso_code;
  const city = typeof record.city === 'string' ? record.city : record.city?.names?.en;
  if (country) result.country = country;
  if (city) result.city = city;
  if (record.autonomous_system_number !== undefined) result.asn = record.autonomous_system_number;
  if (record.autonomous_system_organization) result.as_org = record.autonomous_system_organization;
  return result;
}

/** Whether an address is routed on the Internet: GeoIP databases know nothing of private, loopback or reserved ones. */
function isPublic(value: string): boolean {
  try {
    return ipaddr.process(value).range() === 'unicast';
  } catch {
    return true;
  }
}

/** The built-in GeoIP enricher over `dbPath` (the shipped country database when absent); the file is opened once, on first use. */
export function geoipEnricher(dbPath = SHIPPED_DB): Enricher {
  let reader: Promise<Reader<Response>> | undefined;
  return {
    name: 'geoip',
    types: ['ipaddr', 'ipv6'],
    async enrich(entity) {
      reader ??= maxmind.open<Response>(dbPath, { watchForUpdates: false });
      const record = (await reader).get(entity.value) as AnyRecord | null;
      const result = record ? geoipOf(record) : {};
      return Object.keys(result).length > 0 ? result : null;
    },
    summary: (result) => (result as GeoipResult).country,
    wants: (entity) => isPublic(entity.value),
  };
}
