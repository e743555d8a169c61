import { CompiledQuery, type Compilable } from 'kysely';
import type { Executor } from './index.js';
import { prepareText } from './dialect/prepared.js';

/** SQL text by dialect and shape; see runShaped. */
const texts = new WeakMap<object, Map<string, string>>();
const MAX_SHAPES = 1000;

/**
 * Runs a query whose SQL depends only on its `shape` (table, columns, row count), with new
 * parameters. On the ingest path building queries of many values through the query builder
 * cost more than running them; this builds each shape once per dialect and then only binds, and
 * the dialect prepares it once per connection.
 * `parameters` must be in the order the built query binds them: row by row, column by column.
 */
export async function runShaped<R>(
  db: Executor,
  shape: string,
  build: () => Compilable<unknown>,
  parameters: readonly unknown[],
): Promise<R[]> {
  const adapter = db.getExecutor().adapter;
  const cache = texts.get(adapter) ?? texts.set(adapter, new Map()).get(adapter)!;
  let text = cache.get(shape);
  if (!text) {
    const compiled = build().compile();
    if (compiled.parameters.length !== parameters.length) {
      throw new Error(`shaped query ${shape} binds ${compiled.parameters.length} parameters, given ${parameters.length}`);
    }
    text = compiled.sql;
    if (cache.size < MAX_SHAPES) {
      cache.set(shape, text);
      prepareText(text);
    }
  }
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
}

/**
 * The parameters of rows that all have the keys of the first, in insert order. An undefined value
 * is refused: the query builder leaves such a column out, so the shape would not match.
 */
export function rowParameters(rows: readonly Record<string, unknown>[]): { columns: string[]; parameters: unknown[] } {
  const columns = Object.keys(rows[0]);
  // A plain loop: on the ingest and flair paths this runs for every value of every row.
  const parameters = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) {
    for (const c of columns) {
      const value = row[c];
      if (value === undefined) throw new Error(`column ${c} is undefined; use null`);
      parameters[i++] = value;
    }
  }
  return { columns, parameters };
}

/**
 * `items` in runs of at most `max` (a power of two), each run as long as a power of two: a
 * multi-row statement then has a few shapes only, each prepared once, whatever the count of rows.
 */
export function shapedRuns<T>(items: readonly T[], max: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0, size = max; i < items.length; i += size) {
    while (size > items.length - i) size >>= 1;
    runs.push(items.slice(i, i + size));
  }
  return runs;
}
