import { setTimeout } from 'node:timers/promises';
import type { WebhookOutbox } from '../domain/ports/webhooks.js';
import type { WebhookMessage, WebhookTypePattern, WebhookTypes } from '../domain/webhook.js';
import { type SqlExecutor, sqlErrorCode } from './sql.js';

interface OutboxRow {
  id: string | number;
  message_id: string;
  room_id: string;
  seq: string | number;
  type: string;
  is_event: boolean;
  sender: string | null;
  data: string | null;
  occurred_at: Date;
  attempts: number;
}

/*
 * The first message of each room (a skip scan over the (room_id, seq, id) index: one probe per room
 * with messages waiting, however many wait), those of them that are due, locked without waiting
 * (a message another node is claiming right now is left to it), then leased and counted as an
 * attempt. The lease makes the message not due, so no other claim takes it, nor its room's next.
 */
const CLAIM_SQL = `
  WITH RECURSIVE heads AS (
    (SELECT room_id, id, next_attempt_at FROM webhook_outbox ORDER BY room_id, seq, id LIMIT 1)
    UNION ALL
    SELECT later.room_id, later.id, later.next_attempt_at FROM heads, LATERAL (
      SELECT room_id, id, next_attempt_at FROM webhook_outbox
      WHERE room_id > heads.room_id ORDER BY room_id, seq, id LIMIT 1
    ) later
  ), claimable AS (
    SELECT o.id FROM webhook_outbox o
    WHERE o.id IN (SELECT id FROM heads WHERE next_attempt_at <= now() LIMIT $1)
      AND o.next_attempt_at <= now()
    FOR UPDATE SKIP LOCKED
  )
  UPDATE webhook_outbox o
  SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
  FROM claimable WHERE o.id = claimable.id
  RETURNING o.id, o.message_id, o.room_id, o.seq, o.type, o.is_event, o.sender, o.data::text AS data,
    o.occurred_at, o.attempts`;

/* Each statement about a claimed message applies only while the claim is still this one (same attempt count). */
const REMOVE_SQL = 'DELETE FROM webhook_outbox WHERE id = $1 AND attempts = $2';
const RETRY_SQL = `UPDATE webhook_outbox SET next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
  WHERE id = $1 AND attempts = $2`;
const RELEASE_SQL = `UPDATE webhook_outbox SET next_attempt_at = now(), attempts = attempts - 1
  WHERE id = $1 AND attempts = $2`;

/** `lock_not_available`: recording new types could not lock the tables in time. */
const LOCK_NOT_AVAILABLE = '55P03';
const RECORD_ATTEMPTS = 50;

/** The webhook outbox in PostgreSQL (real or embedded). */
export class PgWebhookOutbox implements WebhookOutbox {
  constructor(private readonly sql: SqlExecutor) {}

  /** Tries again while the tables are busy: each try gives up its locks after 200 ms (see `roomcast_record_webhooks`). */
  async record(types: WebhookTypes | undefined): Promise<boolean> {
    const patterns = types?.patterns.map(likePattern) ?? [];
    for (let attempt = 1; ; attempt += 1) {
      try {
        const [row] = await this.sql.query<{ changed: boolean }>(
          'SELECT roomcast_record_webhooks($1::text[]) AS changed',
          [patterns],
        );
        return row!.changed;
      } catch (error) {
        if (sqlErrorCode(error) !== LOCK_NOT_AVAILABLE || attempt === RECORD_ATTEMPTS) throw error;
        await setTimeout(50 + Math.random() * 100);
      }
    }
  }

  async claim(limit: number, leaseMs: number): Promise<WebhookMessage[]> {
    const rows = await this.sql.query<OutboxRow>(CLAIM_SQL, [limit, leaseMs]);
    return rows.map(toMessage);
  }

  async remove(message: WebhookMessage): Promise<void> {
    await this.sql.query(REMOVE_SQL, [message.position, message.attempts]);
  }

  async retryIn(message: WebhookMessage, delayMs: number): Promise<void> {
    await this.sql.query(RETRY_SQL, [message.position, message.attempts, delayMs]);
  }

  async release(message: WebhookMessage): Promise<void> {
    await this.sql.query(RELEASE_SQL, [message.position, message.attempts]);
  }

  async depth(): Promise<number> {
    const [row] = await this.sql.query<{ count: string | number }>('SELECT count(*) AS count FROM webhook_outbox');
    return Number(row?.count ?? 0);
  }
}

/** A LIKE pattern matching what the WEBHOOK_EVENTS entry matches (`_` is a LIKE wildcard, and may be in a type). */
function likePattern(pattern: WebhookTypePattern): string {
  const escape = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);
  return 'exact' in pattern ? escape(pattern.exact) : `${escape(pattern.prefix)}%`;
}

function toMessage(row: OutboxRow): WebhookMessage {
  const base = {
    position: Number(row.id),
    id: row.message_id,
    room: row.room_id,
    type: row.type,
    occurredAt: row.occurred_at,
    attempts: row.attempts,
  };
  if (!row.is_event) {
    return row.data === null ? base : { ...base, details: JSON.parse(row.data) as Record<string, unknown> };
  }
  const event = {
    room: row.room_id,
    seq: Number(row.seq),
    type: row.type,
    data: JSON.parse(row.data ?? 'null') as unknown,
    dataJson: row.data ?? 'null',
    sender: row.sender ?? '',
    at: row.occurred_at,
  };
  return { ...base, event };
}
