import type { User } from '../../../src/domain/user.js';
import type { HubClient } from '../../../src/web/hub/hub-client.js';
import type { OutboundMessage } from '../../../src/web/hub/outbound-message.js';
import { type Frame, WEBSOCKET_ENCODING } from '../../../src/web/ws/codec.js';
import type { PublishedEvent } from '../rest.js';

/** An `event` push as a client reads it off the wire: the Event, as REST answers it, with its op. */
export interface PushedEventFrame extends PublishedEvent {
  readonly op: 'event';
}

/** A `HubClient` that keeps every message it is given; `onEnqueue` runs inside the Hub's fan-out. */
export class FakeHubClient implements HubClient {
  readonly messages: OutboundMessage[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  keepAlives = 0;
  /** The rooms the Hub said this client was evicted from. */
  readonly evictions: string[] = [];
  /** The reasons given each time the Hub closed this client as a slow consumer. */
  readonly slowConsumerCloses: string[] = [];
  /** What the client reports as waiting to be sent; a test sets it. */
  pendingBytes = 0;
  queueLimit = 1024 * 1024;
  onEnqueue: (message: OutboundMessage) => void = () => undefined;
  onClose: () => void = () => undefined;

  constructor(readonly user: User) {}

  deliver(message: OutboundMessage): void {
    this.messages.push(message);
    this.onEnqueue(message);
  }

  /** Every message received, as a WebSocket connection would send it. */
  get frames(): Frame[] {
    return this.messages.map((message) => message.encodedAs(WEBSOCKET_ENCODING));
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.onClose();
  }

  evicted(roomId: string): void {
    this.evictions.push(roomId);
  }

  closeAsSlowConsumer(reason: string): void {
    this.slowConsumerCloses.push(reason);
  }

  keepAlive(): void {
    this.keepAlives += 1;
  }

  /** Every frame received, parsed as JSON. */
  get events(): PushedEventFrame[] {
    return this.frames.map((frame) => JSON.parse(frame.payload.toString('utf8')) as PushedEventFrame);
  }

  /** `room:seq` of every event received, in order. */
  get received(): string[] {
    return this.events.map((event) => `${event.room}:${event.seq}`);
  }
}
