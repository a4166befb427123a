import { ROOMCAST_PUBLISH_SQL } from './roomcast-publish-function.js';
import { WEBHOOK_OUTBOX } from './webhook-outbox-schema.js';

/** One step of the schema; `serverOnly` ones are left out of the embedded database, which no other process can reach. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly serverOnly?: true;
}

/** The schema, in order; a migration never changes once released: add a new one instead. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001-rooms-members-events',
    sql: `
      CREATE TABLE rooms (
        id text PRIMARY KEY,
        name text NOT NULL,
        capacity integer NOT NULL CHECK (capacity > 0),
        last_seq bigint NOT NULL DEFAULT 0,
        member_count integer NOT NULL DEFAULT 0,
        epoch text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE members (
        room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id text NOT NULL,
        name text NOT NULL,
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, user_id)
      );
      -- json, not jsonb: data is stored and replayed exactly as published.
      CREATE TABLE events (
        room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        type text NOT NULL,
        data json NOT NULL,
        sender text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, seq)
      );
    `,
  },
  {
    name: '002-events-at-index',
    // Lets history trimming by age find expired events without reading every event.
    sql: 'CREATE INDEX events_at_idx ON events (at);',
  },
  {
    name: '003-idempotency-keys',
    // A key's event is copied here, so that a repeat is answered with it after history trimming.
    sql: `
      CREATE TABLE idempotency_keys (
        room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        sender text NOT NULL,
        key text NOT NULL,
        seq bigint NOT NULL,
        type text NOT NULL,
        data json NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, sender, key)
      );
      CREATE INDEX idempotency_keys_at_idx ON idempotency_keys USING brin (at);
    `,
  },
  { name: '004-roomcast-publish', sql: ROOMCAST_PUBLISH_SQL, serverOnly: true },
  { name: '005-webhook-outbox', sql: WEBHOOK_OUTBOX },
  {
    name: '006-idempotency-keys-unreferenced',
    // Rooms are never deleted, and every statement that stores a key has locked its room: the
    // reference only added a per-row check trigger to keyed publishes (about a tenth of their cost).
    sql: 'ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_room_id_fkey;',
  },
];
