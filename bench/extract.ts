/**
 * Extraction benchmark: SCOT's entity extractor and the npm package ioc-extractor, side by side in one run, over the
 * same generated corpus (seeded, so every run reads the same text), then precision and recall of both on the
 * labelled cases the tests use.
 *
 *   npm run bench:extract -- [--mb 20] [--seed 1] [--rounds 3]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import ipaddr from 'ipaddr.js';
import { extractIOC, partialExtractIOC, type IOC, type IOCKey } from 'ioc-extractor';
import { extractEntities, extractFromHtml } from '../src/domain/entity/extract.js';
import { HTML_CASES, TEXT_CASES, type LabelledCase } from '../test/domain/entity/cases.js';

const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
  },
});
const corpusBytes = Number(opts.mb) * 1024 * 1024;

/** mulberry32: a small seeded generator, so the corpus is the same on every run and machine. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(Number(opts.seed));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (below: number) => Math.floor(random() * below);
const hex = (length: number) => Array.from({ length }, () => '0123456789abcdef'[int(16)]).join('');

const WORDS = (
  'the a to of and in is was on for with by from at host user alert blocked allowed connection outbound inbound ' +
  'traffic server client process spawned executed suspicious beacon observed analyst escalated ticket reviewed malware ' +
  'phishing attachment opened credentials login failed succeeded policy firewall proxy endpoint detection rule matched ' +
  'again after before during investigation contained remediated reimaged quarantine sample sandbox report version 2 3 10'
).split(' ');
const SUFFIXES = ['com', 'net', 'org', 'ru', 'cn', 'io', 'co.uk', 'de', 'info', 'xyz', 'top', 'com.au'];
const FILES = ['invoice.exe', 'payload.dll', 'report.pdf', 'update.ps1', 'stage2.js', 'macro.docm', 'archive.zip', 'svchost.exe'];

const ip = () => `${pick([10, 172, 192, 45, 185, 203, 8, 91])}.${int(256)}.${int(256)}.${1 + int(254)}`;
const domain = () =>
  `${pick(['', 'www.', 'cdn.', 'mail.', 'api.'])}${pick(WORDS.filter((w) => w.length > 3))}${int(1000)}.${pick(SUFFIXES)}`;
const indicator = (): string =>
  pick([
    ip,
    ip,
    domain,
    domain,
    () => `http${pick(['', 's'])}://${domain()}/${pick(WORDS)}/${pick(FILES)}`,
    () => `${pick(WORDS)}.${pick(WORDS)}@${domain()}`,
    () => hex(32),
    () => hex(40),
    () => hex(64),
    () => pick(FILES),
    () => `CVE-20${10 + int(15)}-${1000 + int(50000)}`,
    () => `2001:db8:${hex(4)}::${hex(2)}`,
    () => `${ip().replace(/\.(\d+)$/, '[.]$1')}`,
    () => domain().replace(/\.([a-z]+)$/, '[.]$1'),
  ])();
const sentence = (words: number, indicators: number) => {
  const parts = Array.from({ length: words }, () => pick(WORDS));
  for (let i = 0; i < indicators; i++) parts.splice(int(parts.length + 1), 0, indicator());
  return `${parts.join(' ')}.`;
};

/** One document as SCOT extracts it: an alert cell (text), an entry (HTML), or prose (text). */
interface Doc {
  text: string;
  html: boolean;
}
const KINDS: (() => Doc)[] = [
  // An alert row: fields with a realistic density of indicators.
  () => ({
    html: false,
    text: [
      `time=2024-0${1 + int(9)}-1${int(10)}T1${int(10)}:${10 + int(50)}:00Z`,
      `src=${ip()}`,
      `dst=${ip()}`,
      `host=${domain()}`,
      `user=${pick(WORDS)}@${domain()}`,
      `file=${pick(FILES)}`,
      `md5=${hex(32)}`,
      `msg="${sentence(12, 1)}"`,
    ].join('\t'),
  }),
  // An entry: HTML paragraphs, a table of indicators, some split by inline markup.
  () => ({
    html: true,
    text:
      `<p>${sentence(25, 1)} <b>${indicator()}</b> ${sentence(20, 1)}</p>` +
      `<table><tr><td>${ip()}</td><td>${domain()}</td></tr><tr><td>${hex(64)}</td><td>${pick(FILES)}</td></tr></table>` +
      `<p>${sentence(30, 1)} <a href="https://ref.example.com/x">see ${indicator()}</a> and 1.2.<i>3</i>.4</p>`,
  }),
  // Prose: an analyst's notes, an indicator every few sentences.
  () => ({ html: false, text: Array.from({ length: 6 }, () => sentence(15, int(3) === 0 ? 1 : 0)).join(' ') }),
];

const corpus: Doc[] = [];
let corpusSize = 0;
while (corpusSize < corpusBytes) {
  const doc = pick(KINDS)();
  corpus.push(doc);
  corpusSize += Buffer.byteLength(doc.text);
}

/** The ioc-extractor types SCOT has, by SCOT's name. */
const IOC_TYPES: Partial<Record<IOCKey, string>> = {
  ipv4s: 'ipaddr',
  ipv6s: 'ipv6',
  domains: 'domain',
  emails: 'email',
  urls: 'url',
  md5s: 'md5',
  sha1s: 'sha1',
  sha256s: 'sha256',
  sha512s: 'sha512',
  cves: 'cve',
};
const SHARED_KEYS = Object.keys(IOC_TYPES) as IOCKey[];

type Extractor = (doc: Doc) => [type: string, value: string][];
const ours: Extractor = (doc) => (doc.html ? extractFromHtml(doc.text) : extractEntities(doc.text)).map((m) => [m.type, m.value]);
const iocPairs = (found: Partial<IOC>) =>
  Object.entries(found).flatMap(([key, values]) =>
    IOC_TYPES[key as IOCKey] ? values.map((v): [string, string] => [IOC_TYPES[key as IOCKey]!, v]) : [],
  );
const iocAll: Extractor = (doc) => iocPairs(extractIOC(doc.text));
const iocShared: Extractor = (doc) => iocPairs(partialExtractIOC(doc.text, SHARED_KEYS));

/** CPU milliseconds this process has used so far (all its threads: the garbage collector's too). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * MB/s of each extractor over the whole corpus, the best of `rounds`, by wall clock and by CPU time. The rounds take
 * turns, so on a shared machine a busy moment slows both alike rather than one; CPU time leaves out the moments the
 * process waited for a core, so on a loaded machine it is the steadier figure, and the ratio is read from it.
 */
function throughput(extractors: Extractor[], rounds: number): { mbs: number; cpuMbs: number; found: number }[] {
  const best = extractors.map(() => Infinity);
  const bestCpu = extractors.map(() => Infinity);
  const found = extractors.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    extractors.forEach((extract, i) => {
      found[i] = 0;
      const started = performance.now();
      const startedCpu = cpuMs();
      for (const doc of corpus) found[i] += extract(doc).length;
      best[i] = Math.min(best[i], performance.now() - started);
      bestCpu[i] = Math.min(bestCpu[i], cpuMs() - startedCpu);
    });
  }
  const mb = corpusSize / 1024 / 1024;
  return best.map((ms, i) => ({ mbs: mb / (ms / 1000), cpuMbs: mb / (bestCpu[i] / 1000), found: found[i] }));
}

/** One comparable form of a value, the same for both extractors (case, IPv6 compression). */
function canonical(type: string, value: string): string {
  if (type === 'ipv6' && ipaddr.IPv6.isValid(value)) return `${type} ${ipaddr.IPv6.parse(value).toRFC5952String()}`;
  return `${type} ${value.toLowerCase()}`;
}

/** Precision and recall over the labelled cases, counting each distinct (type, value) of a case once. */
function quality(extract: Extractor, types?: Set<string>): { precision: number; recall: number } {
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  const cases: [LabelledCase, boolean][] = [
    ...TEXT_CASES.map((c): [LabelledCase, boolean] => [c, false]),
    ...HTML_CASES.map((c): [LabelledCase, boolean] => [c, true]),
  ];
  for (const [[text, expected], html] of cases) {
    const keep = ([type]: [string, string]) => !types || types.has(type);
    const want = new Set(expected.filter(keep).map(([t, v]) => canonical(t, v)));
    const got = new Set(
      extract({ text, html })
        .filter(keep)
        .map(([t, v]) => canonical(t, v)),
    );
    for (const g of got) want.has(g) ? truePositive++ : falsePositive++;
    for (const w of want) if (!got.has(w)) falseNegative++;
  }
  return { precision: truePositive / (truePositive + falsePositive), recall: truePositive / (truePositive + falseNegative) };
}

// Warm both up on a slice first, so the timed rounds measure compiled code.
const warm = corpus.slice(0, 200);
for (const extract of [ours, iocAll, iocShared]) for (const doc of warm) extract(doc);

const rounds = Number(opts.rounds);
const [mine, theirs, theirsShared] = throughput([ours, iocAll, iocShared], rounds);
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const shared = new Set(Object.values(IOC_TYPES));

console.log(
  `corpus: ${(corpusSize / 1024 / 1024).toFixed(1)} MB in ${corpus.length} documents (alert rows, HTML entries, prose), seed ${opts.seed}`,
);
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown'} x${os.cpus().length}, node ${process.version}, best of ${rounds} rounds`,
);
console.log('');
console.log('extractor                     MB/s (wall)  MB/s (CPU)   entities   ratio (wall, CPU)');
const row = (name: string, r: { mbs: number; cpuMbs: number; found: number }, ratio = '') =>
  console.log(
    `${name.padEnd(28)} ${r.mbs.toFixed(1).padStart(11)} ${r.cpuMbs.toFixed(1).padStart(11)} ${String(r.found).padStart(10)}   ${ratio}`,
  );
const ratio = (r: { mbs: number; cpuMbs: number }) =>
  `scot is ${(mine.mbs / r.mbs).toFixed(1)}x, ${(mine.cpuMbs / r.cpuMbs).toFixed(1)}x`;
row('scot', mine);
row('ioc-extractor (extractIOC)', theirs, ratio(theirs));
row('ioc-extractor (shared types)', theirsShared, ratio(theirsShared));
console.log('');
console.log(`labelled cases: ${TEXT_CASES.length} text, ${HTML_CASES.length} HTML`);
console.log('extractor        all types: precision  recall   types ioc-extractor has: precision  recall');
for (const [name, extract] of [
  ['scot', ours],
  ['ioc-extractor', iocAll],
] as const) {
  const all = quality(extract);
  const common = quality(extract, shared);
  console.log(
    `${name.padEnd(16)} ${percent(all.precision).padStart(20)} ${percent(all.recall).padStart(7)} ${percent(common.precision).padStart(36)} ${percent(common.recall).padStart(7)}`,
  );
}
