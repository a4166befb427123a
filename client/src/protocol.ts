/** Wire frames of roomcast protocol v1 (docs/protocol.md), as this client uses them. */

export const SUBPROTOCOL = 'roomcast.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'roomcast.token.';
/** The server closes the socket (1009) on a client frame above this many bytes. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Close codes the client acts on. */
export const CloseCode = {
  Normal: 1000,
  PolicyViolation: 1008,
  TokenExpired: 4001,
} as const;

export type ClientFrame =
  | { op: 'join'; room: string; since?: number; epoch?: string; types?: readonly string[]; presence?: false }
  | { op: 'unsubscribe'; room: string }
  | { op: 'leave'; room: string }
  | { op: 'filter'; room: string; types: readonly string[] | null }
  | { op: 'publish'; room: string; type: string; data: unknown; idempotencyKey?: string };
export type JoinFrame = Extract<ClientFrame, { op: 'join' }>;

export interface OkFrame {
  op: 'ok';
  id?: number | string;
  room?: string;
  epoch?: string;
  seq?: number;
  recovered?: boolean;
}

export interface ErrorFrame {
  op: 'error';
  id?: number | string;
  code: string;
  message: string;
}

export interface EventFrame {
  op: 'event';
  room: string;
  seq: number;
  type: string;
  data: unknown;
  sender: string;
  at: string;
}

/**
 * A room's presence, pushed without id or seq (not an event): a snapshot (`users`), a diff
 * (`joined`, `left`), or above the server's listing limit `count` alone.
 */
export interface PresenceFrame {
  op: 'presence';
  room: string;
  count: number;
  users?: { userId: string; name: string }[];
  joined?: { userId: string; name: string }[];
  left?: string[];
}

export type ServerFrame = OkFrame | ErrorFrame | EventFrame | PresenceFrame;

const SERVER_OPS: readonly string[] = ['ok', 'error', 'event', 'presence'] satisfies ServerFrame['op'][];

/** Parses a server frame; undefined for anything this client does not understand. */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const frame = JSON.parse(data) as { op?: unknown };
    return frame !== null && typeof frame === 'object' && SERVER_OPS.includes(frame.op as string)
      ? (frame as ServerFrame)
      : undefined;
  } catch {
    return undefined;
  }
}
