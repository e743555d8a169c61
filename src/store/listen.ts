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
  /** Tells every node, this one too, of who views what here; dropped when it cannot be sent. */
  announcePresence(payload: string): void;
  close(): Promise<void>;
}

/** Hears the notices of one channel. */
export interface Hearer {
  heard(payload: string): void;
  /** The listening connection was lost and is back: notices sent meanwhile were missed. */
  resumed?(): void;
}

/** Hears any number of channels, every node's notices on them. */
export interface Listener {
  /** Hears `channel` until the returned stop is called. */
  listen(channel: string, hearer: Hearer): Promise<() => Promise<void>>;
}

/** How the listening connection names itself to PostgreSQL (`pg_stat_activity.application_name`). */
export const LISTENER_NAME = 'scot listen';

/**
 * One LISTEN connection for every channel a process hears (a pooled connection would be handed to
 * other queries), opened with the first channel, closed after the last, and opened again after a loss
 * for as long as a channel is heard: then every hearer is told it resumed.
 */
export function sharedListener(url: string): Listener {
  const channels = new Map<string, Set<Hearer>>();
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  // Connecting, LISTEN and UNLISTEN run one at a time, so no channel is heard on a connection being replaced.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => {});
    return next;
  };
  const listenOn = (on: pg.Client, channel: string) => on.query(`listen ${on.escapeIdentifier(channel)}`);
  const connect = async () => {
    const next = new pg.Client({ connectionString: url, application_name: LISTENER_NAME });
    next.on('notification', (message) => {
      for (const hearer of channels.get(message.channel) ?? []) hearer.heard(message.payload ?? '');
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      for (const channel of channels.keys()) await listenOn(next, channel);
    } catch (err) {
      next.end().catch(() => {});
      throw err;
    }
    client = next;
  };
  const lost = (which: pg.Client) => {
    if (client !== which) return;
    client = undefined;
    which.end().catch(() => {});
    reconnectLater();
  };
  const reconnectLater = () => {
    if (channels.size === 0) return;
    retry = setTimeout(() => {
      retry = undefined;
      serially(async () => {
        if (client || channels.size === 0) return;
        await connect();
        for (const hearers of channels.values()) for (const hearer of hearers) hearer.resumed?.();
      }).catch(reconnectLater);
    }, RECONNECT_MS);
    retry.unref();
  };
  const stop = (channel: string, hearer: Hearer) =>
    serially(async () => {
      const hearers = channels.get(channel);
      if (!hearers?.delete(hearer) || hearers.size > 0) return;
      channels.delete(channel);
      if (channels.size > 0) return void (await client?.query(`unlisten ${client.escapeIdentifier(channel)}`));
      clearTimeout(retry);
      retry = undefined;
      const last = client;
      client = undefined;
      await last?.end();
    });
  return {
    listen: (channel, hearer) =>
      serially(async () => {
        const hearers = channels.get(channel);
        if (hearers) hearers.add(hearer);
        else {
          channels.set(channel, new Set([hearer]));
          try {
            // While a lost connection waits to reconnect, the reconnection listens on the new channel too.
            if (client) await listenOn(client, channel);
            else if (!retry) await connect();
          } catch (err) {
            channels.delete(channel);
            throw err;
          }
        }
        return () => stop(channel, hearer);
      }),
  };
}

/**
 * Hears change announcements and presence through `listener`, and announces this node's presence
 * with `notify`.
 */
export async function listenForChanges(
  listener: Listener,
  notify: (channel: string, payload: string) => Promise<void>,
  watch: ChangeWatch,
): Promise<ChangeListener> {
  const stopChanges = await listener.listen(CHANGE_CHANNEL, {
    heard: (payload) => watch.onSeqs(decodeSeqs(payload)),
    resumed: () => watch.onResume(),
  });
  const stopPresence = await listener.listen(PRESENCE_CHANNEL, { heard: (payload) => watch.onPresence(payload) });
  return {
    announcePresence: (payload) => void notify(PRESENCE_CHANNEL, payload).catch(() => {}),
    async close() {
      await stopChanges();
      await stopPresence();
    },
  };
}
