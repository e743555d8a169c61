import {
  LABEL_KINDS,
  LIST_FIELDS,
  MAX_EPOCH,
  MAX_ID,
  type LabelKind,
  type ListField,
  type WorkflowType,
} from '../domain/catalog.js';
import { createHash } from 'node:crypto';
import { badInput } from '../domain/error.js';
import { orderTerms, type FieldFilter, type ListQuery, type Position } from '../store/tracked.js';

export type RawQuery = Record<string, string | string[] | undefined>;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/**
 * How many tag and source names, and sort fields, one list takes: each name is a condition and
 * each field an ORDER BY term, and SQLite refuses an expression deeper than 1000 or 2000 terms.
 */
const MAX_TERMS = 50;

/** Parameters every list understands besides field filters. */
const PAGING = ['limit', 'offset', 'sort', 'columns', 'deleted', 'after'];

/**
 * Parameters SCOT 3's clients send to one type's list. `withsubject` asked SCOT 3 to add the
 * alertgroup's subject to each alert; SCOT's alerts always carry it.
 */
const COMPATIBLE: Partial<Record<WorkflowType, string[]>> = { alert: ['withsubject'] };

export interface Page {
  limit: number;
  offset: number;
}

export interface ListEnvelope<R> {
  records: R[];
  queryRecordCount: number;
  /** How many match in all; an estimate when `totalRecordCountExact` is false. */
  totalRecordCount: number;
  /** False when more matched than the count bound and `totalRecordCount` is an estimate. */
  totalRecordCountExact?: boolean;
  /** Where the next page starts (`after=`), when this page is full; null after the last. */
  nextCursor?: string | null;
}

const single = (q: RawQuery, name: string): string | undefined => {
  const v = q[name];
  if (Array.isArray(v)) throw badInput(name, `${name} may be given once`);
  return v;
};

/** Values of a parameter given as `a,b`, repeated, or as a JSON array (as older SCOT clients send). */
export function listParam(q: RawQuery, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  const parts = (Array.isArray(v) ? v : [v]).flatMap((item) => {
    if (item.startsWith('[')) {
      try {
        const parsed = JSON.parse(item);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {
        /* not JSON: a plain comma-separated value */
      }
      throw badInput(name, `${name} is not a valid JSON array`);
    }
    return item.split(',');
  });
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}

function integerParam(q: RawQuery, name: string, fallback: number, min: number, max: number): number {
  const v = single(q, name);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw badInput(name, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** `limit=0` asks for as many as one page holds, as in SCOT 3. */
export function parsePage(q: RawQuery): Page {
  return {
    limit: integerParam(q, 'limit', DEFAULT_LIMIT, 0, MAX_LIMIT) || MAX_LIMIT,
    offset: integerParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The catalog's field of that name; never one of every object's own (`constructor`, `__proto__`). */
const fieldOf = (type: WorkflowType, name: string): ListField | undefined =>
  Object.hasOwn(LIST_FIELDS[type], name) ? LIST_FIELDS[type][name] : undefined;

/** Digits only (no sign, fraction or exponent) and at most `max`, so the column can hold it. */
/** A whole number from 0 to `max`, written in digits only. */
export const isWhole = (text: string, max: number) => /^\d+$/.test(text) && Number(text) <= max;

/** Validates a list query against the type's catalog; unknown fields are an error, never ignored. */
export function parseListQuery(
  type: WorkflowType,
  q: RawQuery,
): Omit<ListQuery, 'readableBy' | 'countBound' | 'after'> & { columns?: string[]; after?: string } {
  const filters: FieldFilter[] = [];
  const labels: ListQuery['labels'] = [];
  for (const name of Object.keys(q)) {
    if (PAGING.includes(name)) continue;
    if (COMPATIBLE[type]?.includes(name)) {
      flag(q, name);
      continue;
    }
    if ((LABEL_KINDS as readonly string[]).includes(name)) {
      const names = listParam(q, name);
      if (names.length === 0 || names.includes('!'))
        throw badInput(name, `${name} needs a name, or !name for objects without it`);
      if (labels.length + names.length > MAX_TERMS) throw badInput(name, `tag and source may name ${MAX_TERMS} labels at most`);
      // Every name must be on the object (SCOT 3's `tag=a,b`), and none written `!name`.
      for (const n of names) labels.push({ kind: name as LabelKind, name: n.replace(/^!/, ''), present: !n.startsWith('!') });
      continue;
    }
    const field = fieldOf(type, name);
    if (!field) {
      throw badInput(
        name,
        `cannot filter ${type} by "${name}"; filters: ${[...Object.keys(LIST_FIELDS[type]), ...LABEL_KINDS].join(', ')}`,
      );
    }
    // Text searched for may itself hold commas; only lists of values are split on them.
    const values =
      field.filter === 'time'
        ? String(single(q, name) ?? '').split(',')
        : field.filter === 'contains'
          ? [single(q, name) ?? ''].filter((v) => v !== '')
          : listParam(q, name);
    if (field.filter === 'time') {
      if (values.length > 2 || values.some((v) => v !== '' && !isWhole(v, MAX_EPOCH))) {
        throw badInput(name, `${name} must be <from>,<to> in epoch seconds, whole numbers from 0 to ${MAX_EPOCH}`);
      }
    } else if (values.length === 0) {
      throw badInput(name, `${name} needs a value`);
    } else if (field.filter === 'int' && values.some((v) => !isWhole(v, MAX_ID))) {
      throw badInput(name, `${name} must be whole numbers from 0 to ${MAX_ID} separated by commas`);
    }
    filters.push({ column: field.column, kind: field.filter, values });
  }
  const sort = parseSort(type, q);
  const columns = q.columns === undefined ? undefined : listParam(q, 'columns');
  const page = parsePage(q);
  const after = single(q, 'after');
  if (after !== undefined && page.offset > 0)
    throw badInput('offset', 'give offset or after, not both: after already says where the page starts');
  if (after === '') throw badInput('after', 'after needs the nextCursor of the previous page');
  return { filters, labels, sort, ...page, deleted: flag(q, 'deleted'), columns, after };
}

/** A true-or-false query parameter (`true`, `false`, `1`, `0`), false when absent. */
export function flag(q: RawQuery, name: string): boolean {
  const v = single(q, name);
  if (v !== undefined && !['true', 'false', '1', '0'].includes(v)) throw badInput(name, `${name} must be true or false`);
  return v === 'true' || v === '1';
}

/**
 * `sort=-created,id`, or the JSON form `{"created":-1}` SCOT 3's clients send; given more than
 * once, the first sorts first.
 */
function parseSort(type: WorkflowType, q: RawQuery): ListQuery['sort'] {
  const items = [q.sort ?? []].flat().flatMap(sortItems);
  if (items.length === 0) return [{ column: 'id', desc: true }];
  if (items.length > MAX_TERMS) throw badInput('sort', `sort may name ${MAX_TERMS} fields at most`);
  return items.map(({ field, desc }) => {
    const known = fieldOf(type, field);
    if (!known) throw badInput('sort', `cannot sort ${type} by "${field}"; fields: ${Object.keys(LIST_FIELDS[type]).join(', ')}`);
    return { column: known.column, desc, ...(known.nullable ? { nullable: known.nullable } : {}) };
  });
}

function sortItems(raw: string): { field: string; desc: boolean }[] {
  if (!raw.trim().startsWith('{')) {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => ({ field: s.replace(/^[-+]/, ''), desc: s.startsWith('-') }));
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badInput('sort', 'sort is not valid JSON');
  }
  return Object.entries(parsed).map(([field, dir]) => ({ field, desc: Number(dir) < 0 }));
}

/** One page of records in SCOT's envelope, with how many match in all. */
export const envelope = <R>(records: R[], total: number): ListEnvelope<R> => ({
  records,
  queryRecordCount: records.length,
  totalRecordCount: total,
});

/** What a keyset cursor is bound to: the type, filters, labels, order and deleted flag of the list it came from. */
type CursorScope = Pick<ListQuery, 'filters' | 'labels' | 'sort' | 'deleted'>;

const scopeKey = (type: WorkflowType, q: CursorScope) =>
  createHash('sha256')
    .update(JSON.stringify([type, q.filters, q.labels, q.sort, q.deleted]))
    .digest('base64url')
    .slice(0, 16);

/** True when the sort column holds numbers (ids, counts, times); the others hold text. */
const numeric = (type: WorkflowType, column: string) =>
  column === 'id' ||
  Object.values(LIST_FIELDS[type]).some((f) => f.column === column && (f.filter === 'int' || f.filter === 'time'));

/**
 * The cursor of the page after the one ending at `last`: that row's values of the sort terms, and a
 * key of the list it belongs to. Opaque to clients (base64url JSON); it reveals only values of a row
 * the caller was just shown.
 */
export function cursorAfter(type: WorkflowType, q: CursorScope, last: Record<string, unknown>): string {
  const values = orderTerms(q.sort).map((t) => last[t.column] ?? null);
  return Buffer.from(JSON.stringify({ k: scopeKey(type, q), v: values })).toString('base64url');
}

/** The position a cursor from `cursorAfter` names, once it is checked to belong to this very list. */
export function positionOf(type: WorkflowType, q: CursorScope, cursor: string): Position {
  let parsed: { k?: unknown; v?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badInput('after', 'after is not a cursor: pass the nextCursor of the previous page as it is');
  }
  const terms = orderTerms(q.sort);
  const values = parsed?.v;
  const fits =
    Array.isArray(values) &&
    values.length === terms.length &&
    terms.every((t, i) => {
      const v = values[i];
      if (v === null) return t.nullable === true;
      return numeric(type, t.column) ? Number.isSafeInteger(v) : typeof v === 'string' && v.length <= 10_000;
    });
  if (typeof parsed !== 'object' || parsed === null || !fits) {
    throw badInput('after', 'after is not a cursor: pass the nextCursor of the previous page as it is');
  }
  if (parsed.k !== scopeKey(type, q)) {
    throw badInput('after', 'after belongs to a list with other filters or sort; ask the first page again with these');
  }
  return values as Position;
}
