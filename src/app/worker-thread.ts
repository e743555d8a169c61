import fs from 'node:fs';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a thread running the module `built` (a `.js` file's URL): the built server runs it; the
 * tests run the TypeScript source, so where it is missing the thread loads tsx (a devDependency)
 * and runs the `.ts` file beside it.
 */
export function startThread(built: URL, options: WorkerOptions = {}): Worker {
  if (fs.existsSync(built)) return new Worker(built, options);
  const source = new URL(built.href.replace(/\.js$/, '.ts'));
  const loader = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`,
    { ...options, eval: true },
  );
}
