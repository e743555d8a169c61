/** Every built-in entity type, by SCOT's name for it. */
export const ENTITY_TYPES = [
  'ipaddr',
  'ipv6',
  'cidr',
  'domain',
  'email',
  'url',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'message_id',
  'file',
  'cve',
  'uuid1',
  'clsid',
  'winregistry',
  'jarm_hash',
] as const;

/** A built-in entity type. */
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Where an IP address or CIDR block lies, as ipaddr.js names it, with its `unicast` called `public`. */
export type IpRange =
  | 'public'
  | 'private'
  | 'loopback'
  | 'reserved'
  | 'linkLocal'
  | 'multicast'
  | 'carrierGradeNat'
  | 'broadcast'
  | 'unspecified'
  | 'uniqueLocal'
  | 'ipv4Mapped'
  | 'rfc6145'
  | 'rfc6052'
  | '6to4'
  | 'teredo'
  | 'benchmarking'
  | 'amt'
  | 'as112'
  | 'orchid2'
  | 'droneRemoteIdProtocolEntityTags'
  | 'as112v6';

/** One entity found in a text: its normalized value and where it was written (UTF-16 indexes, end exclusive). */
export interface EntityMatch {
  /** A built-in type, or an admin-defined one. */
  type: EntityType | (string & {});
  value: string;
  start: number;
  end: number;
  /** Only for IP addresses and CIDR blocks. */
  range?: IpRange;
}
