import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';

/**
 * The autonomous system (AS) an address is announced from, from the ASN table shipped in an npm package
 * (`@ip-location-db/asn`: RouteViews, RIR and DB-IP lite data, CC BY 4.0), so GeoIP tells the ASN offline. The table
 * is CSV ranges (`first,last,asn,organisation`, addresses as decimal numbers), no MMDB of it being published; it is
 * read once into sorted arrays and searched by bisection.
 */

const shipped = createRequire(import.meta.url);
/** The shipped IPv4 and IPv6 tables. */
export const SHIPPED_ASN_TABLES = {
  ipv4: shipped.resolve('@ip-location-db/asn/asn-ipv4-num.csv'),
  ipv6: shipped.resolve('@ip-location-db/asn/asn-ipv6-num.csv'),
};

/** What the table says of an address. */
export interface AsnRecord {
  autonomous_system_number: number;
  autonomous_system_organization: string;
}

/** One family's ranges, sorted and disjoint: parallel arrays, an organisation name stored once however many ranges. */
interface Ranges<N> {
  first: N[];
  last: N[];
  asn: number[];
  organisation: string[];
}

/** The fields of one CSV line: the organisation may be quoted (`"Cloudflare, Inc."`, `""` for a quote inside). */
function fieldsOf(line: string): [string, string, string, string] | undefined {
  const first = line.indexOf(',');
  const second = line.indexOf(',', first + 1);
  const third = line.indexOf(',', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  let name = line.slice(third + 1);
  if (name.startsWith('"')) name = name.slice(1, name.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
  return [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1, third), name];
}

/** Reads one family's table, numbers parsed by `number` (IPv4 fits a double; IPv6 needs a bigint). */
async function readRanges<N>(file: string, number: (text: string) => N): Promise<Ranges<N>> {
  const ranges: Ranges<N> = { first: [], last: [], asn: [], organisation: [] };
  const names = new Map<string, string>();
  for (const line of (await fs.readFile(file, 'utf8')).split('\n')) {
    const fields = fieldsOf(line.trimEnd());
    if (!fields) continue;
    const [first, last, asn, name] = fields;
    ranges.first.push(number(first));
    ranges.last.push(number(last));
    ranges.asn.push(Number(asn));
    if (!names.has(name)) names.set(name, name);
    ranges.organisation.push(names.get(name)!);
  }
  return ranges;
}

/** The record of the range holding `address`, if any (the ranges are sorted by their first address). */
function recordIn<N extends number | bigint>(ranges: Ranges<N>, address: N): AsnRecord | null {
  let low = 0;
  let high = ranges.first.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (ranges.first[middle] > address) high = middle - 1;
    else if (ranges.last[middle] < address) low = middle + 1;
    else return { autonomous_system_number: ranges.asn[middle], autonomous_system_organization: ranges.organisation[middle] };
  }
  return null;
}

/** An address as the number the table writes it as. */
function numberOf(address: ipaddr.IPv4 | ipaddr.IPv6): number | bigint {
  if (address.kind() === 'ipv4') return (address as ipaddr.IPv4).octets.reduce((n, octet) => n * 256 + octet, 0);
  return (address as ipaddr.IPv6).parts.reduce((n, part) => (n << 16n) | BigInt(part), 0n);
}

/** Looks addresses up in the shipped ASN table; each family's table is read on its first lookup. */
export class AsnTable {
  private ipv4?: Promise<Ranges<number>>;
  private ipv6?: Promise<Ranges<bigint>>;

  constructor(private readonly files = SHIPPED_ASN_TABLES) {}

  /** The AS announcing `value` (an IPv4 or IPv6 address), or null when the table has none. */
  async get(value: string): Promise<AsnRecord | null> {
    if (!ipaddr.isValid(value)) return null;
    let address = ipaddr.parse(value);
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
      address = (address as ipaddr.IPv6).toIPv4Address();
    }
    const number = numberOf(address);
    if (typeof number === 'number') {
      this.ipv4 ??= readRanges(this.files.ipv4, Number);
      return recordIn(await this.ipv4, number);
    }
    this.ipv6 ??= readRanges(this.files.ipv6, BigInt);
    return recordIn(await this.ipv6, number);
  }
}
