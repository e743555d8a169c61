import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { ChangeRecord } from '../store/change.js';

/** What every use case needs: the store, the settings, a clock, and the feed of committed changes. */
export interface App {
  store: Store;
  config: Config;
  /** Emits `change` with a ChangeRecord after each commit, for real-time pushes and derived work. */
  feed: EventEmitter<{ change: [ChangeRecord] }>;
  /** Epoch seconds. */
  now(): number;
}

export function createApp(store: Store, config: Config): App {
  return { store, config, feed: new EventEmitter(), now: () => Math.floor(Date.now() / 1000) };
}
