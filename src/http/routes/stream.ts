import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { App } from '../../app/context.js';
import { StreamHub, type StreamLimits, type Subscriber } from '../../app/stream.js';
import { AppError } from '../../domain/error.js';
import { parseStreamMessage, STREAM_QUERY, type StreamQuery } from '../../domain/input/stream.js';
import { principal } from '../auth.js';

/** How the stream treats its clients; tests shorten the heartbeat. */
export interface StreamOptions extends StreamLimits {
  /** Between pings; a client that did not answer the last ping by the next one is dropped (default 30 s). */
  heartbeatMs: number;
  /** Messages a client may send at once before it must slow to `messagesPerSecond` (default 20). */
  messageBurst: number;
  /** Messages a second a client may keep sending (default 5): presence changes as an analyst clicks. */
  messagesPerSecond: number;
}

const DEFAULTS = { heartbeatMs: 30_000, messageBurst: 20, messagesPerSecond: 5 };

/** The largest message a client may send: presence messages are tiny. */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;

/** WebSocket close reasons are at most 123 bytes. */
const reasonOf = (text: string) => Buffer.from(text).subarray(0, 123).toString();

/**
 * `GET /stream`: a WebSocket of change notices for what the caller may read, and of who views and
 * edits what; `?since=<seq>` first replays what a reconnecting client missed.
 */
export function streamRoutes(server: FastifyInstance, app: App, options: Partial<StreamOptions> = {}) {
  const settings = { ...DEFAULTS, ...options };
  const hub = new StreamHub(app, settings, (err) => server.log.error({ err }, 'streaming changes failed'));
  // Whether each client answered the last ping: one timer pings every client.
  const answered = new Map<WebSocket, boolean>();
  const heartbeat = setInterval(() => {
    for (const [socket, alive] of answered) {
      if (!alive) {
        socket.terminate();
        continue;
      }
      answered.set(socket, false);
      socket.ping();
    }
  }, settings.heartbeatMs);
  heartbeat.unref();
  server.addHook('onReady', () => hub.start());
  server.addHook('onClose', async () => {
    clearInterval(heartbeat);
    await hub.stop();
  });

  server.route<{ Querystring: StreamQuery }>({
    method: 'GET',
    url: '/stream',
    schema: { querystring: STREAM_QUERY },
    handler: async (request, reply) => {
      reply.status(426);
      return { error: `${request.url.split('?')[0]} is a WebSocket: connect with an "Upgrade: websocket" request` };
    },
    wsHandler: (socket, request) => {
      const subscriber: Subscriber = {
        who: principal(request),
        // Bytes go out as a text frame: every message of the stream is JSON.
        send: (message) => socket.send(message, { binary: false }),
        buffered: () => socket.bufferedAmount,
        close: (code, reason) => socket.close(code, reasonOf(reason)),
      };
      const refuse = (code: number, error: string, field: string) => {
        socket.send(JSON.stringify({ error, field }));
        socket.close(code, reasonOf(error));
      };
      let presence = Promise.resolve();
      let tokens = settings.messageBurst;
      let filled = performance.now();
      answered.set(socket, true);
      socket.on('pong', () => answered.set(socket, true));
      socket.on('close', () => {
        answered.delete(socket);
        hub.disconnect(subscriber);
      });
      socket.on('message', (data, isBinary) => {
        const now = performance.now();
        tokens = Math.min(settings.messageBurst, tokens + ((now - filled) / 1000) * settings.messagesPerSecond);
        filled = now;
        if (tokens < 1) {
          return refuse(
            1008,
            `too many messages: at most ${settings.messageBurst} at once, then ${settings.messagesPerSecond} a second`,
            '(message)',
          );
        }
        tokens -= 1;
        if (isBinary) return refuse(1003, 'binary messages are not accepted; send JSON text', '(message)');
        let message: ReturnType<typeof parseStreamMessage>;
        try {
          message = parseStreamMessage(data.toString());
        } catch (err) {
          if (err instanceof AppError) return refuse(1008, err.message, err.field ?? '(message)');
          throw err;
        }
        const field = 'viewing' in message ? 'viewing.id' : 'editing.id';
        const act = () => ('viewing' in message ? hub.view(subscriber, message.viewing) : hub.edit(subscriber, message.editing));
        // One message at a time: "view this event, then edit its entry" must not end the other way round.
        presence = presence.then(act).catch((err) => {
          // Naming an object the client may not read is an answer, not a reason to disconnect it.
          if (err instanceof AppError) return socket.send(JSON.stringify({ error: err.message, field: err.field ?? field }));
          server.log.error({ err }, 'presence failed');
          socket.close(1011, 'internal error; the server log has the details');
        });
      });
      const since = request.query.since === undefined ? undefined : Number(request.query.since);
      hub.connect(subscriber, since).catch((err) => {
        server.log.error({ err }, 'replaying changes failed');
        socket.close(1011, 'internal error; the server log has the details');
      });
    },
  });
}
