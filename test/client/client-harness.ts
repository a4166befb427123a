import WebSocket from 'ws';
import {
  type ConnectOptions,
  type ConnectionState,
  type Environment,
  type PresenceChange,
  type Room,
  type RoomcastClient,
  type RoomcastStreamClient,
  type StreamConnectOptions,
  connect,
} from '../../client/src/index.js';
import type { RoomEvent } from '../../client/src/index.js';
import { publishOverRest } from '../support/delivery-subscriber.js';
import { type Signal, when } from '../support/eventually.js';
import type { TestServer } from '../support/test-server.js';

/** Short reconnect delays, so that a test sees many reconnects quickly. */
export const FAST_RECONNECTS = { baseDelayMs: 20, maxDelayMs: 200, policyDelayMs: 300 };

/** A client of either transport. */
type AnyClient = RoomcastClient | RoomcastStreamClient;

/** A client that records what it saw, for a test to wait on and assert. */
export interface RecordedClient<C extends AnyClient = RoomcastClient> {
  readonly client: C;
  readonly states: string[];
  readonly retries: { attempt: number; delayMs: number; closeCode?: number; room?: string }[];
  readonly errors: string[];
}

/** Connects with the `ws` package's WebSocket (Node 20 has no global one) and records states, retries and errors. */
export function connectRecorded(options: Omit<ConnectOptions, 'WebSocket'>): RecordedClient {
  return recorded(connect({ ...options, WebSocket }));
}

/** Connects with the `sse` transport (Node's own fetch) and records states, retries and errors. */
export function streamRecorded(options: Omit<StreamConnectOptions, 'transport'>): RecordedClient<RoomcastStreamClient> {
  return recorded(connect({ ...options, transport: 'sse' }));
}

function recorded<C extends AnyClient>(client: C): RecordedClient<C> {
  const recording: RecordedClient<C> = { client, states: [client.state], retries: [], errors: [] };
  client.on('state', ({ state }) => recording.states.push(state));
  client.on('retry', (retry) => recording.retries.push(retry));
  client.on('error', (error) => recording.errors.push(error.code));
  return recording;
}

/** Every event a room delivered, in delivery order. */
export function recordEvents(room: Room): RoomEvent[] {
  const events: RoomEvent[] = [];
  room.on('event', (event) => events.push(event));
  return events;
}

/** Fires on each state change of the client (after `state` and the recorded `states` are updated). */
export const stateChanges =
  (client: AnyClient): Signal =>
  (wake) =>
    client.on('state', wake);

/** Fires on each retry the client schedules (after the recorded `retries`). */
export const retriesOf =
  (client: AnyClient): Signal =>
  (wake) =>
    client.on('retry', wake);

/** Fires on each event the room delivers (after the `recordEvents` list it was given first). */
export const deliveries =
  (room: Room): Signal =>
  (wake) =>
    room.on('event', wake);

/** Resolves once the client is in `state`: checked now and at each of its state changes. */
export function stateReached(client: AnyClient, state: ConnectionState, timeoutMs = 10_000): Promise<void> {
  return when(() => client.state === state, stateChanges(client), timeoutMs, `client ${state}`);
}

/** Resolves once the room has delivered the event `seq` into `events` (from `recordEvents`): checked at each delivery. */
export function delivered(room: Room, events: readonly RoomEvent[], seq: number, timeoutMs = 10_000): Promise<void> {
  return when(
    () => events.some((event) => event.seq === seq),
    deliveries(room),
    timeoutMs,
    `event ${seq} delivered in ${room.id}`,
  );
}

/**
 * Publishes 150 events into the room over REST (2 callers), and meanwhile has `server` drop every
 * connection three times, with close codes 1001, 1011 and 1013: each once `delivered()` (the count
 * of what the room delivered) reached 30, 70 and 110 with the client open. Resolves to the seqs
 * published, sorted, once `delivered()` is 150.
 */
export async function dropWhilePublishing(
  server: TestServer,
  token: string,
  client: AnyClient,
  room: Room,
  delivered: () => number,
): Promise<number[]> {
  const publishing = publishOverRest(server.baseUrl, token, room.id, 150, 2);
  for (const [closeCode, afterEvents] of [
    [1001, 30],
    [1011, 70],
    [1013, 110],
  ] as const) {
    await when(
      () => delivered() >= afterEvents && client.state === 'open',
      [deliveries(room), stateChanges(client)],
      20_000,
      `${afterEvents} events delivered with the client open`,
    );
    server.app.connections.closeAll(closeCode, 'test drops the connection');
  }
  const published = (await publishing).sort((a, b) => a - b);
  await when(() => delivered() === 150, deliveries(room), 20_000, 'all 150 events delivered');
  return published;
}

/** Every presence update a room emitted, in order. */
export function recordPresence(room: Room): PresenceChange[] {
  const changes: PresenceChange[] = [];
  room.on('presence', (change) => changes.push(change));
  return changes;
}

/** The ids of the users a room's presence lists, sorted; undefined before its first snapshot or with a count alone. */
export const presentIds = (room: Room): string[] | undefined =>
  room.presence?.users && [...room.presence.users.keys()].sort();

/** Fires on each presence update of the room (after `room.presence` changed). */
export const presenceUpdates =
  (room: Room): Signal =>
  (wake) =>
    room.on('presence', wake);

/** Resolves once the room's presence lists exactly `userIds` (in any order): checked now and at each presence update. */
export function presentAre(room: Room, userIds: readonly string[], timeoutMs = 10_000): Promise<void> {
  const wanted = JSON.stringify([...userIds].sort());
  return when(
    () => JSON.stringify(presentIds(room)) === wanted && room.presence?.count === userIds.length,
    presenceUpdates(room),
    timeoutMs,
    `presence in ${room.id} listing ${wanted}`,
  );
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
