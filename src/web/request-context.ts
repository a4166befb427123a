import type { ServerResponse } from 'node:http';
import type { User } from '../domain/user.js';

/** What the steps of one request learn about it, kept with its response, whichever server ran them. */
export interface RequestContext {
  /** The id sent back in `X-Request-Id` and carried by the request's log lines. */
  id?: string;
  /** The user `authenticate` verified. */
  user?: User;
  /** When that user's token stops being valid (ms since the epoch); undefined: never. */
  tokenExpiresAtMs?: number;
  /** The route pattern that served the request, for metrics (express's routes find it themselves). */
  route?: string;
}

const contexts = new WeakMap<ServerResponse, RequestContext>();

export function contextOf(res: ServerResponse): RequestContext {
  let context = contexts.get(res);
  if (!context) {
    context = {};
    contexts.set(res, context);
  }
  return context;
}
