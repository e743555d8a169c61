import { LABEL_KINDS, LIST_FIELDS, type LabelKind, type WorkflowType } from '../domain/catalog.js';
import { badInput } from '../domain/error.js';
import type { FieldFilter, ListQuery } from '../store/tracked.js';

export type RawQuery = Record<string, string | string[] | undefined>;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** Parameters every list understands besides field filters. */
const PAGING = ['limit', 'offset', 'sort', 'columns', 'deleted'];

export interface Page {
  limit: number;
  offset: number;
}

export interface ListEnvelope<R> {
  records: R[];
  queryRecordCount: number;
  totalRecordCount: number;
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

export function parsePage(q: RawQuery): Page {
  return {
    limit: integerParam(q, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: integerParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** Validates a list query against the type's catalog; unknown fields are an error, never ignored. */
export function parseListQuery(type: WorkflowType, q: RawQuery): Omit<ListQuery, 'readableBy'> & { columns?: string[] } {
  const fields = LIST_FIELDS[type];
  const filters: FieldFilter[] = [];
  const labels: ListQuery['labels'] = [];
  for (const name of Object.keys(q)) {
    if (PAGING.includes(name)) continue;
    if ((LABEL_KINDS as readonly string[]).includes(name)) {
      const names = listParam(q, name);
      // Like any other filter it needs a value; an empty name list would also be `in ()`, which PostgreSQL refuses.
      if (names.length === 0) throw badInput(name, `${name} needs a value`);
      labels.push({ kind: name as LabelKind, names });
      continue;
    }
    const field = fields[name];
    if (!field) {
      throw badInput(name, `cannot filter ${type} by "${name}"; filters: ${[...Object.keys(fields), ...LABEL_KINDS].join(', ')}`);
    }
    // Text searched for may itself hold commas; only lists of values are split on them.
    const values =
      field.filter === 'time' ? String(single(q, name) ?? '').split(',')
      : field.filter === 'contains' ? [single(q, name) ?? ''].filter((v) => v !== '')
      : listParam(q, name);
    if (field.filter === 'time') {
      if (values.length > 2 || values.some((v) => v !== '' && !Number.isFinite(Number(v)))) {
        throw badInput(name, `${name} must be <from>,<to> in epoch seconds`);
      }
    } else if (values.length === 0) {
      throw badInput(name, `${name} needs a value`);
    } else if (field.filter === 'int' && values.some((v) => !/^\d+$/.test(v))) {
      throw badInput(name, `${name} must be whole numbers separated by commas`);
    }
    filters.push({ column: field.column, kind: field.filter, values });
  }
  const sort = parseSort(type, q);
  const columns = q.columns === undefined ? undefined : listParam(q, 'columns');
  const deleted = single(q, 'deleted');
  if (deleted !== undefined && !['true', 'false', '1', '0'].includes(deleted)) throw badInput('deleted', 'deleted must be true or false');
  return { filters, labels, sort, ...parsePage(q), deleted: deleted === 'true' || deleted === '1', columns };
}

/** `sort=-created,id`, or the JSON form `{"created":-1}` older SCOT clients send. */
function parseSort(type: WorkflowType, q: RawQuery): ListQuery['sort'] {
  const raw = single(q, 'sort');
  if (!raw) return [{ column: 'id', desc: true }];
  let items: { field: string; desc: boolean }[];
  if (raw.trim().startsWith('{')) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badInput('sort', 'sort is not valid JSON');
    }
    items = Object.entries(parsed).map(([field, dir]) => ({ field, desc: Number(dir) < 0 }));
  } else {
    items = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => ({ field: s.replace(/^[-+]/, ''), desc: s.startsWith('-') }));
  }
  const fields = LIST_FIELDS[type];
  return items.map(({ field, desc }) => {
    if (!fields[field]) throw badInput('sort', `cannot sort ${type} by "${field}"; fields: ${Object.keys(fields).join(', ')}`);
    return { column: fields[field].column, desc };
  });
}

/** One page of records in SCOT's envelope, with how many match in all. */
export const envelope = <R>(records: R[], total: number): ListEnvelope<R> => ({
  records,
  queryRecordCount: records.length,
  totalRecordCount: total,
});
