import type { PresenceDiff, PresenceSnapshot } from '../../domain/presence-update.js';
import type { RoomEvent } from '../../domain/room-event.js';
import { eventJsonText } from '../event-json.js';

/** How one transport puts a message on its wire (a WebSocket frame, a Server-Sent Event). */
export interface MessageEncoding<T> {
  encode(message: OutboundMessage): T;
}

/**
 * A message the Hub fans out, whatever carries it: its kind, its JSON (without the WebSocket
 * `op`), and for a room event its seq. Each transport encodes it once, when the first of its
 * subscribers needs it, and every subscriber of that transport shares the encoding.
 */
export class OutboundMessage {
  private readonly encodings = new Map<MessageEncoding<unknown>, unknown>();
  private jsonBytes: number | undefined;

  constructor(
    readonly kind: 'event' | 'presence',
    /** A JSON object's text. */
    readonly json: string,
    /** The room event's seq; undefined for presence. */
    readonly seq?: number,
  ) {}

  encodedAs<T>(encoding: MessageEncoding<T>): T {
    let encoded = this.encodings.get(encoding) as T | undefined;
    if (encoded === undefined) {
      encoded = encoding.encode(this);
      this.encodings.set(encoding, encoded);
    }
    return encoded;
  }

  /** The JSON's size in UTF-8: what holding it costs, whatever the transport adds. */
  get byteLength(): number {
    this.jsonBytes ??= Buffer.byteLength(this.json);
    return this.jsonBytes;
  }
}

/** A room event as clients see it. */
export function eventMessage(event: RoomEvent): OutboundMessage {
  return new OutboundMessage('event', eventJsonText(event), event.seq);
}

/** A room's presence: its snapshot (`users`) or what changed in it (`joined`, `left`). */
export function presenceMessage(presence: PresenceSnapshot | PresenceDiff): OutboundMessage {
  return new OutboundMessage('presence', JSON.stringify(presence));
}
