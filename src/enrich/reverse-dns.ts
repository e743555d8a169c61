import { Resolver } from 'node:dns/promises';
import type { Enricher } from './enricher.js';

/** DNS error codes that mean "no name", an answer rather than a failure. */
const NO_NAME = new Set(['ENOTFOUND', 'ENODATA']);

/** The built-in reverse-DNS enricher (off unless listed in `enrichers`): the names an address resolves back to. */
export function reverseDnsEnricher(): Enricher {
  return {
    name: 'reverse-dns',
    types: ['ipaddr', 'ipv6'],
    async enrich(entity, { signal }) {
      const resolver = new Resolver();
      const cancel = () => resolver.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      try {
        return { names: await resolver.reverse(entity.value) };
      } catch (err) {
        if (NO_NAME.has((err as NodeJS.ErrnoException).code ?? '')) return { names: [] };
        throw err;
      } finally {
        signal.removeEventListener('abort', cancel);
      }
    },
    summary: (result) => (result as { names: string[] }).names[0],
  };
}
