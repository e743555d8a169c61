import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Client } from './server.js';

/**
 * A stream client that keeps every message it received, and waits for the ones a test expects; the notices
 * of a `{"notices": [...]}` frame are kept one by one, as messages, and the frames as they came.
 */
export class StreamClient {
  readonly messages: any[] = [];
  /** The notices of each frame, in the order the frames came. */
  readonly frames: any[][] = [];
  /** How the server closed the connection, once it did. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (Array.isArray(message.notices)) {
        this.frames.push(message.notices);
        this.messages.push(...message.notices);
      } else this.messages.push(message);
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Messages that are change notices (not presence, not errors). */
  get notices(): any[] {
    return this.messages.filter((m) => 'seq' in m);
  }

  /** Waits until `count` messages match `test` and returns them; fails after `ms`. */
  async waitFor(test: (message: any) => boolean, count = 1, ms = 5000): Promise<any[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.filter(test);
      if (found.length >= count) return found.slice(0, count);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`waited ${ms} ms for ${count} matching messages; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(message: unknown) {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  close() {
    this.socket.close();
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Connects `client` to the change stream, with `query` (e.g. `?since=12`); resolves once it is open. */
export async function openStream(client: Client, query = '', options: WebSocket.ClientOptions = {}): Promise<StreamClient> {
  const url = `${client.base.replace(/^http/, 'ws')}/stream${query}`;
  const headers: Record<string, string> = {};
  if (client.auth.key) headers.authorization = `Bearer ${client.auth.key}`;
  if (client.auth.cookie) headers.cookie = client.auth.cookie;
  const socket = new WebSocket(url, { headers, ...options });
  const stream = new StreamClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return stream;
}
