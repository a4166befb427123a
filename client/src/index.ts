export {
  type ClientEvents,
  type ConnectOptions,
  type ConnectionState,
  type RetryInfo,
  type StateChange,
  RoomcastClient,
  connect,
} from './client.js';
export { type ReconnectOptions, backoffDelay } from './backoff.js';
export type { Environment } from './environment.js';
export { type ErrorCode, RoomcastError } from './errors.js';
export {
  type EventMap,
  type JoinInfo,
  type JoinOptions,
  type MemberData,
  Room,
  type RoomEvent,
  type RoomEventOf,
  type RoomEvents,
} from './room.js';
export type { SocketLike, WebSocketConstructor } from './socket.js';
