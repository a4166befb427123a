import WebSocket from 'ws';
import {
  type ConnectOptions,
  type Environment,
  type Room,
  type RoomcastClient,
  connect,
} from '../../client/src/index.js';
import type { RoomEvent } from '../../client/src/index.js';

/** A client that records what it saw, for a test to wait on and assert. */
export interface RecordedClient {
  readonly client: RoomcastClient;
  readonly states: string[];
  readonly retries: { attempt: number; delayMs: number; closeCode?: number }[];
  readonly errors: string[];
}

/** Connects with the `ws` package's WebSocket (Node 20 has no global one) and records states, retries and errors. */
export function connectRecorded(options: Omit<ConnectOptions, 'WebSocket'>): RecordedClient {
  const client = connect({ ...options, WebSocket });
  const recorded: RecordedClient = { client, states: [client.state], retries: [], errors: [] };
  client.on('state', ({ state }) => recorded.states.push(state));
  client.on('retry', (retry) => recorded.retries.push(retry));
  client.on('error', (error) => recorded.errors.push(error.code));
  return recorded;
}

/** Every event a room delivered, in delivery order. */
export function recordEvents(room: Room): RoomEvent[] {
  const events: RoomEvent[] = [];
  room.on('event', (event) => events.push(event));
  return events;
}

/** A network the test switches off and on: offline pauses reconnecting, `goOnline` wakes the client. */
export class FakeNetwork implements Environment {
  private online = true;
  private readonly listeners = new Set<() => void>();

  isOnline(): boolean {
    return this.online;
  }

  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  goOffline(): void {
    this.online = false;
  }

  goOnline(): void {
    this.online = true;
    for (const listener of [...this.listeners]) listener();
  }
}

/** Calls the REST API as the holder of `token`; resolves with the status and JSON body. */
export async function rest(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The seqs of the events of one type, in delivery order. */
export const seqsOfType = (events: readonly RoomEvent[], type: string) =>
  events.filter((event) => event.type === type).map((event) => event.seq);
