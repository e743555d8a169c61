import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout, where a user runs `scot` from. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Node's arguments for `scot` run from source in the checkout. */
const CLI = ['--import', 'tsx', path.join('src', 'cli', 'main.ts')];

/** How one `scot` command ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `scot` command to its end with `stdin` piped in and no SCOT_* setting from this process. */
export function runScot(args: string[], stdin: string | Buffer = ''): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SCOT_') && name !== 'NODE_TEST_CONTEXT'));
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
