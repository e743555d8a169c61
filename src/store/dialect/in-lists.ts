import {
  BinaryOperationNode,
  OperatorNode,
  PrimitiveValueListNode,
  SqliteDialect,
  SqliteQueryCompiler,
  type QueryCompiler,
} from 'kysely';

/** Lists this long or shorter keep their length: their few texts are worth a statement each. */
const SHORT_LIST = 4;

/** Above this, a list grows to a multiple of it rather than to a power of two. */
const LIST_STEP = 1024;

/** Longer lists keep their length, so that padding never takes a statement past SQLite's 32,766 parameters. */
const LONG_LIST = 16 * LIST_STEP;

/**
 * The length a list of `n` values is padded to: `n` up to SHORT_LIST, then the next power of two,
 * then the next multiple of LIST_STEP, up to LONG_LIST. A query shape with lists of any length up to
 * 10,000 then has at most 21 texts.
 */
export function paddedLength(n: number): number {
  if (n <= SHORT_LIST || n > LONG_LIST) return n;
  if (n > LIST_STEP) return Math.ceil(n / LIST_STEP) * LIST_STEP;
  return 2 ** Math.ceil(Math.log2(n));
}

/** `values` padded to `paddedLength` by repeating the last, for an `in (...)` list written by hand; the same list to `in`. */
export function paddedList<T>(values: readonly T[]): readonly T[] {
  const length = paddedLength(values.length);
  if (length === values.length) return values;
  const last = values[values.length - 1];
  return [...values, ...Array.from({ length: length - values.length }, () => last)];
}

/** SQLite's compiler, writing each `in (...)` list of values padded by `paddedList`. */
class InListCompiler extends SqliteQueryCompiler {
  protected override visitBinaryOperation(node: BinaryOperationNode): void {
    const { operator, rightOperand: list } = node;
    const isIn = OperatorNode.is(operator) && (operator.operator === 'in' || operator.operator === 'not in');
    const values = isIn && PrimitiveValueListNode.is(list) ? paddedList(list.values) : undefined;
    // A value repeated in the list changes neither `in` nor `not in`.
    super.visitBinaryOperation(
      values === undefined ? node : BinaryOperationNode.create(node.leftOperand, operator, PrimitiveValueListNode.create(values)),
    );
  }
}

/**
 * SQLite's dialect, padding each `in (...)` list of values to one of a few lengths by repeating its
 * last value. SQLite connections keep a prepared statement per SQL text, and statements are large:
 * 300 texts of the label lookup, with lists of 1 to 300 ids, held 10 MiB. With a text for every
 * length, the background thread's batches (the ids of whatever a batch holds) filled its statement
 * cache with hundreds of texts, and its memory grew by tens of MiB over the first minutes of a steady
 * ingest. The lists are padded as the query is compiled: a plugin rewriting every query's tree
 * beforehand cost a rebuild of the search index 10% of its rate.
 */
export class InListSqliteDialect extends SqliteDialect {
  override createQueryCompiler(): QueryCompiler {
    return new InListCompiler();
  }
}
