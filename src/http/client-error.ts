import type { Socket } from 'node:net';

/**
 * Answers requests Node refuses before any route sees them. A URL and headers over Node's 16 KB
 * (a pasted 1 MB search query) get 400 with SCOT's error body, as any other bad input does.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['408 Request Timeout', 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['400 Bad Request', 'the URL and headers exceed 16 KB; a search query holds at most 1000 characters']
        : ['400 Bad Request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
