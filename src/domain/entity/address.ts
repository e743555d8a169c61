import ipaddr from 'ipaddr.js';
import type { IpRange } from './type.js';

/**
 * IP addresses as extraction reads them: the written IPv4 forms analysts mean, and the range an address lies in.
 * The ranges are ipaddr.js's own table (`SpecialRanges`), read once into plain numbers, so classifying an address
 * costs a few integer comparisons instead of building and matching ipaddr.js objects, with the same answer.
 */

/** One block of ipaddr.js's table: an address as 16-bit parts (IPv4: two), its prefix length, and its range. */
interface Block {
  parts: number[];
  prefix: number;
  range: IpRange;
}

type RangeTable = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4 | ipaddr.IPv6, number][]>;

/** The blocks of a `SpecialRanges` table, in the order ipaddr.js's `subnetMatch` tries them (the first match wins). */
function blocksOf(table: RangeTable): Block[] {
  const blocks: Block[] = [];
  for (const [name, entry] of Object.entries(table)) {
    const subnets = Array.isArray(entry[0]) ? (entry as [ipaddr.IPv4 | ipaddr.IPv6, number][]) : [entry as [ipaddr.IPv4, number]];
    for (const [address, prefix] of subnets) {
      const parts = address.kind() === 'ipv4' ? ipaddr.IPv6.parse(`::${address}`).parts.slice(6) : (address as ipaddr.IPv6).parts;
      blocks.push({ parts, prefix, range: name === 'unicast' ? 'public' : (name as IpRange) });
    }
  }
  return blocks;
}

/** ipaddr.js keeps its table on each class's prototype, untyped. */
const tableOf = (prototype: object) => (prototype as { SpecialRanges: RangeTable }).SpecialRanges;
const IPV4_BLOCKS = blocksOf(tableOf(ipaddr.IPv4.prototype));
const IPV6_BLOCKS = blocksOf(tableOf(ipaddr.IPv6.prototype));

/** Whether the first `prefix` bits of `parts` are those of `block`. */
function inBlock(parts: ArrayLike<number>, block: Block): boolean {
  let bits = block.prefix;
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((parts[i] & mask) !== (block.parts[i] & mask)) return false;
  }
  return true;
}

/** The range of an address given as 16-bit parts, as ipaddr.js's `range()` names it, its `unicast` called `public`. */
function rangeIn(parts: ArrayLike<number>, blocks: Block[]): IpRange {
  for (const block of blocks) if (inBlock(parts, block)) return block.range;
  return 'public';
}

/**
 * The IPv4 blocks as 32-bit masks and networks, in the same order: an address is tested against each with one AND,
 * where the 16-bit parts take a loop a block.
 */
const IPV4_MASKS = IPV4_BLOCKS.map(({ parts, prefix, range }) => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { mask, network: (((parts[0] << 16) | parts[1]) & mask) >>> 0, range };
});

/** The range of the IPv4 address whose value (as an unsigned 32-bit number) is `address`. */
export function ipv4Range(address: number): IpRange {
  for (const { mask, network, range } of IPV4_MASKS) if ((address & mask) >>> 0 === network) return range;
  return 'public';
}

/** The range of an IPv6 address. */
export function ipv6Range(address: ipaddr.IPv6): IpRange {
  return rangeIn(address.parts, IPV6_BLOCKS);
}

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * The IPv4 address `written` names, as an unsigned 32-bit number, or -1. Only four decimal numbers without leading
 * zeros count: the form analysts mean (not `01.2.3.4`, `0x7f.1`); written so, it is already its normal form.
 */
export function ipv4Of(written: string): number {
  let address = 0;
  let octets = 0;
  let i = 0;
  while (i < written.length) {
    const first = written.charCodeAt(i);
    if (first < ZERO || first > NINE) return -1;
    let octet = first - ZERO;
    let digits = 1;
    for (i++; i < written.length; i++, digits++) {
      const code = written.charCodeAt(i);
      if (code < ZERO || code > NINE) break;
      // A leading zero, a fourth digit, or a value past 255 is not an octet.
      if (first === ZERO || digits === 3) return -1;
      octet = octet * 10 + code - ZERO;
    }
    if (octet > 255) return -1;
    address = address * 256 + octet;
    octets++;
    if (i === written.length) break;
    if (written.charCodeAt(i) !== DOT || octets === 4 || i === written.length - 1) return -1;
    i++;
  }
  return octets === 4 ? address : -1;
}
