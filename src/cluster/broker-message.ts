import type { PresenceUpdate } from '../domain/presence-update.js';
import type { RoomEvent } from '../domain/room-event.js';
import { isPresenceUpdate } from './presence-message.js';

/** What one node tells the others: a stored event to deliver, a user's subscriptions to end, or a room's presence. */
export type BrokerMessage =
  | { readonly node: string; readonly event: RoomEvent }
  | { readonly node: string; readonly eviction: { readonly room: string; readonly user: string } }
  | { readonly node: string; readonly presence: PresenceUpdate };

/** One JSON text per message; the event's time travels as an ISO string, its data once (as `data`). */
export function encodeBrokerMessage(message: BrokerMessage): string {
  if (!('event' in message)) return JSON.stringify(message);
  const { dataJson: _text, ...event } = message.event;
  return JSON.stringify({ node: message.node, event });
}

/** Reads a message written by `encodeBrokerMessage`; undefined for anything else. */
export function decodeBrokerMessage(text: string): BrokerMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('node' in parsed) || typeof parsed.node !== 'string') {
    return undefined;
  }
  if ('event' in parsed && isWireEvent(parsed.event)) {
    return { node: parsed.node, event: { ...parsed.event, at: new Date(parsed.event.at) } };
  }
  if ('eviction' in parsed && isEviction(parsed.eviction)) return { node: parsed.node, eviction: parsed.eviction };
  if ('presence' in parsed && isPresenceUpdate(parsed.presence))
    return { node: parsed.node, presence: parsed.presence };
  return undefined;
}

type WireEvent = Omit<RoomEvent, 'at'> & { at: string };

function isWireEvent(value: unknown): value is WireEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.room === 'string' &&
    Number.isSafeInteger(event.seq) &&
    (event.seq as number) >= 1 &&
    typeof event.type === 'string' &&
    typeof event.sender === 'string' &&
    typeof event.at === 'string' &&
    // An `at` that is no time would throw later, when the event is encoded for a client.
    !Number.isNaN(Date.parse(event.at)) &&
    'data' in event
  );
}

function isEviction(value: unknown): value is { room: string; user: string } {
  if (typeof value !== 'object' || value === null) return false;
  const eviction = value as Record<string, unknown>;
  return typeof eviction.room === 'string' && typeof eviction.user === 'string';
}
