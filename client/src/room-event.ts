/** Maps event types to their `data`, for typed handlers: `client.join<{ 'chat.message': { text: string } }>(…)`. */
export type EventMap = Record<string, unknown>;

/** A user as the server names them: the `data` of `member.*` events, and an entry of presence. */
export interface MemberData {
  readonly userId: string;
  readonly name: string;
}

/** The events the server publishes itself (presence is state, not events: see `RoomPresence`). */
interface ServerEvents {
  'member.joined': MemberData;
  'member.left': MemberData;
}

/** One room event, as stored by the server. */
export interface RoomEvent<T extends string = string, D = unknown> {
  readonly room: string;
  readonly seq: number;
  readonly type: T;
  readonly data: D;
  readonly sender: string;
  readonly at: string;
}

type AllEvents<E extends object> = E & ServerEvents;

/** The events of a room whose types are described by `E`: a union that narrows on `type`. */
export type RoomEventOf<E extends object> = {
  [K in keyof AllEvents<E> & string]: RoomEvent<K, AllEvents<E>[K]>;
}[keyof AllEvents<E> & string];
