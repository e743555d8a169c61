import { badInput } from '../error.js';

/**
 * SCOT 3's request spellings, mapped to SCOT's own before the input is checked, so that one strict
 * schema per noun serves both and a name neither knows is still refused. Each kind of input has a
 * small table of renamed fields; a few values are respelled too (a single tag for a list, `parent: 0`
 * for no parent, `clear` for `white`).
 */

/** The inputs SCOT 3 clients send in their own spelling. */
export type Scot3Kind = 'alertgroup' | 'alert' | 'event' | 'incident' | 'entry' | 'label';

/** [what SCOT 3 sends, SCOT's own path], the path dotted when the field moves into an object. */
type Alias = readonly [string, string];

const GROUPS: Alias[] = [
  ['readgroups', 'groups.read'],
  ['modifygroups', 'groups.modify'],
];

const ALIASES: Record<Scot3Kind, readonly Alias[]> = {
  // SCOT 3's mail ingester sends the mail's date as `created`: when the alerts happened.
  alertgroup: [...GROUPS, ['created', 'occurred']],
  alert: GROUPS,
  event: [...GROUPS, ['alert_id', 'promote_from.alert'], ['alert', 'promote_from.alert']],
  incident: [...GROUPS, ['events', 'promote_from.event']],
  entry: GROUPS,
  // SCOT 3 posts a tag or source as `{"value", "note"}`, as it spells a label inside an object.
  label: [
    ['value', 'name'],
    ['note', 'description'],
  ],
};

/** [SCOT's label field, SCOT 3's]: SCOT 3's mail ingester sends both, the parser's and its own. */
const LABELS: Alias[] = [
  ['tag', 'tags'],
  ['source', 'sources'],
];

/** Values SCOT 3 spelled differently, per kind of input. */
const RESPELL: Partial<Record<Scot3Kind, (input: Record<string, unknown>) => void>> = {
  alertgroup: respellAlertgroup,
  entry: respellEntry,
};

/** SCOT 3's task flags, `{"make_task": 1}`, and what SCOT says instead. */
const TASK_FLAGS: Record<string, ['class' | 'task', string]> = {
  make_task: ['class', 'task'],
  take_task: ['task', 'take'],
  close_task: ['task', 'complete'],
};

/** SCOT 3 marks a top-level entry with parent 0, and acts on tasks with flags. */
function respellEntry(input: Record<string, unknown>) {
  if (input.parent === 0) delete input.parent;
  for (const [flag, [field, value]] of Object.entries(TASK_FLAGS)) {
    if (!(flag in input)) continue;
    if (input[flag] !== 1 && input[flag] !== true) throw badInput(flag, `${flag} must be 1`);
    if (field in input) throw badInput(flag, `send ${flag} or ${field}, not both`);
    delete input[flag];
    input[field] = value;
  }
}

/** TLP 2.0 renamed `white` to `clear`; SCOT 3 clients read `white`. */
const TLP_SYNONYMS: Record<string, string> = { clear: 'white' };

/** A SCOT input, and where each renamed field was sent, so an error names what the client wrote. */
export interface Normalized {
  input: unknown;
  /** [SCOT's path, the path as sent]. */
  sentAs: [string, string][];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps what a SCOT 3 client sends for `kind` to SCOT's input; anything else passes unchanged. */
export function fromScot3(kind: Scot3Kind, body: unknown): Normalized {
  if (!isObject(body)) return { input: body, sentAs: [] };
  const input: Record<string, unknown> = { ...body };
  const sentAs: [string, string][] = [];
  for (const [sent, path] of ALIASES[kind]) {
    if (!(sent in input)) continue;
    const value = input[sent];
    delete input[sent];
    place(input, path.split('.'), value, sent);
    sentAs.push([path, sent]);
  }
  for (const [own, theirs] of LABELS) mergeLabels(input, own, theirs, sentAs);
  const from = input.promote_from;
  if (isObject(from)) {
    input.promote_from = Object.fromEntries(Object.entries(from).map(([k, v]) => [k, typeof v === 'number' ? [v] : v]));
  }
  RESPELL[kind]?.(input);
  if (typeof input.tlp === 'string') {
    const tlp = input.tlp.toLowerCase().replace(/^tlp:/, '');
    input.tlp = TLP_SYNONYMS[tlp] ?? tlp;
  }
  return { input, sentAs };
}

/** Sets `path` in `target`, refusing a field sent under both of its names. */
function place(target: Record<string, unknown>, path: string[], value: unknown, sent: string, own = path.join('.')) {
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (head in target) throw badInput(sent, `send ${sent} or ${own}, not both`);
    target[head] = value;
    return;
  }
  const inner = target[head] === undefined ? {} : target[head];
  if (!isObject(inner)) throw badInput(head, `${head} must be an object`);
  target[head] = { ...inner };
  place(target[head] as Record<string, unknown>, rest, value, sent, own);
}

/** Tags (or sources) sent under both names are all kept; under SCOT 3's alone, they are renamed. */
function mergeLabels(input: Record<string, unknown>, own: string, theirs: string, sentAs: [string, string][]) {
  const mine = own in input ? labelList(input[own]) : undefined;
  if (!(theirs in input)) {
    if (mine !== undefined) input[own] = mine;
    return;
  }
  const sent = labelList(input[theirs]);
  delete input[theirs];
  if (mine === undefined) {
    input[own] = sent;
    sentAs.push([own, theirs]);
  } else if (Array.isArray(mine) && Array.isArray(sent)) {
    input[own] = [...mine, ...sent];
  } else {
    throw badInput(theirs, `${own} and ${theirs} must each be a name or a list of names`);
  }
}

/**
 * SCOT 3 took a single row for a list of one, and its mail parsers put the column names in each
 * row; those are the alertgroup's columns, not data.
 */
function respellAlertgroup(input: Record<string, unknown>) {
  if (isObject(input.data)) input.data = [input.data];
  if (!Array.isArray(input.data)) return;
  input.data = input.data.map((row) => {
    if (!isObject(row) || !Array.isArray(row.columns)) return row;
    const { columns, ...data } = row;
    input.columns ??= columns;
    return data;
  });
}

/** A tag or source list: one name alone stands for a list of one; `{value, note}` is SCOT 3's label. */
function labelList(value: unknown): unknown {
  const list = Array.isArray(value) ? value : typeof value === 'string' || isObject(value) ? [value] : value;
  if (!Array.isArray(list)) return list;
  return list.map((item) => {
    if (!isObject(item) || !('value' in item) || 'name' in item) return item;
    const { value: name, ...rest } = item;
    return { name, ...rest };
  });
}

/**
 * The path of a field as the client sent it, given SCOT's path and the renames made. A field that
 * holds a renamed one (`promote_from` for `alert_id`) is named as what was sent.
 */
export function asSent(field: string, sentAs: readonly Alias[]): string {
  for (const [path, sent] of sentAs) {
    if (field === path || field.startsWith(`${path}.`)) return sent + field.slice(path.length);
    if (path.startsWith(`${field}.`)) return sent;
  }
  return field;
}
