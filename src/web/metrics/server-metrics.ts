import type { Request as ExpressRequest } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpStep } from '../http-step.js';
import type { Hub } from '../hub/hub.js';
import type { ClientEnd } from '../hub/client-events.js';
import { contextOf } from '../request-context.js';

/** What a connection is carried by: the `transport` label of the connection gauge. */
export type Transport = 'websocket' | 'sse';
const TRANSPORTS: readonly Transport[] = ['websocket', 'sse'];

/** What the WebSocket gateway and the event-stream route report about connections. */
export interface ConnectionObserver {
  connectionOpened(transport: Transport): void;
  connectionEnded(end: ClientEnd, transport: Transport): void;
}

/**
 * The server's Prometheus metrics, in a registry of its own. Hub figures are read when
 * scraped, so the fan-out path only bumps plain numbers.
 */
export class ServerMetrics implements ConnectionObserver {
  readonly registry = new Registry();
  private readonly opened: Counter;
  private readonly open: Gauge<'transport'>;
  private readonly ended: Counter<'reason'>;
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly requestsInFlight: Gauge;

  /**
   * `publishing` counts the rooms with events being stored and pushed; `databaseBytes` is the
   * memory an embedded database holds in this process (0 on a database server).
   */
  constructor(hub: Hub, publishing: { readonly busyRooms: number }, databaseBytes: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.opened = new Counter({
      name: 'roomcast_connections_opened_total',
      help: 'Connections accepted: WebSocket connections and event streams',
      registers,
    });
    this.open = new Gauge({
      name: 'roomcast_connections',
      help: 'Open connections by transport: websocket, sse (event streams)',
      labelNames: ['transport'],
      registers,
    });
    this.ended = new Counter({
      name: 'roomcast_connections_closed_total',
      help: 'Connections and event streams ended, by reason: closed, overflow (slow consumer, 1013), missed-pong (no sign of life for a ping interval: terminated)',
      labelNames: ['reason'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'roomcast_http_request_duration_seconds',
      help: 'REST request duration by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.requestsInFlight = new Gauge({
      name: 'roomcast_http_requests_in_flight',
      help: 'REST requests being served (this scrape included)',
      registers,
    });
    readOnScrape(registers, hub, publishing);
    new Gauge({
      name: 'roomcast_embedded_database_memory_bytes',
      help: "The embedded database's heap in this process (never shrinks); 0 with DATABASE_URL",
      registers,
      collect() {
        this.set(databaseBytes());
      },
    });
    for (const reason of ['closed', 'overflow', 'missed-pong'] satisfies ClientEnd[]) this.ended.inc({ reason }, 0);
    for (const transport of TRANSPORTS) this.open.set({ transport }, 0);
  }

  connectionOpened(transport: Transport): void {
    this.opened.inc();
    this.open.inc({ transport });
  }

  connectionEnded(end: ClientEnd, transport: Transport): void {
    this.ended.inc({ reason: end });
    this.open.dec({ transport });
  }

  /**
   * Times every request; the route is the matched pattern (never the raw URL, whose ids would
   * explode the labels): the one a route put in the request's context, else express's match.
   */
  timeRequests(): HttpStep {
    return (req, res, next) => {
      const stop = this.requestDuration.startTimer();
      this.requestsInFlight.inc();
      res.once('close', () => this.requestsInFlight.dec());
      res.once('finish', () => {
        const route = contextOf(res).route ?? expressRoute(req as ExpressRequest) ?? 'unmatched';
        stop({ method: req.method ?? '', route, status: String(res.statusCode) });
      });
      next();
    };
  }
}

/** Figures read from the Hub and the publisher when scraped, so that the fan-out path only bumps plain numbers. */
function readOnScrape(registers: Registry[], hub: Hub, publishing: { readonly busyRooms: number }): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  gauge('roomcast_subscriptions', 'Subscriptions (connection or stream × room)', () => hub.counts().subscriptions);
  gauge('roomcast_rooms_with_subscribers', 'Rooms with at least one subscriber on this node', () => hub.counts().rooms);
  gauge('roomcast_send_queue_bytes', 'Bytes waiting to be sent, all connections', () => hub.queueDepth().totalBytes);
  gauge(
    'roomcast_send_queue_max_bytes',
    'Bytes waiting to be sent, fullest connection',
    () => hub.queueDepth().maxBytes,
  );
  gauge(
    'roomcast_rooms_publishing',
    'Rooms with events being stored and pushed on this node (0 when idle)',
    () => publishing.busyRooms,
  );
  total('roomcast_events_published_total', 'Stored events pushed to this node', () => hub.totals().eventsPushed);
  total(
    'roomcast_messages_delivered_total',
    'Event messages handed to connections and streams',
    () => hub.totals().eventsDelivered,
  );
}

/** The pattern of the express route that served the request, if one did. */
function expressRoute(req: ExpressRequest): string | undefined {
  return req.route ? `${req.baseUrl}${String(req.route.path)}` : undefined;
}
