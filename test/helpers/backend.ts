import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshPostgresDatabase, postgresUnavailable } from './postgres.js';

/** A database for one test file: a SQLite file in a temporary folder, or a fresh PostgreSQL database. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why this backend's tests are skipped, if they are. */
  skip?: string;
  create(): Promise<{ url: string; dataDir: string; dispose(): Promise<void> }>;
}

export function tempDir(prefix = 'scot-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** SQLite always; PostgreSQL whenever one is reachable on loopback. */
export async function backends(): Promise<Backend[]> {
  const sqlite: Backend = {
    name: 'sqlite',
    async create() {
      const dataDir = tempDir();
      return {
        url: path.join(dataDir, 'scot.sqlite'),
        dataDir,
        dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  };
  const postgres: Backend = {
    name: 'postgres',
    skip: await postgresUnavailable(),
    async create() {
      const dataDir = tempDir();
      const db = await freshPostgresDatabase();
      return {
        url: db.url,
        dataDir,
        async dispose() {
          await db.drop();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
  return [sqlite, postgres];
}
