/**
 * A process to kill -9 in the middle of background work. Run as
 * `node --import tsx test/helpers/crash.ts <database url> <data dir> worker|consumer`; it prints
 * `busy` once it is inside a job (worker) or half way through a batch (consumer), then hangs.
 */
import { sql } from 'kysely';
import { createApp } from '../../src/app/context.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { Worker } from '../../src/jobs/worker.js';
import { openStore } from '../../src/store/index.js';
import { testConfig } from './store.js';

const [url, dataDir, mode] = process.argv.slice(2);
const app = createApp(await openStore(url), testConfig(dataDir, url));
const hang = () => new Promise<never>(() => setInterval(() => {}, 60_000));

if (mode === 'worker') {
  const worker = new Worker(
    app,
    [
      {
        kind: 'test.crash',
        handle: () => {
          console.log('busy');
          return hang();
        },
      },
    ],
    {
      leaseSeconds: 1,
      pollMs: 50,
    },
  );
  worker.start();
} else {
  const reader = new CursorReader(
    app,
    {
      name: 'crash',
      batchSize: 10,
      async handle(unit, batch) {
        for (const [i, change] of batch.entries()) {
          await sql`insert into derived (consumer, seq) values ('crash', ${change.seq})`.execute(unit.db);
          if (i === 4) {
            console.log('busy');
            await hang();
          }
        }
      },
    },
    { leaseSeconds: 1 },
  );
  await reader.step();
}
