import fc from 'fast-check';
import type { RoomEvent } from '../../../src/domain/room-event.js';
import { roomEvent } from './fixtures.js';

/** One step of a random Hub workload; `client` and `room` index `HUB_MODEL_CLIENTS` and `HUB_MODEL_ROOMS`. */
export type HubCommand =
  | { readonly kind: 'subscribe'; readonly client: number; readonly room: number; readonly isTyped: boolean }
  | { readonly kind: 'join'; readonly client: number; readonly room: number; readonly isTyped: boolean }
  | { readonly kind: 'release'; readonly client: number; readonly room: number; readonly lag: number }
  | { readonly kind: 'unsubscribe' | 'unregister' | 'register'; readonly client: number; readonly room: number }
  | { readonly kind: 'push'; readonly room: number; readonly type: 'a' | 'b'; readonly isRepeat: boolean };

export const HUB_MODEL_CLIENTS = 3;
export const HUB_MODEL_ROOMS = ['r0', 'r1'] as const;
/** The type filter a typed subscription uses. */
export const TYPED_FILTER: ReadonlySet<string> = new Set(['a']);

const client = fc.nat({ max: HUB_MODEL_CLIENTS - 1 });
const room = fc.nat({ max: HUB_MODEL_ROOMS.length - 1 });
const isRepeat = fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 });

/** Random Hub steps, weighted towards pushes so that subscriptions see traffic; `join` subscribes and releases at once. */
export const hubCommand: fc.Arbitrary<HubCommand> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('subscribe' as const, 'join' as const),
      client,
      room,
      isTyped: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), client, room, lag: fc.nat({ max: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), client, room }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('unregister' as const), client, room }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('register' as const), client, room }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      room,
      type: fc.constantFrom('a' as const, 'b' as const),
      isRepeat,
    }),
    weight: 8,
  },
);

interface ModelSubscription {
  held: RoomEvent[] | null;
  afterSeq: number;
  /** The room's last seq when the subscription began: a joiner reads the room after subscribing. */
  readonly floor: number;
  readonly types: ReadonlySet<string> | null;
  readonly delivered: Set<number>;
}

/**
 * The Hub's delivery rule, stated plainly: a client gets each event pushed to a room while it is
 * subscribed (held ones once released), only past its release point, at most once, if its filter
 * admits the type. Pushes get seqs 1, 2, ... per room; a repeat pushes the room's last event again.
 */
export class HubModel {
  readonly isRegistered = Array.from({ length: HUB_MODEL_CLIENTS }, () => true);
  readonly subscriptions = Array.from({ length: HUB_MODEL_CLIENTS }, () => new Map<string, ModelSubscription>());
  /** `room:seq` each client should have received, in order. */
  readonly expected = Array.from({ length: HUB_MODEL_CLIENTS }, (): string[] => []);
  private readonly lastEvent = new Map<string, RoomEvent>();

  /** The event a push step pushes; call before `apply`. */
  eventFor(step: Extract<HubCommand, { kind: 'push' }>): RoomEvent {
    const roomId = HUB_MODEL_ROOMS[step.room]!;
    const last = this.lastEvent.get(roomId);
    return step.isRepeat && last ? last : roomEvent(roomId, this.lastSeqOf(roomId) + 1, step.type);
  }

  /**
   * The seq a release step releases after, as a join does: the room's last seq as read some time
   * after subscribing, so at least the last seq at subscribe time and at most the current one.
   */
  releaseAfter(step: Extract<HubCommand, { kind: 'release' }>): number {
    const roomId = HUB_MODEL_ROOMS[step.room]!;
    const floor = this.subscriptions[step.client]!.get(roomId)?.floor ?? 0;
    return Math.max(floor, this.lastSeqOf(roomId) - step.lag);
  }

  apply(step: HubCommand): void {
    if (step.kind === 'push') {
      this.push(this.eventFor(step));
      return;
    }
    const subs = this.subscriptions[step.client]!;
    const roomId = HUB_MODEL_ROOMS[step.room]!;
    if (step.kind === 'register') this.isRegistered[step.client] = true;
    if (step.kind === 'unregister') {
      this.isRegistered[step.client] = false;
      subs.clear();
    }
    if (step.kind === 'unsubscribe') subs.delete(roomId);
    if ((step.kind === 'subscribe' || step.kind === 'join') && this.isRegistered[step.client]) {
      const floor = this.lastSeqOf(roomId);
      subs.set(roomId, {
        held: [],
        afterSeq: 0,
        floor,
        types: step.isTyped ? TYPED_FILTER : null,
        delivered: new Set(),
      });
    }
    const sub = subs.get(roomId);
    if ((step.kind === 'release' || step.kind === 'join') && sub?.held) {
      const held = sub.held;
      sub.held = null;
      sub.afterSeq = step.kind === 'release' ? this.releaseAfter(step) : sub.floor;
      held.forEach((heldEvent) => this.offer(step.client, sub, heldEvent));
    }
  }

  /** What `WsHub.counts()` should say. */
  counts(): { clients: number; subscriptions: number; rooms: number } {
    return {
      clients: this.isRegistered.filter(Boolean).length,
      subscriptions: this.subscriptions.reduce((sum, subs) => sum + subs.size, 0),
      rooms: new Set(this.subscriptions.flatMap((subs) => [...subs.keys()])).size,
    };
  }

  lastSeqOf(roomId: string): number {
    return this.lastEvent.get(roomId)?.seq ?? 0;
  }

  private push(pushed: RoomEvent): void {
    this.lastEvent.set(pushed.room, pushed);
    this.subscriptions.forEach((subs, index) => {
      const sub = subs.get(pushed.room);
      if (sub?.held) sub.held.push(pushed);
      else if (sub) this.offer(index, sub, pushed);
    });
  }

  private offer(index: number, sub: ModelSubscription, offered: RoomEvent): void {
    if (offered.seq <= sub.afterSeq || sub.delivered.has(offered.seq)) return;
    sub.delivered.add(offered.seq);
    if (!sub.types || sub.types.has(offered.type)) this.expected[index]!.push(`${offered.room}:${offered.seq}`);
  }
}
