/** The statements that store events (run and read by event-insert-statements.ts). */

/*
 * One statement: the row lock taken by the UPDATE orders concurrent appends to a room, and the
 * seq is only spent when the insert commits with it, so seqs have no holes and no duplicates.
 */
export const INSERT_ONE_SQL = `
  WITH next AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
  INSERT INTO events (room_id, seq, type, data, sender)
  SELECT $1, last_seq, $2, $3::json, $4 FROM next
  RETURNING seq, at`;

/*
 * The same for many events in one statement, in groups that are each stored whole or not at all.
 * It locks the rooms in id order (so that two nodes' batches cannot deadlock: the UPDATE only
 * reaches a room through a row `locked` has produced), keeps the groups whose rooms all exist and
 * whose idempotency keys conflict with none used before, adds to each room's last_seq the number
 * of its new events, and numbers a room's new events in batch order below the new last_seq. An
 * event whose key was used before for the same type and data is not stored: the original is
 * returned instead. A key used concurrently by another transaction, committed after this
 * statement's snapshot, fails the key's insert (unique violation): the caller runs it again.
 * With $7 false, keys are not looked up, so that any key used before fails the statement the
 * same way (cheaper when repeats are rare, and the caller runs it again looking them up).
 * Rows: one per new event (its seq), one per repeated key (the original), and one per existing
 * room (`room` set), so that the caller can tell which groups were kept.
 */
export const INSERT_GROUPS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
      WITH ORDINALITY AS i (room, type, data, sender, grp, key, ord)
  ), locked AS (
    SELECT id FROM rooms WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
  ), prior AS (
    -- A lookup per keyed item (LIMIT 1 keeps it one: the planner, misjudging the keys table's
    -- size, would otherwise read the whole table into a hash join on every statement).
    SELECT input.ord, input.grp, k.seq, k.at, k.type, k.data::text AS data,
      k.type = input.type AND k.data::jsonb = input.data::jsonb AS same
    FROM input CROSS JOIN LATERAL (
      SELECT seq, at, type, data FROM idempotency_keys
      WHERE room_id = input.room AND sender = input.sender AND key = input.key LIMIT 1
    ) k
    WHERE input.key IS NOT NULL AND $7::boolean
  ), complete AS (
    SELECT input.grp FROM input LEFT JOIN locked ON locked.id = input.room
    GROUP BY input.grp HAVING bool_and(locked.id IS NOT NULL)
    EXCEPT SELECT grp FROM prior WHERE NOT same
  ), kept AS (
    SELECT ord, room, type, data, sender, key, row_number() OVER (PARTITION BY room ORDER BY ord) AS nth
    FROM input WHERE grp IN (SELECT grp FROM complete) AND ord NOT IN (SELECT ord FROM prior)
  ), wanted AS (
    SELECT room, count(*) AS n FROM kept GROUP BY room
  ), bumped AS (
    UPDATE rooms SET last_seq = rooms.last_seq + wanted.n
    FROM locked JOIN wanted ON wanted.room = locked.id
    WHERE rooms.id = locked.id
    RETURNING rooms.id, rooms.last_seq - wanted.n AS base_seq
  ), numbered AS (
    SELECT kept.*, bumped.base_seq + kept.nth AS seq FROM kept JOIN bumped ON bumped.id = kept.room
  ), stored AS (
    INSERT INTO events (room_id, seq, type, data, sender)
    SELECT room, seq, type, data::json, sender FROM numbered
  ), keyed AS (
    INSERT INTO idempotency_keys (room_id, sender, key, seq, type, data)
    SELECT room, sender, key, seq, type, data::json FROM numbered WHERE key IS NOT NULL
  )
  SELECT ord, seq, now() AS at, NULL AS type, NULL AS data, NULL::boolean AS same, NULL AS room FROM numbered
  UNION ALL SELECT ord, seq, at, type, data, same, NULL FROM prior
  UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, id FROM locked`;
