/**
 * The flair thread: extraction and rendering of the objects a batch names, off the main thread, so the
 * event loop and the single SQLite writer stay with requests. It is sent plain data and answers plain data.
 */
import { parentPort } from 'node:worker_threads';
import type { ExtractOptions } from '../domain/entity/extract.js';
import { extractOptionsOf, prepareObject, versionOf, type FlairRules, type PreparedFlair } from '../domain/entity/flair.js';

/** One chunk of objects to flair: their text, and the version of it already flaired, if any. */
export interface FlairTask {
  n: number;
  type: 'alert' | 'entry';
  rules: FlairRules;
  objects: { id: number; source: string; flaired?: string }[];
  force: boolean;
}

/** The answer to task `n`: the objects flaired, or why it failed. */
export type FlairAnswer = { n: number; prepared: PreparedFlair[] } | { n: number; error: string };

/** The options of the last rules seen: they change only when an admin edits entity types or the allow-list. */
let last: { rules: string; options: ExtractOptions } | undefined;

/** Flairs a task's objects whose text changed since it was last flaired (all of them when forced). */
export function runFlairTask(task: FlairTask): PreparedFlair[] {
  const rules = JSON.stringify(task.rules);
  if (last?.rules !== rules) last = { rules, options: extractOptionsOf(task.rules) };
  const prepared: PreparedFlair[] = [];
  for (const { id, source, flaired } of task.objects) {
    if (!task.force && flaired === versionOf(source)) continue;
    prepared.push(prepareObject(task.type, id, source, last.options));
  }
  return prepared;
}

parentPort?.on('message', (task: FlairTask) => {
  let answer: FlairAnswer;
  try {
    answer = { n: task.n, prepared: runFlairTask(task) };
  } catch (err) {
    answer = { n: task.n, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort!.postMessage(answer);
});
