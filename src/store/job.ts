import { sql, type Selectable } from 'kysely';
import type { DialectRules } from './dialect/rules.js';
import type { Executor } from './index.js';
import type { JobTable } from './schema.js';

/** A stored job. */
export type JobRow = Selectable<JobTable>;

/** Statuses of a job still to run; a job's key is unique among these. */
const TO_RUN = ['pending', 'running', 'failed'];
/** Statuses a worker may claim once `run_at` has come. */
const DUE = ['pending', 'failed'];

/** What enqueueing stores; a new job is pending with no attempts yet. */
export interface NewJob {
  kind: string;
  payload: string;
  runAt: number;
  maxAttempts: number;
  key: string | null;
  now: number;
}

/** Inserts a job unless one with its key is still to run; the id of the job inserted or found. */
export async function insertJob(db: Executor, job: NewJob): Promise<{ id: number; created: boolean }> {
  // Bounded: the job found by key may end between the two statements, making room for this one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insertInto('job')
      .values({
        kind: job.kind,
        payload: job.payload,
        status: 'pending',
        attempts: 0,
        max_attempts: job.maxAttempts,
        run_at: job.runAt,
        key: job.key,
        created: job.now,
        updated: job.now,
      })
      .onConflict((oc) => oc.column('key').where(sql<boolean>`status in ('pending', 'running', 'failed')`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: Number(inserted.id), created: true };
    const existing = await db
      .selectFrom('job')
      .select('id')
      .where('key', '=', job.key)
      .where('status', 'in', TO_RUN)
      .executeTakeFirst();
    if (existing) return { id: Number(existing.id), created: false };
  }
  throw new Error(`job key ${job.key} keeps changing hands; enqueue it again`);
}

/** Rows per multi-row job insert: 8 values a row stays far below both engines' bind-parameter limits. */
const INSERT_CHUNK = 500;

/** Inserts many keyless jobs in a few statements: work fanned out over many new rows at once. */
export async function insertJobs(db: Executor, jobs: readonly Omit<NewJob, 'key'>[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    const rows = jobs.slice(i, i + INSERT_CHUNK).map((job) => ({
      kind: job.kind,
      payload: job.payload,
      status: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts,
      run_at: job.runAt,
      created: job.now,
      updated: job.now,
    }));
    await db.insertInto('job').values(rows).execute();
  }
}

/** Job `id`, in any status. */
export async function jobById(db: Executor, id: number): Promise<JobRow | undefined> {
  return db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Jobs whose worker stopped renewing its lease (it was killed, or lost the database) become due
 * again at once, or dead when they have used their attempts. How many it found.
 */
export async function reapExpiredLeases(db: Executor, now: number): Promise<number> {
  const result = await db
    .updateTable('job')
    .set({
      status: sql`case when attempts >= max_attempts then 'dead' else 'failed' end`,
      finished: sql`case when attempts >= max_attempts then cast(${now} as bigint) else null end`,
      run_at: now,
      lease_owner: null,
      lease_until: null,
      last_error: 'its worker stopped before it ended (lease expired)',
      updated: now,
    })
    .where('status', '=', 'running')
    .where('lease_until', '<', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Leases up to `limit` due jobs of `kind` to `owner`, oldest due first, counting the attempt. */
export async function claimJobs(
  db: Executor,
  rules: DialectRules,
  claim: { kind: string; owner: string; now: number; leaseUntil: number; limit: number },
): Promise<JobRow[]> {
  const due = db
    .selectFrom('job')
    .select('id')
    .where('kind', '=', claim.kind)
    .where('status', 'in', DUE)
    .where('run_at', '<=', claim.now)
    .orderBy('run_at')
    .orderBy('id')
    .limit(claim.limit);
  const claimed = await db
    .updateTable('job')
    .set({
      status: 'running',
      attempts: sql`attempts + 1`,
      lease_owner: claim.owner,
      lease_until: claim.leaseUntil,
      updated: claim.now,
    })
    .where('id', 'in', rules.skipLocked(due))
    .where('status', 'in', DUE)
    .returningAll()
    .execute();
  // An update returns its rows in no particular order; jobs start in the order they were due.
  return claimed.sort((a, b) => Number(a.run_at) - Number(b.run_at) || Number(a.id) - Number(b.id));
}

/** Extends `owner`'s leases on `ids`; the ids it still holds (a job reaped meanwhile is not among them). */
export async function renewLeases(db: Executor, owner: string, ids: readonly number[], until: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('job')
    .set({ lease_until: until })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .where('id', 'in', ids)
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

/** How a leased job ends: done, failed (retried at `run_at`), dead, or handed back untouched. */
export type JobEnd =
  | { status: 'done' }
  | { status: 'failed'; error: string; runAt: number }
  | { status: 'dead'; error: string }
  | { status: 'pending'; runAt: number };

/** Ends `owner`'s lease on job `id` as `end` says; false when the lease was no longer theirs. */
export async function endJob(db: Executor, id: number, owner: string, end: JobEnd, now: number): Promise<boolean> {
  const finished = end.status === 'done' || end.status === 'dead' ? now : null;
  const result = await db
    .updateTable('job')
    .set({
      status: end.status,
      lease_owner: null,
      lease_until: null,
      updated: now,
      finished,
      ...('error' in end ? { last_error: end.error } : {}),
      ...('runAt' in end ? { run_at: end.runAt } : {}),
      // A job handed back on shutdown did not really try: the next worker gets the attempt back.
      ...(end.status === 'pending' ? { attempts: sql`attempts - 1` } : {}),
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records how far a running job of `owner` has come. */
export async function setJobProgress(
  db: Executor,
  id: number,
  owner: string,
  done: number,
  total: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('job')
    .set({ progress_done: done, progress_total: total, updated: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

/** Makes a failed or dead job due now with all its attempts again; the row, or undefined when it is not failed or dead. */
export async function requeueJob(db: Executor, id: number, now: number): Promise<JobRow | undefined> {
  return db
    .updateTable('job')
    .set({ status: 'pending', attempts: 0, run_at: now, finished: null, updated: now })
    .where('id', '=', id)
    .where('status', 'in', ['failed', 'dead'])
    .returningAll()
    .executeTakeFirst();
}

/** How many jobs of each kind are in each status. */
export async function jobCounts(db: Executor): Promise<{ kind: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('job')
    .select(['kind', 'status', (eb) => eb.fn.countAll().as('n')])
    .groupBy(['kind', 'status'])
    .orderBy('kind')
    .execute();
  return rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
}

/** The most recently changed jobs in `statuses`, newest first. */
export async function recentJobs(db: Executor, statuses: readonly string[], limit: number): Promise<JobRow[]> {
  return db
    .selectFrom('job')
    .selectAll()
    .where('status', 'in', statuses)
    .orderBy('updated', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Deletes jobs that ended well before `before`; how many. */
export async function deleteDoneJobs(db: Executor, before: number): Promise<number> {
  const result = await db.deleteFrom('job').where('status', '=', 'done').where('finished', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** When schedule `name` is next due, recording `first` as that time if it has none yet. */
export async function scheduleDueAt(db: Executor, name: string, first: number): Promise<number> {
  await db
    .insertInto('job_schedule')
    .values({ name, next_at: first })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('job_schedule').select('next_at').where('name', '=', name).executeTakeFirstOrThrow();
  return Number(row.next_at);
}

/** Moves schedule `name` from due time `from` to `to`; false when another node moved it first. */
export async function advanceSchedule(db: Executor, name: string, from: number, to: number): Promise<boolean> {
  const result = await db
    .updateTable('job_schedule')
    .set({ next_at: to })
    .where('name', '=', name)
    .where('next_at', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
