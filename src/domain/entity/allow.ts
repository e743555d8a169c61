import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import { badInput } from '../error.js';
import type { EntityMatch } from './type.js';

/** What an allow-list entry covers: one value, an address block, or a domain and all its subdomains. */
export type AllowKind = 'value' | 'cidr' | 'domain';

/** One allow-list entry as stored: the normalized value and what it covers. */
export interface Allowed {
  value: string;
  kind: AllowKind;
}

/** The longest allow-list entry: longer than any domain name or address. */
const MAX_ALLOWED_LENGTH = 300;

/** Reads an allow-list entry the way the extractor normalizes values: `10.0.0.0/8` a block, `example.org` a domain. */
export function allowedOf(raw: string): Allowed {
  const value = raw.trim().toLowerCase();
  if (value.length === 0 || value.length > MAX_ALLOWED_LENGTH)
    throw badInput('value', `value must be 1 to ${MAX_ALLOWED_LENGTH} characters`);
  if (value.includes('/')) {
    if (!ipaddr.isValidCIDR(value)) throw badInput('value', `"${raw}" is not a CIDR block such as 10.0.0.0/8`);
    const [address, bits] = ipaddr.parseCIDR(value);
    return { value: `${address.toString()}/${bits}`, kind: 'cidr' };
  }
  const domain = parseDomain(value);
  if (!domain.isIp && domain.domain !== null && domain.hostname === value) return { value, kind: 'domain' };
  return { value, kind: 'value' };
}

/** The host an entity names, when it names one: a domain itself, an e-mail address's or a URL's. */
function hostOf(match: EntityMatch): string | undefined {
  if (match.type === 'domain') return match.value;
  if (match.type === 'email') return match.value.slice(match.value.lastIndexOf('@') + 1);
  if (match.type === 'url') return parseDomain(match.value).hostname ?? undefined;
  return undefined;
}

/** The extractor's `skip` for an allow-list: true for a match the list covers. */
export function allowFilter(entries: readonly Allowed[]): ((match: EntityMatch) => boolean) | undefined {
  if (entries.length === 0) return undefined;
  const values = new Set(entries.filter((e) => e.kind === 'value' || e.kind === 'domain').map((e) => e.value));
  const domains = entries.filter((e) => e.kind === 'domain').map((e) => e.value);
  const blocks = entries.filter((e) => e.kind === 'cidr').map((e) => ipaddr.parseCIDR(e.value));
  return (match) => {
    if (values.has(match.value.toLowerCase())) return true;
    if ((match.type === 'ipaddr' || match.type === 'ipv6') && ipaddr.isValid(match.value)) {
      const address = ipaddr.process(match.value);
      if (blocks.some(([block, bits]) => block.kind() === address.kind() && address.match(block, bits))) return true;
    }
    const host = hostOf(match)?.toLowerCase();
    return host !== undefined && domains.some((d) => host === d || host.endsWith(`.${d}`));
  };
}
