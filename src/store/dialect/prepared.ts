/**
 * SQL texts worth preparing once per connection: the few shapes of the ingest path, run thousands
 * of times a second. PostgreSQL then parses and plans each once per connection instead of on every
 * run. Only texts named here are prepared, so one-off queries (lists, searches) keep their plans
 * made for their own parameters, and a connection holds a bounded number of statements.
 */
const names = new Map<string, string>();

/** How many distinct texts are ever prepared: ingest uses a few dozen shapes. */
const MAX_PREPARED = 1000;

/** Marks `text` to be prepared once per connection, where the dialect prepares statements. */
export function prepareText(text: string): void {
  if (!names.has(text) && names.size < MAX_PREPARED) names.set(text, `scot_${names.size}`);
}

/** The statement name of `text`, when it is one to prepare. */
export const preparedName = (text: string): string | undefined => names.get(text);
