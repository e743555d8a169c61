import fs from 'node:fs';
import path from 'node:path';
import type { SqliteSync } from './store/dialect/sqlite.js';
import { DEFAULT_SQLITE_CACHE_MIB, DEFAULT_SQLITE_READ_THREADS, isPostgresUrl } from './store/index.js';

export interface Config {
  dataDir: string;
  databaseUrl: string;
  port: number;
  host: string;
  /** Sets the `admin` password on first start; when absent one is generated and printed once. */
  adminPassword?: string;
  /** Groups given to new objects when the request names none. */
  defaultGroups: { read: string[]; modify: string[] };
  /** Members of this group may do everything. */
  adminGroup: string;
  sessionHours: number;
  logLevel: LogLevel;
  /** When an SQLite commit reaches the disk (see SqliteSync); PostgreSQL has its own settings. */
  sqliteSync: SqliteSync;
  /** MiB of page cache each SQLite connection (the writer, the reader of lists) may hold; PostgreSQL has its own. */
  sqliteCacheMiB: number;
  /** Threads reading an SQLite file outside transactions, so no list holds the event loop; 0 reads on the main thread. */
  sqliteReadThreads: number;
  /** Trust X-Forwarded-* headers from a reverse proxy (for client address and https detection). */
  trustProxy: boolean;
  /** A folder of plugin modules (enrichers) loaded at start. */
  pluginDir?: string;
  /** The enrichers that run on new entities, by name: built-in or from a plugin. */
  enrichers: string[];
  /** MMDB files (e.g. MaxMind's GeoLite2-City and GeoLite2-ASN) the geoip enricher reads instead of the shipped databases. */
  geoipDb?: string[];
  /** The change-log consumers a node with background work runs, by name: all of CONSUMERS unless told. */
  consumers: Consumer[];
  /** Matches a list counts exactly; above it `totalRecordCount` is an estimate (`totalRecordCountExact: false`). */
  listCountBound: number;
}

/** The change-log consumers: flair of alerts and entries, and search indexing. */
export const CONSUMERS = ['flair', 'search'] as const;
export type Consumer = (typeof CONSUMERS)[number];

/** pino's levels; anything else is a typo that would otherwise stop the server at its first log line. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SQLITE_SYNCS: readonly SqliteSync[] = ['full', 'normal'];

/** Settings a config file may hold, with the environment variable that overrides each. */
const SETTINGS = {
  data_dir: 'SCOT_DATA_DIR',
  database_url: 'SCOT_DATABASE_URL',
  port: 'SCOT_PORT',
  host: 'SCOT_HOST',
  admin_password: 'SCOT_ADMIN_PASSWORD',
  default_groups: 'SCOT_DEFAULT_GROUPS',
  admin_group: 'SCOT_ADMIN_GROUP',
  session_hours: 'SCOT_SESSION_HOURS',
  log_level: 'SCOT_LOG_LEVEL',
  trust_proxy: 'SCOT_TRUST_PROXY',
  sqlite_sync: 'SCOT_SQLITE_SYNC',
  sqlite_cache_mb: 'SCOT_SQLITE_CACHE_MB',
  sqlite_read_threads: 'SCOT_SQLITE_READ_THREADS',
  plugin_dir: 'SCOT_PLUGIN_DIR',
  enrichers: 'SCOT_ENRICHERS',
  geoip_db: 'SCOT_GEOIP_DB',
  consumers: 'SCOT_CONSUMERS',
  list_count_bound: 'SCOT_LIST_COUNT_BOUND',
} as const;
type Setting = keyof typeof SETTINGS;

export class ConfigError extends Error {}

/**
 * Matches a list counts exactly by default: counting (and sampling, above it) a thousand rows costs
 * a millisecond or two; counting a million on every page cost hundreds.
 */
export const DEFAULT_LIST_COUNT_BOUND = 1000;

/**
 * Reads the config file (SCOT_CONFIG, else `scot.config.json` in the working folder when present),
 * then lets the environment override it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.SCOT_CONFIG ?? (fs.existsSync('scot.config.json') ? 'scot.config.json' : undefined);
  const fromFile: Partial<Record<Setting, unknown>> = file ? readConfigFile(file) : {};
  // An empty variable counts as unset (as every reader below treats ''), so it must not hide the file's value.
  const raw = (key: Setting): unknown => {
    const fromEnv = env[SETTINGS[key]];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile[key];
  };
  const text = (key: Setting, fallback: string) => {
    const v = raw(key);
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string') throw new ConfigError(`${key} must be a string`);
    return v;
  };
  const integer = (key: Setting, fallback: number, min: number, max: number) => {
    const v = raw(key);
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${key} (${SETTINGS[key]}) must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  const choice = <T extends string>(key: Setting, fallback: T, allowed: readonly T[]): T => {
    const v = text(key, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(`${key} (${SETTINGS[key]}) must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  };

  const dataDir = path.resolve(text('data_dir', './data'));
  const databaseUrl = text('database_url', path.join(dataDir, 'scot.sqlite'));
  if (!isPostgresUrl(databaseUrl) && /^[a-z]+:\/\//i.test(databaseUrl) && !databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(`database_url (SCOT_DATABASE_URL) must be a postgres:// URL or a SQLite file path, got ${databaseUrl}`);
  }
  // Unlike other settings, an empty SCOT_DEFAULT_GROUPS is not "unset": meant as "no groups", it must not become `ir`.
  const groups = env.SCOT_DEFAULT_GROUPS === '' ? '' : raw('default_groups');
  const groupsShape =
    'default_groups (SCOT_DEFAULT_GROUPS) must be {"read": [names], "modify": [names]} or a comma-separated list';
  let defaultGroups = { read: ['ir'], modify: ['ir'] };
  if (typeof groups === 'string') {
    const names = groups
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    defaultGroups = { read: names, modify: names };
  } else if (groups && typeof groups === 'object') {
    const g = groups as { read?: unknown; modify?: unknown };
    if (!isStringList(g.read) || !isStringList(g.modify)) throw new ConfigError(groupsShape);
    defaultGroups = { read: g.read, modify: g.modify };
  } else if (groups !== undefined) {
    throw new ConfigError(groupsShape);
  }
  // New objects no group may read would be lost to everyone but admins.
  if (defaultGroups.read.length === 0) {
    throw new ConfigError(
      `default_groups (SCOT_DEFAULT_GROUPS) names no group to read new objects, got ${JSON.stringify(groups)}`,
    );
  }
  const pluginDir = raw('plugin_dir') === undefined ? undefined : path.resolve(text('plugin_dir', '.'));
  if (pluginDir !== undefined && !isFolder(pluginDir))
    throw new ConfigError(`plugin_dir (SCOT_PLUGIN_DIR) must be a folder, got ${pluginDir}`);
  const geoipDb =
    raw('geoip_db') === undefined
      ? undefined
      : text('geoip_db', '.')
          .split(',')
          .map((file) => file.trim())
          .filter(Boolean)
          .map((file) => path.resolve(file));
  for (const file of geoipDb ?? []) {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new ConfigError(`geoip_db (SCOT_GEOIP_DB) must be an MMDB file or a comma-separated list of them, got ${file}`);
    }
  }
  const adminPassword = raw('admin_password');
  const trustProxy = raw('trust_proxy');
  return {
    dataDir,
    databaseUrl,
    port: integer('port', 8080, 0, 65535),
    host: text('host', '0.0.0.0'),
    adminPassword: typeof adminPassword === 'string' && adminPassword !== '' ? adminPassword : undefined,
    defaultGroups,
    adminGroup: text('admin_group', 'admin'),
    sessionHours: integer('session_hours', 24 * 7, 1, 24 * 365),
    logLevel: choice('log_level', 'info', LOG_LEVELS),
    sqliteSync: choice('sqlite_sync', 'full', SQLITE_SYNCS),
    sqliteCacheMiB: integer('sqlite_cache_mb', DEFAULT_SQLITE_CACHE_MIB, 1, 65536),
    sqliteReadThreads: integer('sqlite_read_threads', DEFAULT_SQLITE_READ_THREADS, 0, 16),
    trustProxy: trustProxy === true || trustProxy === 'true' || trustProxy === '1',
    pluginDir,
    enrichers: enricherNames(raw('enrichers')),
    geoipDb,
    consumers: consumerNames(raw('consumers')),
    listCountBound: integer('list_count_bound', DEFAULT_LIST_COUNT_BOUND, 1, 1_000_000),
  };
}

function readConfigFile(file: string): Partial<Record<Setting, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  for (const key of Object.keys(parsed)) {
    if (!(key in SETTINGS))
      throw new ConfigError(`config file ${file}: unknown setting "${key}" (known: ${Object.keys(SETTINGS).join(', ')})`);
  }
  return parsed as Partial<Record<Setting, unknown>>;
}

const isFolder = (dir: string) => fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;

/** An enricher's name: it is also its key in an entity's `data`. */
export const ENRICHER_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** The `enrichers` setting: a list or a comma-separated string of names, `none` for no enrichment; geoip by default. */
function enricherNames(v: unknown): string[] {
  if (v === undefined || v === '') return ['geoip'];
  const names = typeof v === 'string' ? (v.trim() === 'none' ? [] : v.split(',').map((n) => n.trim())) : v;
  if (!isStringList(names) || names.some((n) => !ENRICHER_NAME.test(n))) {
    throw new ConfigError(
      `enrichers (SCOT_ENRICHERS) must list enricher names such as "geoip,reverse-dns", or be "none"; got ${JSON.stringify(v)}`,
    );
  }
  return [...new Set(names)];
}

/** The `consumers` setting: a list or a comma-separated string of CONSUMERS, `none` for none; all by default. */
function consumerNames(v: unknown): Consumer[] {
  if (v === undefined || v === '') return [...CONSUMERS];
  const names = typeof v === 'string' ? (v.trim() === 'none' ? [] : v.split(',').map((n) => n.trim())) : v;
  if (!isStringList(names) || names.some((n) => !(CONSUMERS as readonly string[]).includes(n))) {
    throw new ConfigError(`consumers (SCOT_CONSUMERS) must list ${CONSUMERS.join(', ')}, or be "none"; got ${JSON.stringify(v)}`);
  }
  return [...new Set(names as Consumer[])];
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
