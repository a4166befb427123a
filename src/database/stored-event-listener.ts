import pg from 'pg';
import type { Logger } from 'pino';
import { STORED_EVENTS_CHANNEL } from './roomcast-publish-function.js';

/** What the listener reports: a room's event stored elsewhere (from SQL), and a return after an outage. */
export interface StoredEventSignals {
  /** The room holds events up to `seq`, committed by another process. */
  stored(roomId: string, seq: number): void;
  /** The listener was away: notifications may have been missed. */
  resumed(): void;
}

const RECONNECT_DELAYS_MS = [100, 500, 1000, 2000, 5000];

/**
 * Listens on PostgreSQL for the events `roomcast_publish` stores: PostgreSQL sends each
 * notification when the publishing transaction commits (never for a rollback). One dedicated
 * connection; when it drops, it is opened again with backoff and `resumed` is reported, since
 * notifications sent meanwhile are lost.
 */
export class StoredEventListener {
  private client: pg.Client | undefined;
  private isStopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly signals: StoredEventSignals,
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening (or once the first attempt failed: it keeps trying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => this.take(message.payload));
    client.on('error', () => this.reconnectLater(client));
    client.on('end', () => this.reconnectLater(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${STORED_EVENTS_CHANNEL}`);
    } catch (error) {
      this.logger.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'listening for events published from SQL failed; retrying',
      );
      this.reconnectLater(client);
      return;
    }
    if (this.failures > 0) {
      this.logger.info('listening for events published from SQL again');
      this.signals.resumed();
    }
    this.failures = 0;
  }

  private reconnectLater(client: pg.Client): void {
    if (this.isStopped || this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures, RECONNECT_DELAYS_MS.length - 1)]!;
    this.failures += 1;
    this.retry = setTimeout(() => void this.connect(), delay);
  }

  private take(payload: string | undefined): void {
    const stored = parseStored(payload);
    if (stored) this.signals.stored(stored.room, stored.seq);
    else this.logger.warn({ payload }, 'ignored a malformed stored-event notification');
  }
}

/** `{room, seq}` from a notification's payload; undefined for anything else (anyone may NOTIFY the channel). */
function parseStored(payload: string | undefined): { room: string; seq: number } | undefined {
  try {
    const { room, seq } = JSON.parse(payload ?? '') as { room?: unknown; seq?: unknown };
    return typeof room === 'string' && typeof seq === 'number' && Number.isSafeInteger(seq) ? { room, seq } : undefined;
  } catch {
    return undefined;
  }
}
