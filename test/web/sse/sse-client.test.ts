import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../../src/web/hub/hub.js';
import type { ClientEnd } from '../../../src/web/hub/client-events.js';
import { eventMessage, presenceMessage } from '../../../src/web/hub/outbound-message.js';
import { SseClient } from '../../../src/web/sse/sse-client.js';
import { person, roomEvent } from '../../support/fakes/fixtures.js';

/**
 * A stand-in for node's ServerResponse and the socket under it: records the head, what is
 * written to the socket and what `end` sends; the test fires write callbacks and `close`.
 */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  writableLength = 0;
  head: { status: number; headers: Record<string, string | number> } | undefined;
  readonly written: string[] = [];
  readonly chunks: Buffer[] = [];
  readonly callbacks: (() => void)[] = [];
  destroyed = false;
  readonly req: { httpVersion: string };
  private readonly headers: Record<string, string> = {};
  readonly socket = {
    destroyed: false,
    cork: () => undefined,
    uncork: () => undefined,
    write: (chunk: Buffer, written?: () => void): boolean => {
      this.chunks.push(chunk);
      this.written.push(chunk.toString());
      if (written) this.callbacks.push(written);
      return true;
    },
  };

  constructor(httpVersion: string) {
    super();
    this.req = { httpVersion };
  }

  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  writeHead(status: number, headers: Record<string, string>): void {
    this.head = { status, headers: { ...this.headers, ...headers } };
    this.headersSent = true;
  }

  flushHeaders(): void {}

  end(chunk: Buffer): void {
    this.written.push(chunk.toString());
    this.writableEnded = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

const READY = { room: 'r', epoch: 'e', seq: 0, recovered: undefined };

/** A stream over a fake response; HTTP/1.0 unless told, so that what is written reads plainly (unchunked). */
function newClient(httpVersion = '1.0') {
  const res = new FakeResponse(httpVersion);
  const ends: ClientEnd[] = [];
  let starts = 0;
  const client = new SseClient(res as unknown as ServerResponse, person('ann'), 1024 * 1024, undefined, {
    started: () => (starts += 1),
    closed: (_client, end) => ends.push(end),
    closingAsSlowConsumer: () => undefined,
  });
  return { res, client, ends, starts: () => starts };
}

describe('SseClient', () => {
  it('writes nothing before start, then the 200 with the stream headers and ready', () => {
    const { res, client, starts } = newClient();
    client.keepAlive();
    expect(res.headersSent).toBe(false);
    client.start(READY);
    expect(res.head).toEqual({
      status: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
      },
    });
    expect(res.written).toEqual(['event: ready\ndata: {"room":"r","epoch":"e","seq":0}\n\n']);
    expect(starts()).toBe(1);
  });

  it('frames each message as one chunk for HTTP/1.1, framed once for every stream', () => {
    const [ann, bob] = [newClient('1.1'), newClient('1.1')];
    const event = eventMessage(roomEvent('r', 7));
    for (const { client } of [ann, bob]) {
      client.start(READY);
      client.deliver(event);
    }
    expect(ann.res.head?.headers['Transfer-Encoding']).toBe('chunked');
    const text = `id: 7\nevent: event\ndata: ${event.json}\n\n`;
    expect(ann.res.written[1]).toBe(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
    expect(bob.res.chunks[1]).toBe(ann.res.chunks[1]);
    expect(ann.res.written[0]).toMatch(/^[0-9a-f]+\r\nevent: ready\n/);
  });

  it('sends events with their seq as id and presence without one, each encoded once for every stream', () => {
    const [ann, bob] = [newClient(), newClient()];
    const event = eventMessage(roomEvent('r', 7));
    const presence = presenceMessage({ room: 'r', count: 0, users: [] });
    for (const { client } of [ann, bob]) {
      client.start(READY);
      client.deliver(event);
      client.deliver(presence);
    }
    expect(ann.res.written.slice(1)).toEqual([
      `id: 7\nevent: event\ndata: ${event.json}\n\n`,
      'event: presence\ndata: {"room":"r","count":0,"users":[]}\n\n',
    ]);
    expect(bob.res.chunks[1]).toBe(ann.res.chunks[1]);
    expect(bob.res.chunks[2]).toBe(ann.res.chunks[2]);
  });

  it('takes a keepalive tick before the stream began as a sign of life', () => {
    const { res, client } = newClient();
    client.keepAlive();
    client.keepAlive();
    expect(res.destroyed).toBe(false);
    expect(res.written).toEqual([]);
  });

  it("pings beside the queue, and cuts a reader that has not taken the last ping by the next tick ('missed-pong')", () => {
    const { res, client, ends } = newClient();
    client.start(READY);
    client.keepAlive();
    expect(res.written.at(-1)).toBe(': ping\n\n');
    res.callbacks.shift()!();
    client.keepAlive();
    expect(res.destroyed).toBe(false);
    client.keepAlive();
    expect(res.destroyed).toBe(true);
    res.emit('close');
    expect(ends).toEqual(['missed-pong']);
  });

  it('closed before it began (a shutdown while the room is read): begins, says close, ends', () => {
    const { res, client, starts } = newClient();
    client.close(1001, 'server shutting down');
    expect(res.head?.status).toBe(200);
    expect(res.written).toEqual(['event: close\ndata: {"code":1001,"reason":"server shutting down"}\n\n']);
    expect(res.writableEnded).toBe(true);
    expect(starts()).toBe(1);
    client.start(READY);
    expect(res.written).toHaveLength(1);
  });

  it('writes nothing when closed after the request was answered otherwise (an error body)', () => {
    const { res, client, starts } = newClient();
    res.headersSent = true;
    client.close(4001, 'token expired');
    expect(res.written).toEqual([]);
    expect(starts()).toBe(0);
  });

  it('ends with close 1000 when the Hub evicts it from its room (its user left)', () => {
    const { res, client } = newClient();
    const hub = new Hub((error) => {
      throw error;
    });
    hub.register(client);
    hub.subscribe(client, 'r', null);
    client.start(READY);
    hub.evict('r', 'ann');
    expect(res.written.at(-1)).toBe('event: close\ndata: {"code":1000,"reason":"left the room"}\n\n');
    expect(client.isOpen).toBe(false);
  });
});
