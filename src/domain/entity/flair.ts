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
