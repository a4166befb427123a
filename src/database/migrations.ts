import { WEBHOOK_OUTBOX } from './webhook-outbox-schema.js';

/** The schema, in order; a migration never changes once released: add a new one instead. */
export const MIGRATIONS: readonly { readonly name: string; readonly sql: string }[] = [
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
  { name: '003-webhook-outbox', sql: WEBHOOK_OUTBOX },
];
