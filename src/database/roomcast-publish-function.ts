/** The channel on which `roomcast_publish` tells every node, at commit, that a room has a new event. */
export const STORED_EVENTS_CHANNEL = 'roomcast_events';

/**
 * `roomcast_publish(room, type, data, sender)`: an event published from the application's own
 * transaction (docs/protocol.md, "Publishing from SQL"). It checks what the REST route checks,
 * raising the documented SQLSTATEs, takes the room's next seq under the room's row lock (held
 * until the caller's transaction ends, as every append's is), stores the event and notifies the
 * nodes, which PostgreSQL does only if the transaction commits.
 */
export const ROOMCAST_PUBLISH_SQL = `
  CREATE FUNCTION roomcast_publish(room text, type text, data jsonb, sender text DEFAULT 'sql')
  RETURNS bigint LANGUAGE plpgsql AS $fn$
  DECLARE
    next_seq bigint;
    data_bytes integer;
    depth integer := 0;
    level jsonb[] := '{}';
  BEGIN
    IF type IS NULL OR type !~ '^[a-z][a-z0-9_.-]{0,63}$' THEN
      RAISE EXCEPTION 'roomcast_publish: type must match ^[a-z][a-z0-9_.-]{0,63}$' USING ERRCODE = '22023';
    END IF;
    IF type LIKE 'member.%' OR type LIKE 'presence.%' THEN
      RAISE EXCEPTION 'roomcast_publish: event type ''%'' is reserved for the server', type USING ERRCODE = '42501';
    END IF;
    IF sender IS NULL OR length(sender) NOT BETWEEN 1 AND 128 THEN
      RAISE EXCEPTION 'roomcast_publish: sender must be 1 to 128 characters' USING ERRCODE = '22023';
    END IF;
    IF data IS NULL THEN
      RAISE EXCEPTION 'roomcast_publish: data is required (a JSON null is jsonb ''null'')' USING ERRCODE = '22023';
    END IF;
    data_bytes := octet_length(data::text);
    IF data_bytes > 65536 THEN
      RAISE EXCEPTION 'roomcast_publish: data is % bytes; the limit is 65536', data_bytes USING ERRCODE = '54000';
    END IF;
    -- Arrays and objects nested more than 100 levels deep are refused, as over REST.
    IF jsonb_typeof(data) IN ('object', 'array') THEN
      level := ARRAY[data];
      depth := 1;
    END IF;
    WHILE cardinality(level) > 0 LOOP
      IF depth > 100 THEN
        RAISE EXCEPTION 'roomcast_publish: data nests arrays and objects more than 100 levels deep' USING ERRCODE = '22023';
      END IF;
      level := ARRAY(
        SELECT child FROM unnest(level) AS parent (value),
          LATERAL (
            SELECT value FROM jsonb_each(CASE WHEN jsonb_typeof(parent.value) = 'object' THEN parent.value END)
            UNION ALL
            SELECT value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(parent.value) = 'array' THEN parent.value END)
          ) AS children (child)
        WHERE jsonb_typeof(child) IN ('object', 'array')
      );
      depth := depth + 1;
    END LOOP;
    UPDATE rooms SET last_seq = last_seq + 1 WHERE id = room RETURNING last_seq INTO next_seq;
    IF next_seq IS NULL THEN
      RAISE EXCEPTION 'roomcast_publish: room ''%'' does not exist', room USING ERRCODE = 'P0002';
    END IF;
    INSERT INTO events (room_id, seq, type, data, sender) VALUES (room, next_seq, type, data::json, sender);
    PERFORM pg_notify('${STORED_EVENTS_CHANNEL}', json_build_object('room', room, 'seq', next_seq)::text);
    RETURN next_seq;
  END
  $fn$`;
