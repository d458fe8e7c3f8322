package redisstream

import (
	"strconv"

	"github.com/redis/go-redis/v9"
)

// turnTTL bounds how long a claimed turn blocks the other writers when its
// holder does not come back (it crashed or its Redis connection broke).
const turnTTL = 100 // ms

// appendScript is the only write: it runs atomically inside Redis, so
// between reading the head and moving it no other replica can append.
// KEYS: stream, head, turn (one hash tag, so one Cluster slot).
// ARGV: the head the record was sealed against ("" for a new chain, "@id"
// after adopting a stream whose head key was lost), the new head, the line,
// the writer's id, "1" to claim the next turn if this try loses.
// Answers: {1, entry id}; {0, current head} when the head moved, with the
// last entry's line as a third element when the head key is missing but the
// stream is not, so the caller can check it and seal after it; {2, current
// head} when another writer holds the turn.
var appendScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[2])
if not cur then
  cur = ''
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if #last > 0 then
    cur = '@' .. last[1][1]
    if cur ~= ARGV[1] then
      local f, line = last[1][2], ''
      for i = 1, #f, 2 do
        if f[i] == 'r' then line = f[i + 1] end
      end
      return {0, cur, line}
    end
  end
end
local turn = redis.call('GET', KEYS[3])
if turn and turn ~= ARGV[4] then return {2, cur} end
if cur ~= ARGV[1] then
  if ARGV[5] == '1' then redis.call('SET', KEYS[3], ARGV[4], 'PX', ` + strconv.Itoa(turnTTL) + `) end
  return {0, cur}
end
local id = redis.call('XADD', KEYS[1], '*', 'r', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
if turn then redis.call('DEL', KEYS[3]) end
return {1, id}`)
