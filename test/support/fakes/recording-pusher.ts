import type { Pusher } from '../../../src/domain/ports/pusher.js';
import type { RoomEvent } from '../../../src/domain/room-event.js';

/** One call made on the pusher, in the order made. */
export type PusherCall =
  | { readonly kind: 'push'; readonly event: RoomEvent }
  | { readonly kind: 'evict'; readonly roomId: string; readonly userId: string };

/** A `Pusher` that records what it was asked to deliver; `onCall` sees each call as it happens. */
export class RecordingPusher implements Pusher {
  readonly calls: PusherCall[] = [];

  constructor(private readonly onCall: (call: PusherCall) => void = () => undefined) {}

  get pushed(): RoomEvent[] {
    return this.calls.flatMap((call) => (call.kind === 'push' ? [call.event] : []));
  }

  get evictions(): { roomId: string; userId: string }[] {
    return this.calls.flatMap((call) => (call.kind === 'evict' ? [{ roomId: call.roomId, userId: call.userId }] : []));
  }

  push(event: RoomEvent): void {
    this.record({ kind: 'push', event });
  }

  evict(roomId: string, userId: string): void {
    this.record({ kind: 'evict', roomId, userId });
  }

  private record(call: PusherCall): void {
    this.calls.push(call);
    this.onCall(call);
  }
}
