#!/usr/bin/env -S node --max-semi-space-size=4
// Node's command line is the only place V8 takes this from, so the `#!` line gives it and `npm start`
// runs this file through it. Each of the young generation's two semi-spaces stops at 4 MiB instead of
// 16: under ingest V8 grows them to their largest and keeps them resident, about 30 MB of the server's
// memory, for collections that are more frequent but each shorter.
import { Command, CommanderError, Option } from 'commander';
import os from 'node:os';
import { apikeysOf, createApikey, revokeApikey } from '../app/auth.js';
import { createApp, type App } from '../app/context.js';
import { generatePassword } from '../app/secret.js';
import { createUser, resetAdmin, updateUserAccount, userIdByName, usersPage } from '../app/user.js';
import { loadConfig } from '../config.js';
import { AppError } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { openStore } from '../store/index.js';
import { migrateToLatest } from '../store/migrate.js';
import { runExtract } from './extract.js';
import { readSecret } from './prompt.js';
import { addReflairCommand } from './reflair.js';
import { addJobsCommand } from './jobs.js';
import { addSearchCommand } from './search.js';
import { ROLES, serve, type Role } from './serve.js';

/** The CLI acts as an admin; history names the operating-system user who ran it. */
const cliPrincipal = (): Principal => ({ userId: 0, username: `cli:${os.userInfo().username}`, groups: [], admin: true });

/** Runs `work` against the configured store, closing it afterwards. */
async function withApp<T>(work: (app: App) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config.databaseUrl, config);
  try {
    return await work(createApp(store, config));
  } finally {
    await store.close();
  }
}

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const program = new Command('scot').description('SCOT incident-response management: server and admin commands').exitOverride();

program
  .command('serve')
  .description('migrate the database and start the server (settings from SCOT_* environment or scot.config.json)')
  .option('--port <port>', 'port to listen on (SCOT_PORT, default 8080)')
  .option('--host <host>', 'address to listen on (SCOT_HOST, default 0.0.0.0)')
  .addOption(
    new Option(
      '--role <role>',
      'all: API and background jobs in one process; api: HTTP only; worker: background jobs only (PostgreSQL runs any number of each)',
    )
      .choices(ROLES)
      .default('all'),
  )
  .action(async (opts: { port?: string; host?: string; role: Role }) => {
    const config = loadConfig({
      ...process.env,
      ...(opts.port ? { SCOT_PORT: opts.port } : {}),
      ...(opts.host ? { SCOT_HOST: opts.host } : {}),
    });
    await serve(config, opts.role);
  });

program
  .command('migrate')
  .description('bring the database schema up to date (safe to repeat)')
  .action(async () => {
    const config = loadConfig();
    const store = await openStore(config.databaseUrl, { ...config, migrate: false });
    try {
      const applied = await migrateToLatest(store.db, store.kind);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
    } finally {
      await store.close();
    }
  });

const user = program.command('user').description('manage users');
user
  .command('add <username>')
  .description('create a user; the password is read from stdin (or prompted) unless --password or --no-password')
  .option('-g, --group <group>', 'a group to join (repeat, or separate with commas)', collect, [])
  .option('--fullname <name>', 'full name')
  .option('--password <password>', 'the password (prefer stdin: this shows in the process list)')
  .option('--no-password', 'no password: the user can only use API keys')
  .option('--admin', 'make the user an admin (adds the admin group, SCOT_ADMIN_GROUP)')
  .action(async (username: string, opts: { group: string[]; fullname?: string; password?: string | false; admin?: boolean }) => {
    const password = opts.password === false ? undefined : (opts.password ?? (await readSecret(`password for ${username}`)));
    const created = await withApp((app) => {
      const groups = opts.admin ? [...opts.group, app.config.adminGroup] : opts.group;
      return createUser(app, cliPrincipal(), { username, fullname: opts.fullname, password, groups });
    });
    console.log(`created user ${created.username} (id ${created.id}) in groups: ${created.groups.join(', ') || '(none)'}`);
  });
user
  .command('list')
  .description('list users')
  .action(async () => {
    const { records } = await withApp((app) => usersPage(app, { limit: 100000, offset: 0 }));
    for (const u of records) {
      console.log([u.username, u.disabled ? 'disabled' : 'active', u.groups.join(',') || '-', u.fullname].join('\t'));
    }
  });
user
  .command('passwd <username>')
  .description('set a password (read from stdin when not a terminal); the forgotten-password path for admin')
  .action(async (username: string) => {
    const password = await readSecret(`new password for ${username}`);
    await withApp(async (app) => updateUserAccount(app, cliPrincipal(), await userIdByName(app, username), { password }));
    console.log(`password of ${username} changed; their sessions are signed out`);
  });
user
  .command('reset-admin')
  .description(
    'make "admin" an enabled admin again (creating it if needed) with a new password: SCOT_ADMIN_PASSWORD, ' +
      'else the first line of stdin when not a terminal, else a generated one printed once',
  )
  .action(async () => {
    const { created, generated } = await withApp(async (app) => {
      const given = app.config.adminPassword ?? (process.stdin.isTTY ? '' : await readSecret('admin password'));
      const password = given || generatePassword();
      return { ...(await resetAdmin(app, cliPrincipal(), password)), generated: given ? undefined : password };
    });
    console.log(
      `user admin ${created ? 'created' : 'enabled'}, in the admin group, with a new password; its sessions are signed out`,
    );
    if (generated) console.log(`password (shown only now): ${generated}`);
  });
for (const [name, disabled] of [
  ['disable', true],
  ['enable', false],
] as const) {
  user
    .command(`${name} <username>`)
    .description(`${name} a user${disabled ? ': sign-in, sessions and API keys stop working' : ''}`)
    .action(async (username: string) => {
      await withApp(async (app) => updateUserAccount(app, cliPrincipal(), await userIdByName(app, username), { disabled }));
      console.log(`user ${username} ${name}d`);
    });
}

const apikey = program.command('apikey').description('manage API keys for detection systems and scripts');
apikey
  .command('create')
  .description('create an API key; the key is printed alone on the last line')
  .requiredOption('--user <username>', 'the user the key acts as')
  .option('--name <label>', 'what the key is for', 'api')
  .action(async (opts: { user: string; name: string }) => {
    const key = await withApp((app) => createApikey(app, cliPrincipal(), opts.user, opts.name));
    console.log(`API key ${key.id} "${key.name}" for ${key.username} (shown only now):`);
    console.log(key.key);
  });
apikey
  .command('revoke <id>')
  .description('revoke an API key by its id')
  .action(async (id: string) => {
    if (!/^\d+$/.test(id)) throw new AppError(400, `apikey id must be a number, got "${id}"`);
    await withApp((app) => revokeApikey(app, cliPrincipal(), Number(id)));
    console.log(`API key ${id} revoked`);
  });
apikey
  .command('list')
  .description('list API keys (never the keys themselves)')
  .action(async () => {
    const keys = await withApp((app) => apikeysOf(app, cliPrincipal()));
    for (const k of keys) console.log([k.id, k.username, k.name, `${k.prefix}…`, k.revoked_at ? 'revoked' : 'active'].join('\t'));
  });

addJobsCommand(program, withApp, cliPrincipal());
addReflairCommand(program, withApp, cliPrincipal());

program
  .command('extract')
  .description('print the entities in the text on stdin as JSON: {"entities":[{"type","value","start","end"}]}')
  .option('--lines', 'each stdin line is a JSON string; print one result line for each')
  .option('--html', 'the text is HTML: find entities in the text it shows; offsets index the HTML')
  .action(async (opts: { lines?: boolean; html?: boolean }) => {
    await runExtract(opts, process.stdin, process.stdout);
  });

addSearchCommand(program, withApp, cliPrincipal());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  console.error(`scot: ${(err as Error).message}`);
  process.exit(1);
}
