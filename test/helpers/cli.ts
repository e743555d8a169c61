import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../../src/app/context.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { Backend } from './backend.js';
import { testConfig } from './store.js';

/** The checkout, where a user runs `scot` from. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Node's arguments for `scot` run from source in the checkout. */
const CLI = ['--import', 'tsx', path.join('src', 'cli', 'main.ts')];

/** A port nobody listens on now: the system picks one for a probe that is closed again. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** This process's environment without any SCOT setting, plus `settings`: what a user's shell would hold. */
export function userEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('SCOT_') && name !== 'NODE_TEST_CONTEXT');
  return { ...Object.fromEntries(inherited), ...settings };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `scot` command to its end, with `stdin` piped in (not a terminal). */
export function scot(env: NodeJS.ProcessEnv, args: string[], stdin: string | Buffer = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** `scot <args>` that must succeed; its stdout. */
export async function scotOk(env: NodeJS.ProcessEnv, args: string[], stdin = ''): Promise<string> {
  const run = await scot(env, args, stdin);
  assert.equal(run.code, 0, `scot ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

/** `scot <args>` that must fail the way the operating contract says: non-zero, one line on stderr. */
export async function scotFails(env: NodeJS.ProcessEnv, args: string[], stdin = ''): Promise<string> {
  const run = await scot(env, args, stdin);
  assert.notEqual(run.code, 0, `scot ${args.join(' ')} succeeded: ${run.stdout}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `scot ${args.join(' ')} wrote ${lines.length} lines on stderr:\n${run.stderr}`);
  assert.ok(lines[0].trim().length > 0, `scot ${args.join(' ')} failed silently`);
  return lines[0];
}

/** A running `scot serve`, whose output the test reads as it comes. */
export class Served {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: NodeJS.ProcessEnv, args: string[] = []) {
    this.child = spawn(process.execPath, [...CLI, 'serve', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in stdout, waiting for it to be printed. */
  async waitFor(pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match;
      if (!this.running) throw new Error(`scot serve exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`scot serve did not print ${pattern} in ${ms} ms:\n${this.stdout}\n${this.stderr}`);
      await sleep(50);
    }
  }

  /** Sends SIGTERM and waits for the exit; a server that does not stop is killed and reported. */
  async stop(ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    const outcome = await Promise.race([this.exited, timer]);
    if (outcome !== 'timeout') return outcome;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`scot serve did not stop within ${ms} ms of SIGTERM`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh database of `backend` for the enclosing suite, opened before its tests and dropped after
 * them: an app on it, and the environment a user's `scot` runs with against it.
 */
export function cliDatabase(backend: Backend): () => { app: App; env: NodeJS.ProcessEnv } {
  let database: Awaited<ReturnType<Backend['create']>> | undefined;
  let store: Store | undefined;
  let open: { app: App; env: NodeJS.ProcessEnv } | undefined;
  before(async () => {
    database = await backend.create();
    store = await openStore(database.url);
    open = {
      app: createApp(store, testConfig(database.dataDir, database.url)),
      env: userEnv({ SCOT_DATA_DIR: database.dataDir, SCOT_DATABASE_URL: database.url }),
    };
  });
  after(async () => {
    await store?.close();
    await database?.dispose();
  });
  return () => {
    if (!open) throw new Error('the database is not open yet');
    return open;
  };
}
