import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorCode, HTTP_STATUS } from '../error-codes.js';
import { errorBody } from '../errors.js';

/** Answers an upgrade request with a plain HTTP error (the code's status and the JSON error body) and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const status = HTTP_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
