import { randomUUID } from 'node:crypto';
import { WORKFLOW_TYPES, type WorkflowType } from '../domain/catalog.js';
import type { PresenceTarget } from '../domain/input/stream.js';
import { canRead, type Groups, type Principal } from '../domain/principal.js';
import { changesAfter, changesIn, type ChangeRecord } from '../store/change.js';
import { readsOf } from '../store/index.js';
import { groupColumnsOf, type TrackedRow } from '../store/tracked.js';
import { groupsOf, readable } from './access.js';
import type { App } from './context.js';
import { reader } from './unit.js';

/** What the stream tells of one committed change. */
export interface Notice {
  seq: number;
  type: string;
  id: number;
  action: string;
  who: string;
  at: number;
  /** The new values of the few fields a list shows (status, subject, owner, class). */
  summary: Record<string, unknown>;
}

/** One connected client as the hub sees it: who it is and how to reach it. */
export interface Subscriber {
  readonly who: Principal;
  /** Sends one JSON text message: a frame of notices is encoded once, as bytes, for all the clients that hear it. */
  send(message: string | Buffer): void;
  /** Bytes queued for the client and not yet sent. */
  buffered(): number;
  close(code: number, reason: string): void;
}

/** Close codes the stream ends a connection with, beside the standard ones. */
export const STREAM_CLOSE = {
  /** The account's groups, password or state changed: what it may read is to be decided anew. */
  accountChanged: 4001,
  /** The client did not read what was sent fast enough. */
  slow: 4008,
  /** `since` is further back than the stream replays. */
  tooFarBehind: 4010,
} as const;

export interface StreamLimits {
  /** Bytes queued for one client beyond which it is disconnected (default 1 MiB). */
  maxBufferedBytes: number;
  /** Changes a reconnecting client may have missed and still be replayed (default 10,000). */
  replayLimit: number;
  /**
   * Least time between two frames of notices to a client (default 25 ms): a change heard after a quiet
   * spell leaves at once, and at high change rates one frame carries all the notices of the interval,
   * so the writes to hundreds of clients do not grow with the number of commits.
   */
  frameIntervalMs: number;
}

const DEFAULT_LIMITS: StreamLimits = { maxBufferedBytes: 1024 * 1024, replayLimit: 10_000, frameIntervalMs: 25 };

/** The one message that carries notices: `{"notices": [...]}`, in seq order. */
export const frameOf = (notices: readonly Notice[]): Buffer => Buffer.from(JSON.stringify({ notices }));

/** Principals with the same key may read the same objects: admins all, others by their groups. */
const readersKeyOf = (who: Principal): string => (who.admin ? '*admin' : [...new Set(who.groups)].sort().join('\n'));

/** Fields whose new value a notice carries: what a list or a header shows of the object. */
const SUMMARY_FIELDS = ['status', 'subject', 'owner', 'class'] as const;
/** A subject longer than this is cut in a notice: a notice is a hint to refetch, not the object. */
const SUMMARY_TEXT_MAX = 200;
/**
 * Objects whose groups the hub remembers; the oldest are forgotten first. What it needs again is the
 * objects changed in the last few seconds (an alertgroup's flair follows its creation); one that
 * fell out costs a row in the next publishing's query. A cache of 10,000 took 50 s of a steady
 * 200 alertgroups/s to fill, the main thread's heap growing all along.
 */
const GROUPS_CACHE_MAX = 2_000;
/** Distinct lists of groups the hub holds once, however many objects have them. */
const GROUP_LISTS_MAX = 1_000;
/** Changes read per query when replaying. */
const REPLAY_PAGE = 500;
/**
 * How often a node tells the others again who views what through it; what it told expires after
 * three times that, so the viewers of a node that died vanish.
 */
const PRESENCE_REFRESH_MS = 20_000;
/** Viewers one node tells of per object, so the announcement stays far below PostgreSQL's 8000 bytes. */
const PRESENCE_MAX_VIEWERS = 50;

/** One client viewing an object, and the entry it edits there. */
interface Viewer {
  username: string;
  editing: number | null;
}

const isWorkflowType = (type: string): type is WorkflowType => (WORKFLOW_TYPES as readonly string[]).includes(type);
const keyOf = (type: string, id: number) => `${type}:${id}`;

/** The notice of a change: the new values of its summary fields, never the whole diff. */
export function noticeOf(change: ChangeRecord): Notice {
  const diff = (change.diff ?? {}) as Record<string, unknown>;
  const summary: Record<string, unknown> = {};
  for (const field of SUMMARY_FIELDS) {
    if (!(field in diff)) continue;
    // An update logs [before, after]; a create logs the value itself.
    const value = Array.isArray(diff[field]) ? (diff[field] as unknown[])[1] : diff[field];
    summary[field] = typeof value === 'string' ? value.slice(0, SUMMARY_TEXT_MAX) : value;
  }
  return {
    seq: change.seq,
    type: change.type,
    id: change.target_id,
    action: change.action,
    who: change.who,
    at: change.at,
    summary,
  };
}

interface Connection {
  subscriber: Subscriber;
  /** Connections with the same key hear the same notices: these are picked, and encoded, once for them all. */
  readers: string;
  /** Notices heard while the missed ones are replayed, sent after them; undefined once live. */
  held?: Notice[];
  /** Seqs the replay sent, so a notice heard again live is not sent twice. */
  replayed: Set<number>;
  /** The client's `since`: it has the changes up to it, so none of them is sent live either. */
  since?: number;
  viewing?: PresenceTarget;
  /** The entry the client edits, within what it views. */
  editing?: number;
}

/**
 * Whether a notice tells of an entity flair stored: flair records one per new indicator, thousands a
 * second at ingest rates, for the audit history and the search index. No screen shows them as they
 * come, and pushing each to every admin's stream would cost more than the ingest itself; changes to an
 * entity (its status, its notes) are pushed like any other.
 */
const flairedIn = (notice: Notice) => notice.type === 'entity' && notice.action === 'create';

/** Whether a client that connected with `since` has `notice` already: up to `since`, or sent by its replay. */
const hadAlready = (connection: Connection, notice: Notice) =>
  notice.seq <= (connection.since ?? 0) || connection.replayed.has(notice.seq);

/**
 * Fans committed changes out to the connected clients of this node, each hearing only of objects
 * it may read; replays what a reconnecting client missed; tracks who views and edits what.
 */
export class StreamHub {
  private readonly connections = new Map<Subscriber, Connection>();
  private readonly groupsCache = new Map<string, Groups>();
  /**
   * The groups of the cached objects, one record for each list of groups, by its stored JSON: most
   * objects have the groups of a few others, and the cache kept a record and two arrays for each.
   */
  private readonly groupLists = new Map<string, Groups>();
  private readonly limits: StreamLimits;
  /** Changes heard and not yet published: committed here (SQLite), or announced by seq by any node (PostgreSQL). */
  private incoming: ChangeRecord[] = [];
  private incomingSeqs: number[] = [];
  /** The next publishing of what was heard, once scheduled. */
  private flushTimer?: NodeJS.Timeout;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** Publishing runs one batch at a time, so that notices leave in the order they were heard. */
  private publishing: Promise<void> = Promise.resolve();
  private lastSeq = 0;
  private stopWatching?: () => Promise<void>;
  /** Names this node in presence announcements, so it ignores its own. */
  private readonly node = randomUUID();
  /** Tells the other nodes who views what here; absent where there are no other nodes. */
  private announce?: (payload: string) => void;
  /** Who views each object through other nodes: by object, then by node. */
  private readonly remote = new Map<string, Map<string, { viewers: Viewer[]; until: number }>>();

  constructor(
    private readonly app: App,
    limits: Partial<StreamLimits> = {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Starts hearing commits: every node's where the store is shared (PostgreSQL), else this process's feed. */
  async start(): Promise<void> {
    const { store } = this.app;
    if (store.watchChanges) {
      const watch = await store.watchChanges({
        onSeqs: (seqs) => {
          // One announcement may name a run of 100,000 seqs: too many arguments for push.
          for (const seq of seqs) this.incomingSeqs.push(seq);
          this.schedule();
        },
        onResume: () => this.enqueue(() => this.catchUp()),
        onPresence: (payload) => this.hearPresence(payload),
      });
      this.announce = (payload) => watch.announcePresence(payload);
      const refresh = setInterval(() => {
        for (const target of this.viewedHere()) this.announceViewers(target);
        this.forgetSilentNodes();
      }, PRESENCE_REFRESH_MS);
      refresh.unref();
      this.stopWatching = async () => {
        clearInterval(refresh);
        await watch.close();
      };
    } else {
      const onChange = (change: ChangeRecord) => this.hear(change);
      this.app.feed.on('change', onChange);
      this.stopWatching = async () => void this.app.feed.off('change', onChange);
    }
  }

  async stop(): Promise<void> {
    await this.stopWatching?.();
    clearTimeout(this.flushTimer);
    await this.publishing;
  }

  /** Connects a client; with `since`, the changes after that seq it may read come first, then live ones. */
  async connect(subscriber: Subscriber, since?: number): Promise<void> {
    const connection: Connection = {
      subscriber,
      readers: readersKeyOf(subscriber.who),
      replayed: new Set(),
      since,
      held: since === undefined ? undefined : [],
    };
    this.connections.set(subscriber, connection);
    if (since !== undefined) await this.replay(connection, since);
  }

  /** Forgets a client that went away, and tells those viewing what it viewed. */
  disconnect(subscriber: Subscriber) {
    const connection = this.connections.get(subscriber);
    if (!connection) return;
    this.connections.delete(subscriber);
    if (connection.viewing) this.tellViewers(connection.viewing);
  }

  /** The client views `target` (404 if it may not read it), or nothing; its viewers, old and new, hear who is there. */
  async view(subscriber: Subscriber, target: PresenceTarget | null): Promise<void> {
    if (target) await readable(reader(this.app, subscriber.who), target.type, target.id);
    const connection = this.connections.get(subscriber);
    if (!connection) return;
    const before = connection.viewing;
    connection.viewing = target ?? undefined;
    connection.editing = undefined;
    if (before) this.tellViewers(before);
    if (target) this.tellViewers(target);
  }

  /** The client edits entry `target` (404 if it may not read it), or none; those viewing the same object hear it. */
  async edit(subscriber: Subscriber, target: PresenceTarget | null): Promise<void> {
    if (target) await readable(reader(this.app, subscriber.who), 'entry', target.id);
    const connection = this.connections.get(subscriber);
    if (!connection) return;
    connection.editing = target?.id;
    if (connection.viewing) this.tellViewers(connection.viewing);
  }

  /** Hears one change of this process: the changes of one commit are heard together, and published together. */
  private hear(change: ChangeRecord) {
    this.incoming.push(change);
    this.schedule();
  }

  /** Publishes what was heard at once after a quiet spell, else once `frameIntervalMs` passed since the last time. */
  private schedule() {
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + this.limits.frameIntervalMs - performance.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.enqueue(() => this.flush());
    }, wait);
  }

  /** Publishes every change heard so far as one batch. */
  private async flush() {
    this.lastFlush = performance.now();
    const changes = this.incoming;
    const seqs = this.incomingSeqs;
    this.incoming = [];
    this.incomingSeqs = [];
    if (seqs.length > 0) {
      // A node without clients has nobody to tell: it need not read the changes.
      if (this.connections.size > 0) changes.push(...(await changesIn(readsOf(this.app.store), seqs)));
      else this.lastSeq = seqs.reduce((last, seq) => Math.max(last, seq), this.lastSeq);
    }
    await this.publish(changes);
  }

  private enqueue(work: () => Promise<void>) {
    this.publishing = this.publishing.then(work).catch(this.onError);
  }

  /** After the listening connection was lost: what committed meanwhile. */
  private async catchUp() {
    for (let round = 0; round * REPLAY_PAGE < this.limits.replayLimit; round++) {
      const page = await changesAfter(readsOf(this.app.store), this.lastSeq, REPLAY_PAGE);
      await this.publish(page);
      if (page.length < REPLAY_PAGE) return;
    }
  }

  private async publish(changes: readonly ChangeRecord[]) {
    if (changes.length === 0) return;
    for (const change of changes) this.react(change);
    this.lastSeq = Math.max(this.lastSeq, changes.at(-1)!.seq);
    if (this.connections.size === 0) return;
    const notices = changes.map(noticeOf);
    const groups = await this.groupsFor(notices);
    const heardBy = new Map<string, { notices: Notice[]; frame?: Buffer }>();
    for (const connection of this.connections.values()) {
      let heard = heardBy.get(connection.readers);
      if (!heard) {
        const who = connection.subscriber.who;
        heard = { notices: notices.filter((notice) => this.mayRead(who, notice, groups)) };
        heardBy.set(connection.readers, heard);
      }
      if (heard.notices.length === 0) continue;
      if (connection.held) {
        connection.held.push(...heard.notices);
        if (connection.held.length > this.limits.replayLimit)
          this.drop(connection, STREAM_CLOSE.slow, 'too many changes arrived while replaying; reconnect with since');
        continue;
      }
      // A change heard live after the replay ended may be one the client had already.
      const had = (notice: Notice) => hadAlready(connection, notice);
      if (connection.since === undefined || !heard.notices.some(had)) {
        heard.frame ??= frameOf(heard.notices);
        this.deliver(connection, heard.frame);
        continue;
      }
      const fresh = heard.notices.filter((notice) => !had(notice));
      if (fresh.length > 0) this.deliver(connection, frameOf(fresh));
    }
  }

  /** Forgets what a change makes stale, and disconnects clients whose account it changed. */
  private react(change: ChangeRecord) {
    const diff = (change.diff ?? {}) as Record<string, unknown>;
    // New groups on an object move its alerts' and entries' groups too: forget them all.
    if ('groups' in diff) this.groupsCache.clear();
    // A user's creation, heard after it connected, changed nothing it signed in with.
    const affected = (who: Principal) =>
      (change.type === 'user' && change.action !== 'create' && who.userId === change.target_id) ||
      (change.type === 'group' && change.action === 'delete' && who.groups.includes(String(diff.name)));
    for (const connection of [...this.connections.values()]) {
      if (affected(connection.subscriber.who)) {
        this.drop(connection, STREAM_CLOSE.accountChanged, 'your account changed; reconnect to go on');
      }
    }
  }

  private async replay(connection: Connection, since: number) {
    let after = since;
    for (let sent = 0; ; sent += REPLAY_PAGE) {
      const page = await changesAfter(readsOf(this.app.store), after, REPLAY_PAGE);
      if (page.length === 0) break;
      if (sent + page.length > this.limits.replayLimit) {
        const reason = `more than ${this.limits.replayLimit} changes since ${since}; reload, then reconnect without since`;
        return this.drop(connection, STREAM_CLOSE.tooFarBehind, reason);
      }
      const notices = page.map(noticeOf);
      const groups = await this.groupsFor(notices);
      // A client dropped as too slow, or gone, is replayed no further.
      if (!this.connections.has(connection.subscriber)) return;
      for (const notice of notices) connection.replayed.add(notice.seq);
      const readable = notices.filter((notice) => this.mayRead(connection.subscriber.who, notice, groups));
      if (readable.length > 0) this.deliver(connection, frameOf(readable));
      after = page.at(-1)!.seq;
      if (page.length < REPLAY_PAGE) break;
    }
    const held = connection.held ?? [];
    connection.held = undefined;
    const fresh = held.filter((notice) => !hadAlready(connection, notice));
    if (fresh.length > 0) this.deliver(connection, frameOf(fresh));
    // Only the newest replayed changes can still be heard live (committed before the replay read them).
    connection.replayed = new Set([...connection.replayed].filter((seq) => seq > after - REPLAY_PAGE));
  }

  private mayRead(who: Principal, notice: Notice, groups: Map<string, Groups>): boolean {
    if (!isWorkflowType(notice.type)) return who.admin && !flairedIn(notice);
    const objectGroups = groups.get(keyOf(notice.type, notice.id));
    return objectGroups !== undefined && canRead(who, objectGroups);
  }

  /** The groups of the objects the notices name: from the cache, the rest in one query per type. */
  private async groupsFor(notices: readonly Notice[]): Promise<Map<string, Groups>> {
    const found = new Map<string, Groups>();
    const missing = new Map<WorkflowType, Set<number>>();
    for (const { type, id } of notices) {
      if (!isWorkflowType(type)) continue;
      const cached = this.groupsCache.get(keyOf(type, id));
      if (cached) found.set(keyOf(type, id), cached);
      else missing.set(type, (missing.get(type) ?? new Set()).add(id));
    }
    for (const [type, ids] of missing) {
      for (const [id, row] of await groupColumnsOf(this.app.store.db, type, [...ids])) {
        const groups = this.groupListOf(row);
        found.set(keyOf(type, id), groups);
        this.remember(keyOf(type, id), groups);
      }
    }
    return found;
  }

  private groupListOf(row: Pick<TrackedRow, 'read_groups' | 'modify_groups'>): Groups {
    const key = `${row.read_groups}\n${row.modify_groups}`;
    let groups = this.groupLists.get(key);
    if (!groups) {
      if (this.groupLists.size >= GROUP_LISTS_MAX) this.groupLists.clear();
      groups = groupsOf(row);
      this.groupLists.set(key, groups);
    }
    return groups;
  }

  private remember(key: string, groups: Groups) {
    if (this.groupsCache.size >= GROUPS_CACHE_MAX) this.groupsCache.delete(this.groupsCache.keys().next().value!);
    this.groupsCache.set(key, groups);
  }

  /** Sends, unless the client let too much pile up: then it is disconnected rather than held in memory. */
  private deliver(connection: Connection, message: string | Buffer) {
    if (connection.subscriber.buffered() > this.limits.maxBufferedBytes) {
      return this.drop(
        connection,
        STREAM_CLOSE.slow,
        `too slow: more than ${this.limits.maxBufferedBytes} bytes waited to be sent`,
      );
    }
    connection.subscriber.send(message);
  }

  private drop(connection: Connection, code: number, reason: string) {
    this.disconnect(connection.subscriber);
    connection.subscriber.close(code, reason);
  }

  /** Tells the viewers of `target`, on this node and the others, who is there now. */
  private tellViewers(target: PresenceTarget) {
    if (this.announce) this.announceViewers(target);
    this.showViewers(target);
  }

  private localViewers(target: PresenceTarget): Connection[] {
    const key = keyOf(target.type, target.id);
    return [...this.connections.values()].filter((c) => c.viewing && keyOf(c.viewing.type, c.viewing.id) === key);
  }

  /** Sends this node's viewers of `target` the list of everyone viewing it, through any node. */
  private showViewers(target: PresenceTarget) {
    const here = this.localViewers(target);
    if (here.length === 0) return;
    const now = Date.now();
    const elsewhere = [...(this.remote.get(keyOf(target.type, target.id))?.values() ?? [])].filter((r) => r.until > now);
    const viewers = [...here.map(viewerOf), ...elsewhere.flatMap((r) => r.viewers)].sort(
      (a, b) => a.username.localeCompare(b.username) || (a.editing ?? 0) - (b.editing ?? 0),
    );
    const text = JSON.stringify({ presence: { type: target.type, id: target.id, viewers } });
    for (const viewer of here) this.deliver(viewer, text);
  }

  private announceViewers(target: PresenceTarget) {
    const viewers = this.localViewers(target).slice(0, PRESENCE_MAX_VIEWERS).map(viewerOf);
    this.announce?.(JSON.stringify({ node: this.node, type: target.type, id: target.id, viewers }));
  }

  /** The objects viewed through this node. */
  private viewedHere(): PresenceTarget[] {
    const targets = new Map<string, PresenceTarget>();
    for (const { viewing } of this.connections.values()) if (viewing) targets.set(keyOf(viewing.type, viewing.id), viewing);
    return [...targets.values()];
  }

  /** Forgets the viewers of nodes that stopped telling of them: nodes that died. */
  private forgetSilentNodes() {
    const now = Date.now();
    for (const [key, nodes] of this.remote) {
      for (const [node, { until }] of nodes) if (until <= now) nodes.delete(node);
      if (nodes.size === 0) this.remote.delete(key);
    }
  }

  /** Another node's viewers of an object: remembered until it tells again, or for a while after it stops. */
  private hearPresence(payload: string) {
    let said: { node?: unknown; type?: unknown; id?: unknown; viewers?: unknown };
    try {
      said = JSON.parse(payload);
    } catch {
      return;
    }
    if (said.node === this.node || typeof said.node !== 'string' || typeof said.type !== 'string' || !isWorkflowType(said.type))
      return;
    if (typeof said.id !== 'number' || !Array.isArray(said.viewers)) return;
    const target = { type: said.type, id: said.id };
    const key = keyOf(target.type, target.id);
    const nodes = this.remote.get(key) ?? new Map();
    if (said.viewers.length === 0) nodes.delete(said.node);
    else nodes.set(said.node, { viewers: said.viewers as Viewer[], until: Date.now() + 3 * PRESENCE_REFRESH_MS });
    if (nodes.size === 0) this.remote.delete(key);
    else this.remote.set(key, nodes);
    this.showViewers(target);
  }
}

const viewerOf = (c: Connection): Viewer => ({ username: c.subscriber.who.username, editing: c.editing ?? null });
