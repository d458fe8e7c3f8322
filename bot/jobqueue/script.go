package jobqueue

import "github.com/redis/go-redis/v9"

// Every script touches the one stream key (KEYS[1]), so they run in one
// Redis Cluster slot whatever the key is named. Each one first checks that
// the entry is still pending for this consumer: once another replica has
// claimed a job (this one stalled past the visibility timeout), nothing
// this one does may ack, refresh or re-add that job under its new owner.
// ARGV[1] is always the group, ARGV[2] this consumer.

// mine is the ownership test the scripts share.
const mine = `
local function mine(id)
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  return #p > 0
end
`

// ackScript ends jobs: acknowledged and deleted from the stream (an acked
// entry is of no use to anyone, and the stream stays as long as the queue).
// ARGV[3..]: entry ids. Answers how many were ours.
var ackScript = redis.NewScript(mine + `
local n = 0
for i = 3, #ARGV do
  if mine(ARGV[i]) then
    redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
    redis.call('XDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n`)

// keepScript keeps jobs still running here from looking abandoned: XCLAIM
// to ourselves resets their idle time, JUSTID leaves the delivery count
// alone. ARGV[3..]: entry ids. Answers the ids that are no longer ours.
var keepScript = redis.NewScript(mine + `
local lost = {}
for i = 3, #ARGV do
  if mine(ARGV[i]) then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost`)

// releaseScript hands a job back (shutdown): ack and delete the entry and
// add it again at once, atomically, with how often it has been delivered,
// so a replica blocked on the group gets it now rather than after the
// visibility timeout, and still knows it is a later delivery.
// ARGV[3] entry id, ARGV[4] the job, ARGV[5] deliveries so far, ARGV[6]
// MAXLEN. Answers the new id, or false when the entry was not ours.
var releaseScript = redis.NewScript(mine + `
if not mine(ARGV[3]) then return false end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'job', ARGV[4], 'n', ARGV[5])`)

// claimScript takes over jobs whose consumer stopped refreshing them (idle
// longer than the visibility timeout) and answers each with its delivery
// count, which XAUTOCLAIM does not return: {id, fields, count} per entry.
// ARGV[3] min idle (ms), ARGV[4] how many.
var claimScript = redis.NewScript(`
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
local out = {}
for _, m in ipairs(r[2]) do
  if m[2] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], m[1], m[1], 1)
    local n = 1
    if #p > 0 then n = p[1][4] end
    table.insert(out, {m[1], m[2], n})
  end
end
return out`)

// dropConsumerScript removes a consumer from the group only while it has
// nothing pending: deleting a consumer drops its pending entries, and a
// job must never be lost that way. ARGV[2] the consumer. Answers 1 if it
// was removed.
var dropConsumerScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1`)
