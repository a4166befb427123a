/**
 * Migration 005: the webhook outbox. Messages are written by the database itself, in the
 * transaction that stores their fact, by row triggers on `rooms` (room.created) and `events`
 * (stored events of the recorded types), so that no path that stores a fact can miss its message.
 * The triggers exist only while webhooks record something: `roomcast_record_webhooks` (re)creates
 * them when the recorded types change, with the types in the events trigger's WHEN condition, so
 * that an event of another type costs nothing (a statement trigger reading the settings cost
 * about a fifth of a single-event insert).
 *
 * A room's messages are ordered by (`seq`, `id`): a stored event's own seq, or for a room message
 * the room's last seq when it was written (under the room's row lock), then the order of writing.
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
    seq bigint NOT NULL,
    type text NOT NULL,
    -- a stored event's sender and data (a copy: history trimming cannot take it away); a room message's details
    is_event boolean NOT NULL,
    sender text,
    data json,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX webhook_outbox_room_order_idx ON webhook_outbox (room_id, seq, id);

  CREATE TABLE room_occupancy (
    room_id text PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    is_occupied boolean NOT NULL DEFAULT false
  );

  CREATE FUNCTION roomcast_webhook_for_event() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO webhook_outbox (room_id, seq, type, is_event, sender, data, occurred_at)
    VALUES (NEW.room_id, NEW.seq, NEW.type, true, NEW.sender, NEW.data, NEW.at);
    RETURN NULL;
  END $$;

  CREATE FUNCTION roomcast_webhook_for_room() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO webhook_outbox (room_id, seq, type, is_event, data, occurred_at)
    VALUES (NEW.id, NEW.last_seq, 'room.created', false,
            json_build_object('name', NEW.name, 'capacity', NEW.capacity), NEW.created_at);
    RETURN NULL;
  END $$;

  -- Records the given LIKE patterns (nothing when empty); returns whether they changed. The table
  -- locks are taken with a short lock_timeout (the caller tries again): waiting longer, queued
  -- ahead of every insert, would stall publishing, and could deadlock with one.
  CREATE FUNCTION roomcast_record_webhooks(wanted text[]) RETURNS boolean LANGUAGE plpgsql AS $$
  DECLARE
    recorded text[];
  BEGIN
    SELECT patterns INTO recorded FROM webhook_settings FOR UPDATE;
    IF recorded = wanted THEN
      RETURN false;
    END IF;
    PERFORM set_config('lock_timeout', '200ms', true);
    LOCK TABLE rooms, events IN SHARE ROW EXCLUSIVE MODE;
    DROP TRIGGER IF EXISTS events_webhooks ON events;
    DROP TRIGGER IF EXISTS rooms_webhooks ON rooms;
    IF cardinality(wanted) > 0 THEN
      EXECUTE format(
        'CREATE TRIGGER events_webhooks AFTER INSERT ON events FOR EACH ROW '
        'WHEN (NEW.type LIKE ANY (%L::text[]) AND NEW.type NOT IN (''room.created'', ''room.occupied'', ''room.vacated'')) '
        'EXECUTE FUNCTION roomcast_webhook_for_event()', wanted);
    END IF;
    IF 'room.created' LIKE ANY (wanted) THEN
      CREATE TRIGGER rooms_webhooks AFTER INSERT ON rooms FOR EACH ROW EXECUTE FUNCTION roomcast_webhook_for_room();
    END IF;
    UPDATE webhook_settings SET patterns = wanted;
    RETURN true;
  END $$;
`;
