import { EventEmitter, once } from 'node:events';
import { type Socket, connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { EventStreamParser, type StreamMessage } from '../../client/src/event-stream.js';
import { onEvent, when } from './eventually.js';

/** A request answered with something other than a stream: its status, headers and JSON body. */
export interface StreamRefusal {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { error: { code: string; message: string } };
}

const HEAD_END = '\r\n\r\n';

/**
 * A curl-like client on a bare TCP socket: it writes the request by hand, reads the status line
 * and headers, decodes the chunked body and parses Server-Sent Events out of it (with the client
 * library's parser). The test can pause and resume reading (the TCP socket itself), and waits
 * on `update`, emitted after every message, comment and the end.
 */
export class SseTestStream extends EventEmitter {
  /** Every message, unless opened with `keepEvents: false` (then all but the room events). */
  readonly messages: StreamMessage[] = [];
  readonly comments: string[] = [];
  /** The ids of the messages that had one (the room events' seqs), in order. */
  readonly ids: number[] = [];
  isEnded = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser = new EventStreamParser(
    (message) => this.take(message),
    (comment) => {
      this.comments.push(comment);
      this.emit('update');
    },
  );
  private chunked = Buffer.alloc(0);

  private constructor(
    readonly socket: Socket,
    readonly status: number,
    readonly headers: Record<string, string>,
    private readonly keepsEvents: boolean,
  ) {
    super();
  }

  /**
   * Sends `GET path` with `headers` (Accept: text/event-stream unless given); resolves to the
   * stream once a 200 came, or to the refusal and its body. `keepEvents: false` keeps a long
   * stream light: of the room events, only their ids.
   */
  static async open(
    baseUrl: string,
    path: string,
    headers: Record<string, string> = {},
    { keepEvents = true } = {},
  ): Promise<SseTestStream | StreamRefusal> {
    const url = new URL(baseUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    await once(socket, 'connect');
    const lines = Object.entries({ accept: 'text/event-stream', ...headers }).map(
      ([name, value]) => `${name}: ${value}`,
    );
    socket.write(`GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n${lines.join('\r\n')}${HEAD_END}`);
    let received = Buffer.alloc(0);
    while (!received.includes(HEAD_END)) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      received = Buffer.concat([received, chunk]);
    }
    const end = received.indexOf(HEAD_END);
    const [statusLine, ...headerLines] = received.toString('latin1', 0, end).split('\r\n');
    const status = Number(statusLine!.split(' ')[1]);
    const head = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    const rest = received.subarray(end + HEAD_END.length);
    if (status !== 200) return { status, headers: head, body: JSON.parse(await readToEnd(socket, rest)) };
    const stream = new SseTestStream(socket, status, head, keepEvents);
    socket.on('data', (chunk: Buffer) => stream.receive(chunk));
    socket.once('close', () => {
      stream.isEnded = true;
      stream.emit('update');
    });
    stream.receive(rest);
    return stream;
  }

  /** The data of every message named `event`, parsed. */
  data(event: string): Record<string, unknown>[] {
    return this.messages.filter((message) => message.event === event).map((message) => JSON.parse(message.data));
  }

  /** The seqs of the room events received, in order. */
  get seqs(): number[] {
    return this.data('event').map((event) => event.seq as number);
  }

  /** Resolves once `probe` holds, checked after each message, comment and the end. */
  waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return when(probe, onEvent(this, 'update'), timeoutMs, what);
  }

  /** Resolves once the server has ended the stream (or the connection closed). */
  ended(timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.isEnded, 'the end of the stream', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.chunked = Buffer.concat([this.chunked, chunk]);
    // Chunked transfer coding: a hex size line, that many bytes, CRLF; a size of 0 ends the body.
    for (;;) {
      const lineEnd = this.chunked.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = Number.parseInt(this.chunked.toString('latin1', 0, lineEnd), 16);
      if (size === 0) return;
      if (this.chunked.length < lineEnd + 2 + size + 2) return;
      this.parser.push(this.decoder.write(this.chunked.subarray(lineEnd + 2, lineEnd + 2 + size)));
      this.chunked = this.chunked.subarray(lineEnd + 2 + size + 2);
    }
  }

  private take(message: StreamMessage): void {
    if (message.id !== undefined) this.ids.push(Number(message.id));
    if (this.keepsEvents || message.event !== 'event') this.messages.push(message);
    this.emit('update');
  }
}

/** The body of a response that is not a stream (Connection: close): everything until the socket closes. */
async function readToEnd(socket: Socket, start: Buffer): Promise<string> {
  const chunks = [start];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  if (!socket.closed) await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}

/** Opens a stream, failing the test when the request is refused. */
export async function openStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
  options: { keepEvents?: boolean } = {},
) {
  const result = await SseTestStream.open(baseUrl, path, headers, options);
  if (!(result instanceof SseTestStream))
    throw new Error(`stream refused: ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}

/** Opens a stream that the server must refuse; resolves to the refusal, failing the test (closing the stream) when it is accepted. */
export async function refusedStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<StreamRefusal> {
  const result = await SseTestStream.open(baseUrl, path, headers);
  if (result instanceof SseTestStream) {
    result.close();
    throw new Error(`${path} was not refused`);
  }
  return result;
}
