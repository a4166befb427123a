import { type RequestListener, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Admission } from './admission.js';
import { CloseCode } from './hub/close-codes.js';
import type { WsGateway } from './ws/ws-gateway.js';

export interface WebServerOptions {
  readonly port: number;
  readonly host: string;
  /**
   * How long to answer 503 (readiness included) before closing the listener, so load balancers
   * notice; the WebSocket connections are closed over the same window, a batch at a time.
   */
  readonly drainMs: number;
  /** After the drain, how long to wait for sockets and in-flight requests before cutting them. */
  readonly timeoutMs: number;
}

/** The HTTP listener with the WebSocket gateway on it: it listens, and it stops in the order a load balancer needs. */
export class WebServer {
  readonly server: Server;
  /** Set by `closeConnections`: settles once the listener and every connection are closed. */
  private closed: Promise<void> | undefined;
  /** When requests still in flight are cut off (the timeout counts from the end of the drain). */
  private deadline = 0;

  constructor(
    app: RequestListener,
    private readonly gateway: WsGateway,
    private readonly admission: Admission,
    private readonly options: WebServerOptions,
  ) {
    this.server = createServer(app);
    gateway.attach(this.server);
  }

  /** Listens on the configured address; resolves to the port (the one chosen when 0 was asked). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * The first half of a stop: refuses new work at once (503); during the drain sends every socket
   * what is queued for it and closes it (1001), a batch at a time; then closes the listener.
   */
  async closeConnections(): Promise<void> {
    this.admission.close();
    await this.gateway.drain(CloseCode.GoingAway, 'server shutting down', this.options.drainMs);
    this.deadline = Date.now() + this.options.timeoutMs;
    this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await this.gateway.close(CloseCode.GoingAway, 'server shutting down', this.options.timeoutMs);
  }

  /** The second half: lets requests in flight finish, cutting what is still open at the deadline. */
  async finishRequests(): Promise<void> {
    if (!this.closed) return;
    const cutOff = setTimeout(() => this.server.closeAllConnections(), Math.max(0, this.deadline - Date.now()));
    await this.closed;
    clearTimeout(cutOff);
  }
}
