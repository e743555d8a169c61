import { parseArgs } from 'node:util';
import { extractEntities, extractFromHtml } from '../src/domain/entity/extract.js';
import { readMarkup } from '../src/domain/entity/markup.js';
import { refang } from '../src/domain/entity/defang.js';
import { parse } from 'tldts';
import { extractIOC } from 'ioc-extractor';
const { values: opts } = parseArgs({ options: { mb: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' } } });
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

const WORDS = ('the a to of and in is was on for with by from at host user alert blocked allowed connection outbound inbound ' +
  'traffic server client process spawned executed suspicious beacon observed analyst escalated ticket reviewed malware ' +
  'phishing attachment opened credentials login failed succeeded policy firewall proxy endpoint detection rule matched ' +
  'again after before during investigation contained remediated reimaged quarantine sample sandbox report version 2 3 10').split(' ');
const SUFFIXES = ['com', 'net', 'org', 'ru', 'cn', 'io', 'co.uk', 'de', 'info', 'xyz', 'top', 'com.au'];
const FILES = ['invoice.exe', 'payload.dll', 'report.pdf', 'update.ps1', 'stage2.js', 'macro.docm', 'archive.zip', 'svchost.exe'];

const ip = () => `${pick([10, 172, 192, 45, 185, 203, 8, 91])}.${int(256)}.${int(256)}.${1 + int(254)}`;
const domain = () => `${pick(['', 'www.', 'cdn.', 'mail.', 'api.'])}${pick(WORDS.filter((w) => w.length > 3))}${int(1000)}.${pick(SUFFIXES)}`;
const indicator = (): string =>
  pick([
    ip, ip, domain, domain,
    () => `http${pick(['', 's'])}://${domain()}/${pick(WORDS)}/${pick(FILES)}`,
    () => `${pick(WORDS)}.${pick(WORDS)}@${domain()}`,
    () => hex(32), () => hex(40), () => hex(64),
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
      `time=2024-0${1 + int(9)}-1${int(10)}T1${int(10)}:${10 + int(50)}:00Z`, `src=${ip()}`, `dst=${ip()}`, `host=${domain()}`,
      `user=${pick(WORDS)}@${domain()}`, `file=${pick(FILES)}`, `md5=${hex(32)}`, `msg="${sentence(12, 1)}"`,
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

const time = (name: string, f: (d: Doc) => unknown, docs = corpus) => {
  const bytes = docs.reduce((a, d) => a + d.text.length, 0);
  let best = Infinity;
  for (let r = 0; r < 3; r++) { const t = performance.now(); for (const d of docs) f(d); best = Math.min(best, performance.now() - t); }
  console.log(name.padEnd(30), (bytes / 1048576 / (best / 1000)).toFixed(1), 'MB/s over', (bytes / 1048576).toFixed(1), 'MB');
};
const html = corpus.filter((d) => d.html), text = corpus.filter((d) => !d.html);
const alerts = text.filter((d) => d.text.startsWith('time=')), prose = text.filter((d) => !d.text.startsWith('time='));
time('ours text alerts', (d) => extractEntities(d.text), alerts);
time('ours text prose', (d) => extractEntities(d.text), prose);
time('ours html', (d) => extractFromHtml(d.text), html);
time('markup only', (d) => readMarkup(d.text), html);
time('refang only', (d) => refang(d.text));
time('ioc alerts', (d) => extractIOC(d.text), alerts);
time('ioc prose', (d) => extractIOC(d.text), prose);
time('ioc html', (d) => extractIOC(d.text), html);
let n = 0; const doms: string[] = [];
for (const d of alerts) for (const m of d.text.matchAll(/host=(\S+)/g)) doms.push(m[1]);
let t = performance.now(); for (const x of doms) if (parse(x, { extractHostname: false, allowPrivateDomains: false }).isIcann) n++;
console.log('tldts per domain us', ((performance.now() - t) * 1000 / doms.length).toFixed(2), n);
import { Tokenizer } from 'htmlparser2';
const noop = () => {};
time('tokenizer noop', (d) => { const t = new Tokenizer({ decodeEntities: false }, { onattribdata: noop, onattribentity: noop, onattribend: noop, onattribname: noop, oncdata: noop, onclosetag: noop, oncomment: noop, ondeclaration: noop, onend: noop, onopentagend: noop, onopentagname: noop, onprocessinginstruction: noop, onselfclosingtag: noop, ontext: noop, ontextentity: noop }); t.write(d.text); t.end(); }, html);
time('indexOf < scan', (d) => { let i = 0, n = 0; while ((i = d.text.indexOf('<', i)) >= 0) { n++; i = d.text.indexOf('>', i); if (i < 0) break; } return n; }, html);
