import type { TargetAddress, TargetKind } from '../shared/commands.js';

/** How a subscriber and a publisher talk to one kind of target. */
export interface ClientProtocol {
  upgradePath(room: string): string;
  readonly upgradeHeaders: Readonly<Record<string, string>>;
  /**
   * Text frames to exchange after the 101 before the connection is usable: gets each frame and a
   * way to answer; returns true when the handshake is done. Absent: the 101 is the whole handshake.
   */
  readonly handshake?: (text: string, send: (text: string) => void) => boolean;
  /** The frame that subscribes to `room` (resuming after `resume.since`); absent when the handshake already did. */
  readonly subscribeFrame?: (room: string, resume?: Resume) => string;
  /** Reads the reply to the subscribe frame: undefined when accepted, else why not. */
  readonly subscribeRefusal?: (text: string) => string | undefined;
  /** Reads whether the reply to a resuming subscribe says everything missed is on its way. */
  readonly isRecovered?: (reply: string) => boolean;
  /** Where the room's position (last seq and epoch) is read over HTTP, to resume from; absent: nothing to resume. */
  readonly roomPath?: (room: string) => string;
  /** Answers a keepalive sent as a one-byte text frame (socket.io's "2"); such frames are not deliveries. */
  readonly keepaliveAnswer?: (text: string) => string | undefined;
  publishPath(room: string): string;
  readonly publishHeaders: Readonly<Record<string, string>>;
  /** Where a batch of events goes (`{events: [{room, type, data}]}`); absent: the target has no batches. */
  readonly batchPublishPath?: string;
}

/** Where a rejoin picks up: the last seq seen and the stream it belongs to. */
export interface Resume {
  readonly since: number;
  readonly epoch: string;
}

/**
 * roomcast: the subscriber's token in the subprotocol list, then a `join` op answered by `ok`;
 * publishing with the service token.
 */
function roomcast(serviceToken: string, subscriberToken: string): ClientProtocol {
  const bearer = { authorization: `Bearer ${serviceToken}` };
  return {
    upgradePath: () => '/v1/ws',
    upgradeHeaders: { 'sec-websocket-protocol': `roomcast.v1, roomcast.token.${subscriberToken}` },
    subscribeFrame: (room, resume) => JSON.stringify({ op: 'join', id: 1, room, ...resume }),
    subscribeRefusal: (text) => {
      const reply = JSON.parse(text) as { op?: string; code?: string; message?: string };
      return reply.op === 'ok' ? undefined : `${reply.code}: ${reply.message}`;
    },
    isRecovered: (text) => (JSON.parse(text) as { recovered?: boolean }).recovered === true,
    roomPath: (room) => `/v1/rooms/${room}`,
    publishPath: (room) => `/v1/rooms/${room}/events`,
    publishHeaders: bearer,
    batchPublishPath: '/v1/events',
  };
}

/** socket.io 4 over a bare WebSocket: engine.io v4 open packet "0{...}", namespace connect "40", events "42[...]". */
const socketIo: ClientProtocol = {
  upgradePath: (room) => `/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}`,
  upgradeHeaders: {},
  handshake: (text, send) => {
    if (text.startsWith('0{')) send('40');
    return text.startsWith('40');
  },
  keepaliveAnswer: (text) => (text === '2' ? '3' : undefined),
  publishPath: (room) => `/rooms/${room}/events`,
  publishHeaders: {},
};

/** ws-raw: the room in the query; the 101 subscribes. */
const wsRaw: ClientProtocol = {
  upgradePath: (room) => `/?room=${encodeURIComponent(room)}`,
  upgradeHeaders: {},
  publishPath: (room) => `/rooms/${room}/events`,
  publishHeaders: {},
};

/**
 * How to talk to the target. `subscriberToken` (roomcast only): the subscriber upgrades with this
 * token (a user's) instead of the service token; publishing still uses the service token.
 */
export function clientProtocol(address: TargetAddress, subscriberToken?: string): ClientProtocol {
  if (subscriberToken !== undefined && address.kind !== 'roomcast') {
    throw new Error(`${address.kind} has no users: its subscribers need no token`);
  }
  const byKind: Record<TargetKind, () => ClientProtocol> = {
    roomcast: () => {
      if (!address.token) throw new Error('roomcast needs a token');
      return roomcast(address.token, subscriberToken ?? address.token);
    },
    'socket.io': () => socketIo,
    'ws-raw': () => wsRaw,
  };
  return byKind[address.kind]();
}
