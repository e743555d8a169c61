import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type Config } from '../config.js';
import { checkEnricher, type Enricher } from './enricher.js';
import { geoipEnricher } from './geoip.js';
import { reverseDnsEnricher } from './reverse-dns.js';

/** Files in the plugin folder that are loaded as modules. */
const MODULE_FILE = /\.(js|mjs)$/;

/** The enricher each module in `dir` exports by default, in file-name order. */
export async function loadPlugins(dir: string): Promise<Enricher[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => MODULE_FILE.test(f))
    .sort();
  const enrichers: Enricher[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const module = (await import(pathToFileURL(full).href)) as { default?: unknown };
    enrichers.push(checkEnricher(module.default, `plugin ${full}`));
  }
  return enrichers;
}

/** The enrichers `config.enrichers` lists, from the built-ins and the plugin folder; a name none of them has is an error. */
export async function listedEnrichers(config: Config): Promise<Enricher[]> {
  const available = new Map<string, Enricher>();
  for (const e of [geoipEnricher(config.geoipDb), reverseDnsEnricher()]) available.set(e.name, e);
  for (const e of config.pluginDir ? await loadPlugins(config.pluginDir) : []) {
    if (available.has(e.name)) throw new ConfigError(`plugin_dir ${config.pluginDir}: two enrichers are named "${e.name}"`);
    available.set(e.name, e);
  }
  return config.enrichers.map((name) => {
    const enricher = available.get(name);
    if (!enricher) {
      throw new ConfigError(
        `enrichers (SCOT_ENRICHERS) names "${name}", which is neither built in nor a plugin; known: ${[...available.keys()].join(', ')}`,
      );
    }
    return enricher;
  });
}

const loaded = new WeakMap<Config, Promise<Enricher[]>>();

/** The listed enrichers of `config`, loaded once per config. */
export function enrichersOf(config: Config): Promise<Enricher[]> {
  let enrichers = loaded.get(config);
  if (!enrichers) loaded.set(config, (enrichers = listedEnrichers(config)));
  return enrichers;
}
