/**
 * The part of the WebSocket API the client uses. The browser's class and the `ws` package's both
 * fit: the handlers are only ever assigned, never read, so their parameter is typed `never`
 * (any handler may be stored there) and each handler below names what it reads.
 */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** `new WebSocket(url, protocols)`, as in browsers and the `ws` package. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => SocketLike;

/** The platform's WebSocket class, if it has one (browsers, Node 22+). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}
