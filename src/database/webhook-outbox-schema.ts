/**
 * Migration 003: the webhook outbox. The database records each message itself, in the transaction
 * that stores the fact: triggers on `rooms` (room.created) and `events` (stored events whose type
 * matches `webhook_settings.patterns`, LIKE patterns the server writes at start), so that no
 * fact can be stored without its message, whichever statement or function stores it. A room's
 * messages are numbered (`id`) under the room's row lock, so in the order its facts committed.
 * `room_occupancy` is each room's occupancy as last recorded (room.occupied / room.vacated).
 */
export const WEBHOOK_OUTBOX = `
  CREATE TABLE webhook_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    patterns text[] NOT NULL DEFAULT '{}'
  );
  INSERT INTO webhook_settings DEFAULT VALUES;

  CREATE TABLE webhook_outbox (
    id bigserial PRIMARY KEY,
    message_id text NOT NULL DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
    room_id text NOT NULL,
    type text NOT NULL,
    -- the stored event's seq, sender and data (a copy: history trimming cannot take it away)
    seq bigint,
    sender text,
    data json,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX webhook_outbox_room_idx ON webhook_outbox (room_id, id);

  CREATE TABLE room_occupancy (
    room_id text PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    is_occupied boolean NOT NULL DEFAULT false
  );

  CREATE FUNCTION roomcast_webhooks_for_events() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO webhook_outbox (room_id, type, seq, sender, data, occurred_at)
    SELECT e.room_id, e.type, e.seq, e.sender, e.data, e.at
    FROM stored e, webhook_settings s
    WHERE e.type LIKE ANY (s.patterns)
      AND e.type NOT IN ('room.created', 'room.occupied', 'room.vacated')
    ORDER BY e.room_id, e.seq;
    RETURN NULL;
  END $$;
  CREATE TRIGGER events_webhooks AFTER INSERT ON events REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION roomcast_webhooks_for_events();

  CREATE FUNCTION roomcast_webhooks_for_rooms() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO webhook_outbox (room_id, type, data, occurred_at)
    SELECT r.id, 'room.created', json_build_object('name', r.name, 'capacity', r.capacity), r.created_at
    FROM created r, webhook_settings s
    WHERE 'room.created' LIKE ANY (s.patterns)
    ORDER BY r.id;
    RETURN NULL;
  END $$;
  CREATE TRIGGER rooms_webhooks AFTER INSERT ON rooms REFERENCING NEW TABLE AS created
    FOR EACH STATEMENT EXECUTE FUNCTION roomcast_webhooks_for_rooms();
`;
