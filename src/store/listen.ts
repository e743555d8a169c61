import pg from 'pg';

/** The PostgreSQL channel on which every commit announces the seqs of the changes it logged. */
export const CHANGE_CHANNEL = 'scot_change';
/** The PostgreSQL channel on which each node tells the others who views what through it. */
const PRESENCE_CHANNEL = 'scot_presence';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;

/** How long a lost listening connection waits before it connects again. */
const RECONNECT_MS = 1000;

/**
 * The payloads announcing `seqs`: runs of consecutive seqs as `first-last`, separated by commas,
 * so a transaction closing 12,000 alerts announces them in one short line, not 12,000 notices.
 */
export function encodeSeqs(seqs: readonly number[]): string[] {
  const runs: string[] = [];
  const sorted = [...seqs].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
    runs.push(first === sorted[i] ? String(first) : `${first}-${sorted[i]}`);
  }
  const payloads: string[] = [];
  let current = '';
  for (const run of runs) {
    if (current && current.length + 1 + run.length > MAX_PAYLOAD) {
      payloads.push(current);
      current = '';
    }
    current = current ? `${current},${run}` : run;
  }
  if (current) payloads.push(current);
  return payloads;
}

/** The seqs a payload of `encodeSeqs` announces; none from a payload it did not write. */
export function decodeSeqs(payload: string): number[] {
  const seqs: number[] = [];
  for (const run of payload.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(run);
    if (!match) continue;
    const first = Number(match[1]);
    const last = Number(match[2] ?? match[1]);
    for (let seq = first; seq <= last; seq++) seqs.push(seq);
  }
  return seqs;
}

/** What a node hears of commits made by any node. */
export interface ChangeWatch {
  /** Seqs of changes that just committed. */
  onSeqs(seqs: number[]): void;
  /** The connection was lost and is back: announcements made meanwhile were missed. */
  onResume(): void;
  /** What another node (or this one) said of who views what. */
  onPresence(payload: string): void;
}

/** Listening for every node's announcements, and making this node's own. */
export interface ChangeListener {
  /** Tells every node, this one too, of who views what here; dropped while the connection is lost. */
  announcePresence(payload: string): void;
  close(): Promise<void>;
}

/**
 * LISTENs for change announcements on a dedicated connection (a pooled one would be handed to other
 * queries), reconnecting after a loss for as long as it is not closed.
 */
export async function listenForChanges(url: string, watch: ChangeWatch): Promise<ChangeListener> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (resumed: boolean) => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload) watch.onSeqs(decodeSeqs(message.payload));
      if (message.channel === PRESENCE_CHANNEL && message.payload) watch.onPresence(message.payload);
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    await next.connect();
    await next.query(`LISTEN ${CHANGE_CHANNEL}`);
    await next.query(`LISTEN ${PRESENCE_CHANNEL}`);
    if (closed) return void (await next.end());
    client = next;
    if (resumed) watch.onResume();
  };
  const lost = (which: pg.Client) => {
    if (closed || client !== which) return;
    client = undefined;
    which.end().catch(() => {});
    scheduleRetry();
  };
  const scheduleRetry = () => {
    retry = setTimeout(() => connect(true).catch(scheduleRetry), RECONNECT_MS);
    retry.unref();
  };
  await connect(false);
  return {
    announcePresence(payload) {
      client?.query('select pg_notify($1, $2)', [PRESENCE_CHANNEL, payload]).catch(() => {});
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end();
    },
  };
}
