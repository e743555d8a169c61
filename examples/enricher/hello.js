// A SCOT enricher plugin. Copy it into the folder `plugin_dir` (SCOT_PLUGIN_DIR) names, and add its
// name to `enrichers` (SCOT_ENRICHERS=geoip,hello). SCOT stores what `enrich` answers, with the time,
// under the entity's `data.hello`: {"at": ..., "result": {...}, "summary": "..."}, or {"at": ..., "error": "..."}.

/** An enricher: {name, types, enrich(entity, {signal}), timeoutMs?, summary?(result)}. */
export default {
  // The key of its results in an entity's data: lower-case letters, digits, "-" and "_".
  name: 'hello',
  // The entity types it is asked about.
  types: ['domain', 'email'],
  // Optional: how long one call may take (default 10 s); past it the call counts as failed.
  timeoutMs: 2000,
  // Answers what it learned of one entity, or null when it knows nothing. A throw is recorded as its
  // error and the job tries again later; pass `signal` to anything slow (fetch, DNS) so a timeout stops it.
  async enrich(entity, { signal }) {
    signal.throwIfAborted();
    return { greeting: `hello, ${entity.value}`, length: entity.value.length };
  },
  // Optional: a few characters shown beside the entity in the flair entity map.
  summary: (result) => `${result.length} chars`,
};
