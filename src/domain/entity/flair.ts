import { createHash } from 'node:crypto';
import { sanitizeEntryHtml } from '../sanitize.js';
import { allowFilter, type Allowed } from './allow.js';
import { extraType, type EntitytypeDefinition } from './entitytype.js';
import { extractEntities, extractFromHtml, type ExtractOptions } from './extract.js';
import { readMarkup, type Tag } from './markup.js';
import type { EntityMatch } from './type.js';

/** `text` safe inside a double-quoted attribute or as element text. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The opening tag of one flaired entity. */
function openingTag(entity: EntityMatch): string {
  const type = escapeHtml(entity.type);
  return `<span class="entity ${type}" data-entity-type="${type}" data-entity-value="${escapeHtml(entity.value)}">`;
}

/** Whether `tags` close every element they open, so one span can hold them all. */
function balanced(tags: Tag[]): boolean {
  const open: string[] = [];
  for (const tag of tags) {
    if (tag.kind === 'open') open.push(tag.name);
    else if (tag.kind === 'close' && open.pop() !== tag.name) return false;
  }
  return open.length === 0;
}

/** Each entity's outermost match once: a URL's domain and an address's domain are inside it, so they go. */
function outermost(matches: EntityMatch[]): EntityMatch[] {
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: EntityMatch[] = [];
  let reached = 0;
  for (const entity of sorted) {
    if (entity.start < reached || entity.end <= entity.start) continue;
    kept.push(entity);
    reached = entity.end;
  }
  return kept;
}

/**
 * Sanitized HTML with each entity wrapped in its flair span, the text as written (still defanged) inside it.
 * `matches` index the HTML, as `extractFromHtml` returns them. An entity split by inline tags is wrapped whole
 * when the tags inside it are balanced (`1.2.<b>3</b>.4`), else each of its text pieces gets its own span, so
 * elements always nest.
 */
export function renderFlair(html: string, matches: EntityMatch[]): string {
  const { tags } = readMarkup(html);
  const out: string[] = [];
  let written = 0;
  let next = 0;
  for (const entity of outermost(matches)) {
    while (next < tags.length && tags[next].start < entity.start) next++;
    const inside: Tag[] = [];
    for (let i = next; i < tags.length && tags[i].end <= entity.end; i++) inside.push(tags[i]);
    out.push(html.slice(written, entity.start));
    const open = openingTag(entity);
    if (balanced(inside)) {
      out.push(open, html.slice(entity.start, entity.end), '</span>');
    } else {
      let from = entity.start;
      for (const tag of [...inside, { start: entity.end, end: entity.end }]) {
        if (tag.start > from) out.push(open, html.slice(from, tag.start), '</span>');
        out.push(html.slice(tag.start, tag.end));
        from = tag.end;
      }
    }
    written = entity.end;
  }
  out.push(html.slice(written));
  return out.join('');
}

/** What makes a cell more than plain text; most are not, and need no sanitizing (the slow part of flair). */
const MARKUP = /[<>&]/;

/** An alert cell as the HTML flair marks up: markup is sanitized; other JSON values are shown as JSON. */
const cellHtml = (value: unknown) =>
  typeof value !== 'string' ? escapeHtml(JSON.stringify(value) ?? '') : MARKUP.test(value) ? sanitizeEntryHtml(value) : value;

/** One object's flair: the HTML to serve, and the entities it holds. */
export interface Flaired {
  html: string;
  entities: EntityMatch[];
}

/** Flairs HTML; text without markup characters is its own HTML, and skips reading markup (most alert cells). */
function flairHtml(html: string, options: ExtractOptions): Flaired {
  const entities = MARKUP.test(html) ? extractFromHtml(html, options) : extractEntities(html, options);
  return { html: entities.length === 0 ? html : renderFlair(html, entities), entities };
}

/** Flairs an entry's body, or each cell of an alert (its HTML then JSON of the cells by column). */
export function flairObject(type: 'alert' | 'entry', source: string, options: ExtractOptions): Flaired {
  if (type === 'entry') return flairHtml(source, options);
  const cells: Record<string, string> = {};
  const entities: EntityMatch[] = [];
  for (const [column, value] of Object.entries(JSON.parse(source) as Record<string, unknown>)) {
    const cell = flairHtml(cellHtml(value), options);
    cells[column] = cell.html;
    // Not push(...): a cell may hold more entities than a call takes arguments.
    for (const entity of cell.entities) entities.push(entity);
  }
  return { html: JSON.stringify(cells), entities };
}

/** Identifies the version of an object's text that flair read, so the same version is never flaired twice. */
export const versionOf = (source: string) => createHash('sha1').update(source).digest('base64url');

/** `type value` of an entity: how a batch tells entities apart before they have ids. */
export const entityKey = (e: { type: string; value: string }) => `${e.type} ${e.value}`;

/** What the extractor is told, as plain data a worker thread can be sent: the enabled admin-defined types and the allow-list. */
export interface FlairRules {
  extra: EntitytypeDefinition[];
  allowed: Allowed[];
}

/** The extractor's options from its rules. */
export const extractOptionsOf = (rules: FlairRules): ExtractOptions => ({
  extra: rules.extra.map(extraType),
  skip: allowFilter(rules.allowed),
});

/** One object flaired from the version of its text `version` names, ready to be stored. */
export interface PreparedFlair {
  id: number;
  version: string;
  /** The text it was flaired from: the transaction compares it with the stored text, rather than hashing that again. */
  source: string;
  flair: Flaired;
  /** How many times each entity (`type value`) is written in it, counted before the transaction. */
  counts: Map<string, number>;
}

/** Flairs one object's text: its version, its flair, and how often each entity is written in it. */
export function prepareObject(type: 'alert' | 'entry', id: number, source: string, options: ExtractOptions): PreparedFlair {
  const flair = flairObject(type, source, options);
  const counts = new Map<string, number>();
  for (const e of flair.entities) counts.set(entityKey(e), (counts.get(entityKey(e)) ?? 0) + 1);
  return { id, version: versionOf(source), source, flair, counts };
}
