package redisstream

import "github.com/redis/go-redis/v9"

// appendScript is the only write: it runs atomically inside Redis, so
// between reading the head and moving it no other replica can append.
// KEYS: stream, head (one hash tag, so one Cluster slot).
// ARGV: the head the record was sealed against ("" for a new chain, "@id"
// after adopting a stream whose head key was lost), the new head, the line.
// Returns {1, entry id} when appended, else {0, current head} and, when the
// head key is missing but the stream is not empty, the last entry's line
// as a third element so the caller can check it and seal after it.
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
if cur ~= ARGV[1] then return {0, cur} end
local id = redis.call('XADD', KEYS[1], '*', 'r', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
return {1, id}`)
