"""Lua scripts of the Redis store; each runs atomically on the server.

Session keys share a hash tag (``{session id}``), so the scripts also work on Redis Cluster.
KEYS[1..3] of the session scripts are the pin, moves and ids keys; every write refreshes all three
TTLs (PEXPIRE on a missing key does nothing). Field layout of the ids hash:
``c:<caller>`` -> ``<provider>\\x1f<provider id>`` and ``p:<provider>\\x1f<provider id>`` -> caller.
"""

from __future__ import annotations

SEP = "\x1f"

_TOUCH = """
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
"""

# ARGV: ttl_ms, provider
PIN_IF_ABSENT = """
redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[1])
local holder = redis.call('GET', KEYS[1])
""" + _TOUCH + """
return holder
"""

# ARGV: ttl_ms, from, to, at
MOVE_PIN = """
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1])
  redis.call('RPUSH', KEYS[2], ARGV[2] .. '\\31' .. ARGV[3] .. '\\31' .. ARGV[4])
  cur = ARGV[3]
end
""" + _TOUCH + """
return cur
"""

# ARGV: provider
CLEAR_PIN_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# ARGV: ttl_ms, then (caller, provider, provider id) triples; returns the holder per triple,
# '' when the proposed caller id is taken by another pair
MAP_IDS = """
local out = {}
for i = 2, #ARGV, 3 do
  local caller, provider, pid = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local rfield = 'p:' .. provider .. '\\31' .. pid
  local held = redis.call('HGET', KEYS[3], rfield)
  if held then
    out[#out + 1] = held
  elseif redis.call('HEXISTS', KEYS[3], 'c:' .. caller) == 1 then
    out[#out + 1] = ''
  else
    redis.call('HSET', KEYS[3], rfield, caller, 'c:' .. caller, provider .. '\\31' .. pid)
    out[#out + 1] = caller
  end
end
""" + _TOUCH + """
return out
"""

# KEYS[1]: the failures sorted set. ARGV: now, cutoff (now - window), member, window_ms
RECORD_FAILURE = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
"""

SCRIPTS = {
    "pin_if_absent": PIN_IF_ABSENT,
    "move_pin": MOVE_PIN,
    "clear_pin_if": CLEAR_PIN_IF,
    "map_ids": MAP_IDS,
    "record_failure": RECORD_FAILURE,
}
