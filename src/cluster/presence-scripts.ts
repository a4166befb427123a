/**
 * Lua scripts for cluster presence, each run atomically by Redis. Keys under `<prefix>:presence:`:
 * `count:<room>` (user → connections on all nodes), `name:<room>` (user → name),
 * `node:<node>` ("<room>\n<user>" → connections on that node; room ids hold no newline),
 * `nodes` (node → the time its heartbeat expires).
 */

/**
 * Adds `delta` connections of a user to a room, for one node. KEYS: node, count, name.
 * ARGV: field, user, name, delta. Returns the user's connections on all nodes afterwards,
 * or -1 when a removal finds nothing of this node's to remove (it was withdrawn meanwhile).
 */
export const ADJUST_PRESENCE = `
local mine = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[4])
if mine < 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return -1
end
if mine == 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local total = redis.call('HINCRBY', KEYS[2], ARGV[2], ARGV[4])
if total <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 0
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return total
`;

/**
 * Takes back everything one node contributed (a dead node, or this one before it re-adds its
 * own). KEYS: node. ARGV: key prefix. Returns room, user, name for each user left with no
 * connection anywhere.
 */
export const WITHDRAW_NODE = `
local entries = redis.call('HGETALL', KEYS[1])
local gone = {}
for i = 1, #entries, 2 do
  local field, count = entries[i], tonumber(entries[i + 1])
  local sep = string.find(field, '\\n', 1, true)
  local room, user = string.sub(field, 1, sep - 1), string.sub(field, sep + 1)
  local countKey = ARGV[1] .. ':presence:count:' .. room
  local nameKey = ARGV[1] .. ':presence:name:' .. room
  if redis.call('HINCRBY', countKey, user, -count) <= 0 then
    local name = redis.call('HGET', nameKey, user) or user
    redis.call('HDEL', countKey, user)
    redis.call('HDEL', nameKey, user)
    table.insert(gone, room)
    table.insert(gone, user)
    table.insert(gone, name)
  end
end
redis.call('DEL', KEYS[1])
return gone
`;
