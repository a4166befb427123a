export {
  type ClientEvents,
  type ConnectOptions,
  type ConnectionState,
  type StateChange,
  RoomcastClient,
  connect,
} from './client.js';
export { RoomcastStreamClient, type StreamConnectOptions } from './stream-client.js';
export { type ReconnectOptions, backoffDelay } from './backoff.js';
export type { RetryInfo } from './reconnector.js';
export type { Environment } from './environment.js';
export { type ErrorCode, RoomcastError } from './errors.js';
export { type JoinInfo, type JoinOptions, type PublishOptions, Room, type RoomEvents } from './room.js';
export type { EventMap, MemberData, RoomEvent, RoomEventOf } from './room-event.js';
export type { PresenceChange, RoomPresence } from './room-presence.js';
export type { SocketLike, WebSocketConstructor } from './socket.js';
