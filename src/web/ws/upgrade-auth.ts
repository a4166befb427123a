import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../auth/bearer.js';

export const SUBPROTOCOL = 'roomcast.v1';
const TOKEN_SUBPROTOCOL_PREFIX = 'roomcast.token.';

/** What an upgrade request offers: its subprotocols and the token it carries, if any. */
export interface UpgradeCredentials {
  readonly offersSubprotocols: boolean;
  readonly offersRoomcast: boolean;
  /** From `roomcast.token.<jwt>`, else from `Authorization: Bearer`. */
  readonly token: string | undefined;
}

/** Reads the token where PROTOCOL.md allows it: the subprotocol list first, then the header. */
export function readUpgradeCredentials(req: IncomingMessage): UpgradeCredentials {
  const offered = (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
    .filter(Boolean);
  const fromSubprotocol = offered
    .find((protocol) => protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
    ?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  return {
    offersSubprotocols: offered.length > 0,
    offersRoomcast: offered.includes(SUBPROTOCOL),
    token: fromSubprotocol || bearerToken(req.headers.authorization),
  };
}

/** Whether the request's Origin may open a socket; requests without Origin (non-browsers) may. */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (!allowed || origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
