import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import { ipv4Of, ipv4Range, ipv6Range } from './address.js';
import { refang } from './defang.js';
import { readMarkup } from './markup.js';
import type { EntityMatch } from './type.js';

export { ENTITY_TYPES, type EntityMatch, type EntityType, type IpRange } from './type.js';

/** An admin-defined entity type: its name, and how to find its values in a text. */
export interface ExtraEntityType {
  type: string;
  find(text: string): Iterable<{ start: number; end: number; value: string }>;
}

/** What a caller adds to extraction: its own entity types, and an allow-list of matches to leave out. */
export interface ExtractOptions {
  extra?: ExtraEntityType[];
  /** True for a match that is known harmless (the team's own domain, a scanner's IP) and must not be an entity. */
  skip?(match: EntityMatch): boolean;
}

/**
 * File-name extensions that make a dotted name a `file`. Some are also top-level domains (`.zip`, `.py`, `.sh`):
 * written bare, such a name is far more often a file; in a URL or an e-mail address its domain is still found.
 */
const FILE_EXTENSIONS = new Set([
  '7z',
  'apk',
  'app',
  'asp',
  'aspx',
  'bat',
  'bin',
  'bz2',
  'cab',
  'chm',
  'class',
  'cmd',
  'cpl',
  'csv',
  'dat',
  'deb',
  'dll',
  'dmg',
  'doc',
  'docm',
  'docx',
  'dot',
  'dotm',
  'drv',
  'elf',
  'eml',
  'exe',
  'gif',
  'gz',
  'hta',
  'htm',
  'html',
  'img',
  'inf',
  'ini',
  'iso',
  'jar',
  'jpeg',
  'jpg',
  'js',
  'jse',
  'json',
  'jsp',
  'ko',
  'lnk',
  'log',
  'macho',
  'msg',
  'msi',
  'msp',
  'ocx',
  'one',
  'pdf',
  'php',
  'pif',
  'pl',
  'png',
  'pot',
  'potm',
  'pps',
  'ppsm',
  'ppt',
  'pptm',
  'pptx',
  'ps1',
  'psm1',
  'py',
  'pyc',
  'rar',
  'reg',
  'rpm',
  'rtf',
  'scr',
  'sh',
  'so',
  'swf',
  'sys',
  'tar',
  'tgz',
  'tmp',
  'txt',
  'vb',
  'vbe',
  'vbs',
  'vhd',
  'vhdx',
  'wsf',
  'wsh',
  'xla',
  'xlam',
  'xls',
  'xlsb',
  'xlsm',
  'xlsx',
  'xlt',
  'xltm',
  'xml',
  'xz',
  'zip',
]);

/**
 * A candidate at one position (the regex is sticky: `scan` says where to try it). Every repetition is either bounded
 * or separated by a literal character, so no input makes the engine backtrack more than linearly. An e-mail's local
 * part is taken whole (a look-ahead capture, then its back-reference), so a word without `@` costs one look.
 */
const candidateOf = (email: string) =>
  new RegExp(
    [
      String.raw`(?<![\w.@%+\-])(?:`,
      String.raw`((?:https?|ftps?|sftp)://[^\s<>"'\x60{}|\\^\[\]]+)`,
      email,
      String.raw`|(cve-\d{4}-\d{4,7})(?![\w\-])`,
      String.raw`|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w\-])`,
      String.raw`|([0-9a-f]{32,128})(?![\w@\-]|\.\w)`,
      String.raw`|(?<!:)((?:[0-9a-f]{0,4}:){2,8}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{1,4})?(?:/\d{1,3})?)(?![\w:]|\.\w)`,
      String.raw`|((?:hkey_[a-z_]+|hklm|hkcu|hkcr|hku|hkcc)(?:\\[^\\\s"<>|]+(?: [^\\\s"<>|]+)*(?=\\))*\\[^\\\s"<>|]*)`,
      String.raw`|([\w\-]+(?:\.[\w\-]+)+)(?:/(\d{1,3})(?![\w.]))?`,
      ')',
      String.raw`|(<[^\s<>@]{1,256}@[^\s<>@]{1,256}>)`,
      String.raw`|(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\})`,
    ].join(''),
    'iy',
  );
const CANDIDATE = candidateOf(String.raw`|((?=([\w.%+\-]+))\3@[\w\-]+(?:\.[\w\-]+)+)`);
/**
 * The same, for a word without `@`, where no e-mail address can start: its alternative never matches (and costs
 * nothing), its two groups kept so that the groups number alike.
 */
const CANDIDATE_WITHOUT_EMAIL = candidateOf('|(?!)()()');

/**
 * A set of ASCII characters as a table by UTF-16 code: one load tells a character, where a chain of comparisons
 * would branch on each.
 */
function tableOf(characters: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of characters) table[c.charCodeAt(0)] = 1;
  return table;
}
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** The characters of a word, as the candidate regex's look-behind sees them. */
const WORD = tableOf(`${ALPHANUMERIC}_%+.@-`);
/** The characters of a dotted name's labels: letters, digits, `_`, `-` (the regex's `[\w\-]`). */
const LABEL = tableOf(`${ALPHANUMERIC}_-`);
const HEX = tableOf('0123456789abcdefABCDEF');
const isWord = (code: number) => code < 128 && WORD[code] === 1;
const LESS_THAN = 60;
const BRACE = 123;
const COLON = 58;
const BACKSLASH = 92;

/**
 * What puts a candidate near: `.` or `@` in a word; `-` before a digit (a CVE, and a version-1 UUID, whose third
 * group starts with 1); `:` before `/`, `:` or a hex digit (a URL scheme, IPv6); `\` (a registry hive); `<` (a
 * Message-ID); `{` (a CLSID); a digit with seven more hex digits (a hash: one of 32 or more hex digits with no digit
 * among its first 25 is too rare to matter). The regex engine finds these far faster than a loop over the
 * characters could, and prose (`well-known`, `Note: ...`) sets off none of them.
 */
const TRIGGER = /[.@\\{<]|-\d|:[/:0-9a-f]|\d[0-9a-f]{7}/gi;

const DOT = 46;
const AT = 64;
const DASH = 45;

/**
 * Where the trigger `TRIGGER.test` just matched starts, from where it ended. `test` builds no match object, and the
 * trigger is told by its last two characters: one of `.@\\{<` alone, a `-` or `:` and the character after it, else
 * eight hex digits.
 */
function triggerStart(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  if (last === DOT || last === AT || last === BACKSLASH || last === BRACE || last === LESS_THAN) return end - 1;
  const before = text.charCodeAt(end - 2);
  return before === DASH || before === COLON ? end - 2 : end - 8;
}

/**
 * Tries the candidate regex at `position`, adds the entities it stands for to `found`, and says where scanning goes
 * on: past the candidate, or at `position` when it held none, as a rejected candidate may still hold an entity that
 * starts later inside it (`de:ad:1.2.3.4`).
 */
function tryCandidate(text: string, position: number, found: EntityMatch[], candidate: RegExp): number {
  // Shared regexes: extraction is synchronous, so no other pass can move their lastIndex meanwhile.
  candidate.lastIndex = position;
  const match = candidate.exec(text);
  if (match === null) return position;
  const entities = entitiesOf(text, match);
  for (const entity of entities) found.push(entity);
  return entities.length > 0 ? candidate.lastIndex : position;
}

const isHex = (code: number) => code < 128 && HEX[code] === 1;

/** Whether a CVE id (`cve-`) or a UUID (eight hex digits, then `-`) may start at `start`. */
function startsCveOrUuid(text: string, start: number): boolean {
  const cve = (text.charCodeAt(start) | 32) === 99 && (text.charCodeAt(start + 1) | 32) === 118;
  if (cve && (text.charCodeAt(start + 2) | 32) === 101 && text.charCodeAt(start + 3) === DASH) return true;
  for (let i = start; i < start + 8; i++) if (!isHex(text.charCodeAt(i))) return false;
  return text.charCodeAt(start + 8) === DASH;
}

/**
 * How many hex digits the word at `start` begins with, when those from its trigger `at` run to `hexEnd`: the scan
 * has walked them already, so only the ones before the trigger are looked at again.
 */
function hexAt(text: string, start: number, at: number, hexEnd: number): number {
  let i = start;
  while (i < at && isHex(text.charCodeAt(i))) i++;
  return (i < at ? i : hexEnd) - start;
}

const isLabel = (code: number) => code < 128 && LABEL[code] === 1;

/**
 * `tryCandidate` for a word that holds no `@`, is not followed by `:` or `\`, and does not start with 32 hex
 * digits, a CVE id or a UUID: then only the dotted alternative of the candidate regex can match at `start`, and this
 * matches it by hand, as the regex would (the same look-behind, labels, and `/prefix`), without a match object.
 */
function tryDotted(text: string, start: number, found: EntityMatch[]): number {
  if (start > 0 && isWord(text.charCodeAt(start - 1))) return start;
  let at = start;
  while (isLabel(text.charCodeAt(at))) at++;
  if (at === start) return start;
  let end = -1;
  while (text.charCodeAt(at) === DOT && isLabel(text.charCodeAt(at + 1))) {
    for (at += 2; isLabel(text.charCodeAt(at)); at++);
    end = at;
  }
  if (end < 0) return start;
  // A block's prefix: one to three digits after `/`, then no word character or dot.
  let prefix: string | undefined;
  let matchEnd = end;
  if (text.charCodeAt(end) === SLASH_CODE) {
    let digits = end + 1;
    while (digits < end + 5 && isDigit(text.charCodeAt(digits))) digits++;
    const after = text.charCodeAt(digits);
    if (digits > end + 1 && digits <= end + 4 && !isRegexWord(after) && after !== DOT) {
      prefix = text.slice(end + 1, digits);
      matchEnd = digits;
    }
  }
  return dottedEntity(text, text.slice(start, end), prefix, start, found) ? matchEnd : start;
}

/**
 * `tryCandidate` for a word that starts with 32 or more hex digits (up to `end`), holds no `@`, is not followed by
 * `:` or `\`, and is no CVE id or UUID: then the candidate regex can match there only its hash alternative (the
 * others need a character that is not hex within the first 32, or a dot after the hex) or its dotted one. A run of
 * hex that ends the word, as a hash does, is matched by hand as the regex would (the same look-behind, length and
 * look-ahead), without a match object; anything else is left to the regex.
 */
function tryHash(text: string, start: number, end: number, found: EntityMatch[]): number {
  if (start > 0 && isWord(text.charCodeAt(start - 1))) return start;
  // The regex's look-ahead: no `\w`, `@` or `-` after the hex, nor a dot and a `\w`.
  const after = text.charCodeAt(end);
  const ended =
    !isRegexWord(after) && after !== AT && after !== DASH && !(after === DOT && isRegexWord(text.charCodeAt(end + 1)));
  if (end - start > 128 || !ended) return tryCandidate(text, start, found, CANDIDATE_WITHOUT_EMAIL);
  const type = HASH_BY_LENGTH[end - start];
  if (type === undefined) return start;
  found.push({ type, value: text.slice(start, end).toLowerCase(), start, end });
  return end;
}

const SLASH_CODE = 47;
/** The regex's `\w`: letters, digits, `_`. */
const isRegexWord = (code: number) => isLabel(code) && code !== DASH;
const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * The built-in entities of a (refanged) text, in order: the candidate regex is tried at each position worth it, left
 * to right: the start of the word around each trigger, or the trigger itself for `<`, `{` and `::`.
 */
function scan(text: string): EntityMatch[] {
  const found: EntityMatch[] = [];
  let from = 0;
  TRIGGER.lastIndex = 0;
  while (TRIGGER.test(text)) {
    const at = triggerStart(text, TRIGGER.lastIndex);
    const code = text.charCodeAt(at);
    // A word whose first mark is its last character (`dog.`, `well-`) is prose, not an indicator: the commonest
    // trigger, a sentence's full stop, is passed over before the word around it is walked.
    const following = text.charCodeAt(at + 1);
    if (isWord(code) && !isWord(following) && following !== COLON && following !== BACKSLASH) {
      from = at + 1;
      TRIGGER.lastIndex = from;
      continue;
    }
    // The word around the trigger, and whether it holds an `@` (else no e-mail address starts there) or a `-`.
    let email = false;
    let dash = false;
    let start = at;
    for (let c = text.charCodeAt(start - 1); start > from && isWord(c); c = text.charCodeAt(--start - 1)) {
      if (c === AT) email = true;
      else if (c === DASH) dash = true;
    }
    // Hex digits are neither: the run of them from the trigger (a hash's) is walked first, and kept for its length.
    let hexEnd = at;
    while (isHex(text.charCodeAt(hexEnd))) hexEnd++;
    let end = hexEnd;
    for (let c = text.charCodeAt(end); end < text.length && isWord(c); c = text.charCodeAt(++end)) {
      if (c === AT) email = true;
      else if (c === DASH) dash = true;
    }
    let next = at + 1;
    if (code === LESS_THAN || code === BRACE || (code === COLON && start === at && text.charCodeAt(at + 1) === COLON))
      next = tryCandidate(text, at, found, CANDIDATE);
    else if (start < at || isWord(code)) {
      const after = text.charCodeAt(end);
      if (email || (dash && startsCveOrUuid(text, start)) || after === COLON || after === BACKSLASH) {
        next = tryCandidate(text, start, found, email ? CANDIDATE : CANDIDATE_WITHOUT_EMAIL);
      } else {
        const hex = hexAt(text, start, at, hexEnd);
        next = hex >= 32 ? tryHash(text, start, start + hex, found) : tryDotted(text, start, found);
      }
    }
    from = Math.max(end, next, at + 1);
    TRIGGER.lastIndex = from;
  }
  return found;
}

/** Hex lengths that name a hash type; any other length of hex is not an entity. */
const HASH_BY_LENGTH: Record<number, EntityMatch['type']> = {
  32: 'md5',
  40: 'sha1',
  62: 'jarm_hash',
  64: 'sha256',
  128: 'sha512',
};

/** A dotted number just after these words is a version, not an address (`version 1.2.3.4`). */
const VERSION_BEFORE = /\b(?:ver|version|release|build|firmware|rev|revision)\.?\s*$/i;

/**
 * Whether a version word comes just before `start`. The regex runs only when the last character before the spaces
 * there is a letter, a dot or not ASCII: after `=`, `>` or a digit it cannot match.
 */
function afterVersionWord(text: string, start: number): boolean {
  let at = start - 1;
  while (at >= start - 12 && at >= 0 && isAsciiSpace(text.charCodeAt(at))) at--;
  const c = text.charCodeAt(at);
  if (at >= 0 && c < 128 && c !== DOT && !((c | 32) >= 97 && (c | 32) <= 122)) return false;
  return VERSION_BEFORE.test(text.slice(Math.max(0, start - 12), start));
}
const isAsciiSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** A word written with a capital first letter only: `Next`. */
const TITLE_CASE = /^[A-Z][a-z]+$/;

/** A `<...@...>` is a Message-ID only in a header that holds one; elsewhere it is an e-mail in angle brackets. */
const MESSAGE_ID_HEADER = /(?:message-id|in-reply-to|references)\s*:\s*(?:<[^<>\n]*>\s*)*$/i;

/** Characters a URL or registry key does not end with when written in prose. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', ')', '*']);

/** The name is a bare lower-case host, and addresses were taken before: tldts need not look for either. */
const BARE_HOST = { extractHostname: false, allowPrivateDomains: false, detectIp: false, mixedInputs: false } as const;

/** The domain `name` names, lower-cased, when it ends in a real public suffix (ICANN's part of the list). */
function domainOf(name: string): string | undefined {
  if (name.length > 253) return undefined;
  const lower = name.toLowerCase();
  const parsed = parseDomain(lower, BARE_HOST);
  return parsed.isIcann && parsed.domain !== null ? lower : undefined;
}

const OPEN_PARENTHESIS = 40;
const CLOSE_PARENTHESIS = 41;

/** `text` without the punctuation prose puts after it; a closing parenthesis stays when it closes one inside. */
function trimTrailing(text: string): string {
  let opened = 0;
  let closed = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === OPEN_PARENTHESIS) opened++;
    else if (code === CLOSE_PARENTHESIS) closed++;
  }
  let end = text.length;
  while (end > 0 && TRAILING.has(text[end - 1])) {
    if (text[end - 1] === ')') {
      if (opened >= closed) break;
      closed--;
    }
    end--;
  }
  return text.slice(0, end);
}

/** The entity a host (of a URL) names: an IPv4 address or a domain. */
function hostEntity(host: string, start: number): EntityMatch | undefined {
  const address = ipv4Of(host);
  if (address >= 0) return { type: 'ipaddr', value: host, start, end: start + host.length, range: ipv4Range(address) };
  const domain = domainOf(host);
  return domain ? { type: 'domain', value: domain, start, end: start + host.length } : undefined;
}

/** A URL and the domain or IP address it points at. */
function urlEntities(written: string, start: number): EntityMatch[] {
  const url = trimTrailing(written);
  const scheme = url.indexOf('://');
  const authorityStart = scheme + 3;
  const pathAt = url.slice(authorityStart).search(/[/?#]/);
  const authorityEnd = pathAt < 0 ? url.length : authorityStart + pathAt;
  const hostStart =
    url.lastIndexOf('@', authorityEnd - 1) >= authorityStart ? url.lastIndexOf('@', authorityEnd - 1) + 1 : authorityStart;
  const port = url.slice(hostStart, authorityEnd).search(/:\d*$/);
  const hostEnd = port < 0 ? authorityEnd : hostStart + port;
  const host = url.slice(hostStart, hostEnd);
  if (!/^[\w.-]+$/.test(host)) return [];
  const value = url.slice(0, scheme).toLowerCase() + url.slice(scheme, hostStart) + host.toLowerCase() + url.slice(hostEnd);
  const found: EntityMatch[] = [{ type: 'url', value, start, end: start + url.length }];
  const target = hostEntity(host, start + hostStart);
  if (target) found.push(target);
  return found;
}

/** An e-mail address and its domain. */
function emailEntities(written: string, start: number): EntityMatch[] {
  const at = written.lastIndexOf('@');
  // Dots before an address are prose (`...bob@example.com`); most addresses start without one.
  const local = written.charCodeAt(0) === DOT ? written.slice(0, at).replace(/^\.+/, '') : written.slice(0, at);
  const domain = domainOf(written.slice(at + 1));
  if (!domain || local.length === 0) return [];
  const localStart = start + at - local.length;
  return [
    { type: 'email', value: `${local.toLowerCase()}@${domain}`, start: localStart, end: start + written.length },
    { type: 'domain', value: domain, start: start + at + 1, end: start + written.length },
  ];
}

/** The IPv6 address `written` names, parsed once (ipaddr.js's `isValid` would parse it a second time). */
function ipv6Of(written: string): ipaddr.IPv6 | undefined {
  try {
    return ipaddr.IPv6.parse(written);
  } catch {
    return undefined;
  }
}

/** An IPv6 address or block, compressed the standard way (RFC 5952), when it is one. */
function ipv6Entities(written: string, start: number): EntityMatch[] {
  const slash = written.indexOf('/');
  const address = slash < 0 ? written : written.slice(0, slash);
  // `cafe::` or `be::ef` in code is more likely a C++ name than an address: ask for a digit or three groups.
  if (!/\d/.test(address) && address.split(':').filter(Boolean).length < 3) return [];
  const parsed = ipv6Of(address);
  if (!parsed) return [];
  // ipaddr.js's `isIPv4MappedAddress` is its `range()` once more: the range, read from the same table, tells it.
  const range = ipv6Range(parsed);
  const value = range === 'ipv4Mapped' ? `::ffff:${parsed.toIPv4Address().toString()}` : parsed.toRFC5952String();
  if (slash < 0) return [{ type: 'ipv6', value, start, end: start + written.length, range }];
  const prefix = written.slice(slash + 1);
  if (Number(prefix) > 128) return [];
  return [{ type: 'cidr', value: `${value}/${Number(prefix)}`, start, end: start + written.length, range }];
}

/** Whether `name` is only digits and dots: an address, or a version or number that is no entity. */
function digitsAndDots(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code !== DOT && (code < 48 || code > 57)) return false;
  }
  return true;
}

/**
 * A dotted name: an IPv4 address or block, a file name, a domain, or (a version, a number, a word) nothing. Adds
 * what it is to `found` (no array of its own: this runs for most entities) and says whether it was one.
 */
function dottedEntity(text: string, name: string, prefix: string | undefined, start: number, found: EntityMatch[]): boolean {
  const end = start + name.length;
  if (digitsAndDots(name)) {
    const address = ipv4Of(name);
    if (address < 0 || afterVersionWord(text, start)) return false;
    const range = ipv4Range(address);
    if (prefix !== undefined && Number(prefix) <= 32) {
      found.push({ type: 'cidr', value: `${name}/${Number(prefix)}`, start, end: end + 1 + prefix.length, range });
    } else {
      found.push({ type: 'ipaddr', value: name, start, end, range });
    }
    return true;
  }
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (FILE_EXTENSIONS.has(last.toLowerCase())) {
    found.push({ type: 'file', value: name, start, end });
    return true;
  }
  // Two sentences run together (`end.Next`) end in a capitalized word; a domain's suffix is not written so.
  if (TITLE_CASE.test(last)) return false;
  const domain = domainOf(name);
  if (domain) found.push({ type: 'domain', value: domain, start, end });
  return domain !== undefined;
}

/** The entities one candidate match stands for; none when it turns out not to be one. */
function entitiesOf(text: string, match: RegExpExecArray): EntityMatch[] {
  const start = match.index;
  // Indexed, not destructured: this runs once a candidate, and the dotted name, the commonest, is looked at first.
  const dotted = match[9];
  if (dotted !== undefined) {
    const found: EntityMatch[] = [];
    dottedEntity(text, dotted, match[10], start, found);
    return found;
  }
  const [, url, email, , cve, uuid, hex, ipv6, registry, , , messageId, clsid] = match;
  if (url !== undefined) return urlEntities(url, start);
  if (email !== undefined) return emailEntities(email, start);
  if (cve !== undefined) return [{ type: 'cve', value: cve.toUpperCase(), start, end: start + cve.length }];
  if (uuid !== undefined) {
    return uuid[14] === '1' ? [{ type: 'uuid1', value: uuid.toLowerCase(), start, end: start + uuid.length }] : [];
  }
  if (hex !== undefined) {
    const type = HASH_BY_LENGTH[hex.length];
    return type ? [{ type, value: hex.toLowerCase(), start, end: start + hex.length }] : [];
  }
  if (ipv6 !== undefined) return ipv6Entities(ipv6, start);
  if (registry !== undefined) {
    const key = trimTrailing(registry);
    return [{ type: 'winregistry', value: key, start, end: start + key.length }];
  }
  if (messageId !== undefined) {
    if (!MESSAGE_ID_HEADER.test(text.slice(Math.max(0, start - 200), start))) return [];
    return [{ type: 'message_id', value: messageId, start, end: start + messageId.length }];
  }
  // The last alternative: the only one left to have matched.
  return [{ type: 'clsid', value: clsid.toUpperCase(), start, end: start + clsid.length }];
}

/** Orders matches as they are read: by start, the longer (a URL) before what it holds (its domain). */
const byPosition = (a: EntityMatch, b: EntityMatch) => a.start - b.start || b.end - a.end;

/**
 * Every entity in a plain text, with its normalized value and where it was written (UTF-16 indexes into `text`,
 * end exclusive). Defanged forms are read as the real value. An e-mail address also yields its domain, a URL its
 * domain or IP address; nothing else is found twice.
 */
export function extractEntities(text: string, options: ExtractOptions = {}): EntityMatch[] {
  const real = refang(text);
  const matches = scan(real.text);
  if (real.text !== text) {
    for (const entity of matches) {
      entity.start = real.toOriginal(entity.start, 'start');
      entity.end = real.toOriginal(entity.end, 'end');
    }
  }
  for (const extra of options.extra ?? []) {
    for (const { start, end, value } of extra.find(text)) matches.push({ type: extra.type, value, start, end });
  }
  const kept = options.skip ? matches.filter((entity) => !options.skip!(entity)) : matches;
  // The scan finds built-in entities in order already; only admin-defined ones come out of it.
  return options.extra?.length ? kept.sort(byPosition) : kept;
}

/**
 * Every entity in the text an HTML fragment shows (character references decoded, tags not part of any value, an
 * indicator split by inline markup such as `1.2.<b>3</b>.4` found whole), with `start` and `end` indexing the HTML,
 * ready for flair.
 */
export function extractFromHtml(html: string, options: ExtractOptions = {}): EntityMatch[] {
  const markup = readMarkup(html, false);
  const matches = extractEntities(markup.text, options);
  // The matches are this call's own objects: moving them to HTML offsets in place spares a copy of each.
  for (const entity of matches) {
    entity.start = markup.toHtml(entity.start, 'start');
    entity.end = markup.toHtml(entity.end, 'end');
  }
  return matches;
}
