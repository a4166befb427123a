import type { MessageEncoding } from '../hub/outbound-message.js';

/*
 * Server-Sent Events as the HTML standard defines them: `field: value` lines, a blank line ending
 * each message, `:` starting a comment. Every `data` here is one line of JSON text, which never
 * holds a raw line break (JSON escapes them inside strings).
 */

/**
 * A Hub message as a Server-Sent Event: `event: event` with `id: <seq>`, so that a reconnecting
 * reader's `Last-Event-ID` is the last seq it saw; `event: presence`, which takes no id.
 */
const SSE_ENCODING: MessageEncoding<Buffer> = {
  encode: (message) =>
    Buffer.from(
      message.seq === undefined
        ? `event: ${message.kind}\ndata: ${message.json}\n\n`
        : `id: ${message.seq}\nevent: ${message.kind}\ndata: ${message.json}\n\n`,
    ),
};

const CRLF = Buffer.from('\r\n');

/** Bytes as one chunk of a response in the chunked transfer coding (HTTP/1.1): size line, bytes, CRLF. */
function asChunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, CRLF]);
}

/** SSE_ENCODING, each message framed as one chunk of an HTTP/1.1 response: framed once, written as is to every stream. */
const SSE_CHUNKED_ENCODING: MessageEncoding<Buffer> = {
  encode: (message) => asChunk(SSE_ENCODING.encode(message)),
};

/** A named event of the stream itself (`ready`, `close`) with its JSON data. */
export function streamMessage(event: 'ready' | 'close', data: object): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The keepalive: a comment, which readers ignore and proxies see as traffic. */
const SSE_PING = Buffer.from(': ping\n\n');

/** How a stream's bytes go out: the Hub's messages, the stream's own (`frame`), and its ping. */
export interface SseFraming {
  readonly encoding: MessageEncoding<Buffer>;
  frame(bytes: Buffer): Buffer;
  readonly ping: Buffer;
}

/** For an HTTP/1.0 reader, which cannot take chunks: plain bytes (the response ends with its connection). */
export const PLAIN_FRAMING: SseFraming = { encoding: SSE_ENCODING, frame: (bytes) => bytes, ping: SSE_PING };

/** For HTTP/1.1: the chunked transfer coding, each Hub message framed once for every stream. */
export const CHUNKED_FRAMING: SseFraming = { encoding: SSE_CHUNKED_ENCODING, frame: asChunk, ping: asChunk(SSE_PING) };
