-- Shared helpers of the state functions (loaded once as a Redis function library with every
-- script's body, see ScriptLibrary). Every script checks state before its first write (Lua has no
-- rollback) and derives task keys from the job key, and the shard's timer set from its outbox key:
-- all of them carry the shard's hash tag. Tables below that hold one call's results are reset by
-- begin_call() at the start of every call: the library's locals live as long as the library.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- '<ns>:{sN}:outbox' -> '<ns>:{sN}:<name>'
local function shard_key(outbox, name)
  return string.sub(outbox, 1, -7) .. name
end

-- '<ns>:{sN}:<anything>' -> '<ns>:{sN}:'
local function shard_prefix(shard_scoped_key)
  return string.sub(shard_scoped_key, 1, string.find(shard_scoped_key, '}:', 1, true) + 1)
end

-- '<ns>:{sN}:<anything>' -> '<ns>:{sN}:queued:<pool>': the pool's dispatched-but-unclaimed tasks
-- (member '<job>|<node>', score the dispatch time in ms), read for the pool's oldest message age.
local function queued_key(shard_scoped_key, pool)
  return shard_prefix(shard_scoped_key) .. 'queued:' .. (pool or 'default')
end

-- A READY task left READY (claimed, cancelled, timed out in the queue, dead-lettered): it is no
-- longer queued, and the queue timeout of its current dispatch, if any, is moot.
local function unqueue(shard_scoped_key, job_id, node, pool)
  redis.call('ZREM', queued_key(shard_scoped_key, pool), job_id .. '|' .. node)
  local prefix = shard_prefix(shard_scoped_key)
  local dispatch = redis.call('HGET', prefix .. 'job:' .. job_id .. ':t:' .. node, 'dispatch')
  if dispatch then
    redis.call('ZREM', prefix .. 'timers', 'q|' .. job_id .. '|' .. node .. '|' .. dispatch)
  end
end

-- An attempt ended (committed, failed, handed back, lost): its attempt timeout is moot.
local function drop_attempt_timer(shard_scoped_key, job_id, node, attempt)
  if attempt and attempt ~= '' then
    redis.call('ZREM', shard_prefix(shard_scoped_key) .. 'timers', 'a|' .. job_id .. '|' .. node .. '|' .. attempt)
  end
end

-- Outbox entries this script wrote, returned to the caller (id, routing key, message, shard,
-- processor) so that it can publish them at once; the outbox relay publishes whatever a crashed
-- caller left behind.
local DISPATCHED = {}

-- The task state machine: TaskState.ALLOWED in the protocol module (a test holds the two equal).
-- Every change of a task's state goes through set_state, which refuses any other transition.
local ALLOWED = {
  PENDING = {READY = true, SKIPPED = true, CANCELLED = true},
  READY = {RUNNING = true, READY = true, FAILED = true, TIMED_OUT = true, CANCELLED = true},
  RUNNING = {SUCCESS = true, FAILED = true, TIMED_OUT = true, RETRY_WAIT = true, READY = true, CANCELLED = true, CACHED = true},
  RETRY_WAIT = {READY = true, CANCELLED = true, FAILED = true},
  SUCCESS = {}, FAILED = {}, TIMED_OUT = {}, CANCELLED = {}, SKIPPED = {}, CACHED = {},
}

-- The non-terminal states a job counts its tasks in ('n:<STATE>' fields of the job hash), so a view
-- of a job reads its progress without reading its tasks; deltas are summed per call and written
-- once per job by end_call(). Running tasks are also kept by name in '<job>:running' (the stage).
local COUNTED = {PENDING = true, READY = true, RUNNING = true, RETRY_WAIT = true}
local COUNTS = {}

-- Moves a task from state 'from' (read when nil) to 'to', writing the extra field/value pairs.
local function set_state(job_key, node, from, to, ...)
  local key = job_key .. ':t:' .. node
  if not from then
    from = redis.call('HGET', key, 'state')
  end
  local allowed = from and ALLOWED[from]
  if not allowed or not allowed[to] then
    error('illegal task transition ' .. tostring(from) .. ' -> ' .. tostring(to) .. ' of ' .. key)
  end
  redis.call('HSET', key, 'state', to, ...)
  if from ~= to then
    local c = COUNTS[job_key]
    if not c then
      c = {}
      COUNTS[job_key] = c
    end
    if COUNTED[from] then
      c[from] = (c[from] or 0) - 1
    end
    if COUNTED[to] then
      c[to] = (c[to] or 0) + 1
    end
    if from == 'RUNNING' then
      redis.call('SREM', job_key .. ':running', node)
    elseif to == 'RUNNING' then
      redis.call('SADD', job_key .. ':running', node)
    end
    if string.byte(node, -1) == 93 then
      -- an item task '<group>[<i>]': its group counts its items per state (the job view's summary)
      local group_key = job_key .. ':t:' .. string.match(node, '^(.-)%[%d+%]$')
      redis.call('HINCRBY', group_key, 'i:' .. from, -1)
      redis.call('HINCRBY', group_key, 'i:' .. to, 1)
    end
  end
end

-- What this script ended, for the caller's metrics: tasks ended here rather than by a worker's
-- commit ('t|<pool>|<state or retry>|<reason>') and jobs ('j|<status>', and for the job duration
-- histogram 'J|<status>|<pipeline>|<ms since submission>'), with how many. Noted only
-- where the transition happens, so a replayed script or event counts nothing twice.
local ENDS = {}

local function note_end(what)
  ENDS[what] = (ENDS[what] or 0) + 1
end

-- A task ended (or went to RETRY_WAIT: state 'retry') in this script; reason is a fixed code.
local function note_task_end(task_key, state, reason)
  note_end('t|' .. (redis.call('HGET', task_key, 'pool') or 'default') .. '|' .. state .. '|' .. reason)
end

local function note_job_end(job_key, status)
  note_end('j|' .. status)
  local j = redis.call('HMGET', job_key, 'pipeline', 'created')
  local created = tonumber(j[2] or '')
  if j[1] and created then
    -- the reply's separators cannot be part of the name
    local pipeline = string.gsub(j[1], '[|;=]', '_')
    note_end('J|' .. status .. '|' .. pipeline .. '|' .. math.max(0, math.floor((now_us() - created) / 1000)))
  end
end

-- The task message (TaskMessage in the protocol module) for one dispatch of a task.
local function task_message(job_id, shard, node, seq)
  return '{"type":"task","v":1,"job":"' .. job_id .. '","shard":' .. shard .. ',"node":"' .. node .. '","dispatch":' .. seq .. '}'
end

-- The routing key of a task's message: its pool's queue for the job's priority (Priority.routingKey).
local function route(job_key, pool)
  local priority = redis.call('HGET', job_key, 'priority')
  if priority == 'high' or priority == 'low' then
    return pool .. ':' .. priority
  end
  return pool
end

-- '<ns>:{sN}:...' -> '<ns>' and N
local function ns_of(key)
  return string.sub(key, 1, string.find(key, ':{', 1, true) - 1)
end

local function shard_of(key)
  local i = string.find(key, ':{s', 1, true)
  return string.sub(key, i + 3, string.find(key, '}', i, true) - 1)
end

-- Concurrency limits, cluster-wide: 'processor:<name>' (running tasks) and 'pipeline:<id>' (running
-- jobs). A task holds a slot of its processor's limit from its dispatch until the overseer
-- processes its end (retry back-off included); a job holds one of its pipeline's from its start to
-- its end. Beyond the limit a task waits 'held' (READY, nothing published) and a job PENDING,
-- ordered by priority, then age.
-- A script runs on the keys of one Redis Cluster slot, so no shard script touches the slots: they
-- live in the '{limits}' slot (limits.lua). A shard keeps a copy of which limits exist
-- ('<ns>:{sN}:limited', written by the limits API). A task or job under a limit that holds no slot
-- waits in its shard ('<ns>:{sN}:held', member 't|<job>|<node>' or 'j|<job>', score when it first
-- asked) and the script asks for a slot in its reply (SLOTS: 'a|<kind>|<name>|<member>|<wait
-- score>'); the caller takes it in '{limits}' and hands it over with grant.lua, which marks the
-- holder's hash 'slot' and dispatches the task (or starts the job). Giving a slot back (or ending a
-- wait) is asked the same way ('r|<kind>|<name>|<member>'). '{limits}' members are
-- '<shard>|<job>|<node>' and '<shard>|<job>'. Each step is idempotent, and an overseer's sweep asks
-- again for waits older than a while and gives back slots whose holders ended (a caller that died
-- between two steps).
local SLOTS = {}
local PRIORITY_RANK = {high = 0, medium = 1, low = 2}

local function wait_score(job_key)
  return string.format('%.0f', (PRIORITY_RANK[redis.call('HGET', job_key, 'priority') or 'medium'] or 1) * 1e13 + now_ms())
end

-- Whether a task or job (holder: its hash; member: its '{limits}' member; waiting: its member in the
-- shard's wait set) may go on: no such limit, or it holds a slot. Otherwise it waits and asks.
local function take_slot(job_key, holder, kind, name, member, waiting)
  if not name or redis.call('HEXISTS', shard_prefix(job_key) .. 'limited', kind .. ':' .. name) == 0 then
    return true
  end
  if redis.call('HEXISTS', holder, 'slot') == 1 then
    return true
  end
  redis.call('ZADD', shard_prefix(job_key) .. 'held', 'NX', now_ms(), waiting)
  SLOTS[#SLOTS + 1] = 'a|' .. kind .. '|' .. name .. '|' .. member .. '|' .. wait_score(job_key)
  return false
end

-- Gives back the slot a task or job held, or ends its wait for one; the limit's name is the holder
-- hash's name_field ('processor' of a task, 'pipeline' of a job), read only when there is one to give.
local function give_slot(job_key, holder, kind, name_field, member, waiting)
  local waited = redis.call('ZREM', shard_prefix(job_key) .. 'held', waiting)
  if waited + redis.call('HDEL', holder, 'slot') > 0 then
    local name = redis.call('HGET', holder, name_field)
    if name then
      SLOTS[#SLOTS + 1] = 'r|' .. kind .. '|' .. name .. '|' .. member
    end
  end
end

-- Marks a task READY with a fresh dispatch id, appends its message to the shard's outbox and,
-- when the node has a queue timeout, starts that timer. Over its processor's limit, the task is
-- held instead (READY with 'held'), and dispatched when a slot frees.
-- 'from' is the task's state now.
local function dispatch(job_key, outbox, job_id, shard, node, pool, now, from)
  local key = job_key .. ':t:' .. node
  if not take_slot(job_key, key, 'processor', redis.call('HGET', key, 'processor'), shard .. '|' .. job_id .. '|' .. node,
      't|' .. job_id .. '|' .. node) then
    -- no message is out for a held task: the dispatch id of its earlier attempt must not match a
    -- copy of that attempt's message (a redelivery, the outbox relay), or it would claim the task
    -- past the limit, or dead-letter it
    redis.call('HDEL', key, 'dispatch')
    set_state(job_key, node, from, 'READY', 'held', '1', 'readyAt', now)
    return nil
  end
  redis.call('HDEL', key, 'held')
  local seq = redis.call('HINCRBY', job_key, 'seq', 1)
  set_state(job_key, node, from, 'READY', 'dispatch', seq, 'readyAt', now)
  local message = task_message(job_id, shard, node, seq)
  local routing_key = route(job_key, pool)
  local processor = redis.call('HGET', key, 'processor') or ''
  local id = redis.call('XADD', outbox, '*', 'p', routing_key, 'm', message, 'r', processor)
  redis.call('ZADD', queued_key(outbox, pool), math.floor(now / 1000), job_id .. '|' .. node)
  DISPATCHED[#DISPATCHED + 1] = id
  DISPATCHED[#DISPATCHED + 1] = routing_key
  DISPATCHED[#DISPATCHED + 1] = message
  DISPATCHED[#DISPATCHED + 1] = shard
  DISPATCHED[#DISPATCHED + 1] = processor
  local qt = tonumber(redis.call('HGET', key, 'qt') or '0')
  if qt > 0 then
    redis.call('ZADD', shard_key(outbox, 'timers'), math.floor(now / 1000) + qt, 'q|' .. job_id .. '|' .. node .. '|' .. seq)
  end
  return seq
end

-- A reply: a status, what ended ('<what>=<count>' joined by ';', see ENDS), the slot requests
-- (joined by ';', see SLOTS), then the dispatched outbox entries (five fields each).
local function reply(status)
  local ends = {}
  for what, n in pairs(ENDS) do
    ends[#ends + 1] = what .. '=' .. n
  end
  local out = {status, table.concat(ends, ';'), table.concat(SLOTS, ';')}
  for i = 1, #DISPATCHED do
    out[i + 3] = DISPATCHED[i]
  end
  return out
end

-- A task's end was processed (or it was cancelled): the processor slot it held, or its wait for one,
-- goes back.
local function free_slot(job_key, job_id, node)
  local key = job_key .. ':t:' .. node
  give_slot(job_key, key, 'processor', 'processor', shard_of(job_key) .. '|' .. job_id .. '|' .. node,
      't|' .. job_id .. '|' .. node)
end

local job_ended -- defined below; a job with nothing left to run ends as it starts
local begin_map, stop_group -- defined below (dynamic fan-out)

-- Starts a job (READY or PENDING): RUNNING, its deadline timer, its parentless tasks dispatched.
-- Over its pipeline's running-jobs limit it waits PENDING instead. Returns the status it has.
local function start_job(job_key, job_id, shard, now)
  local ns = ns_of(job_key)
  if not take_slot(job_key, job_key, 'pipeline', redis.call('HGET', job_key, 'pipeline'), shard .. '|' .. job_id, 'j|' .. job_id) then
    redis.call('HSET', job_key, 'status', 'PENDING')
    return 'PENDING'
  end
  redis.call('HSET', job_key, 'status', 'RUNNING', 'started', now)
  local outbox = ns .. ':{s' .. shard .. '}:outbox'
  local deadline = tonumber(redis.call('HGET', job_key, 'deadline') or '0')
  if deadline > 0 then
    redis.call('ZADD', shard_key(outbox, 'timers'), math.floor(now / 1000) + deadline, 'd|' .. job_id)
  end
  for _, node in ipairs(redis.call('LRANGE', job_key .. ':nodes', 0, -1)) do
    local t = redis.call('HMGET', job_key .. ':t:' .. node, 'state', 'np', 'pool', 'map')
    if t[1] == 'PENDING' and redis.call('SCARD', job_key .. ':sat:' .. node) >= tonumber(t[2]) then
      if t[4] then
        begin_map(job_key, job_id, node, 'PENDING', now)
      else
        dispatch(job_key, outbox, job_id, shard, node, t[3], now, 'PENDING')
      end
    end
  end
  local j = redis.call('HMGET', job_key, 'terminal', 'total', 'failed')
  if tonumber(j[1]) >= tonumber(j[2]) then
    -- nothing left to run (a re-run that reuses every output)
    local ended = tonumber(j[3] or '0') > 0 and 'FAILED' or 'SUCCESS'
    redis.call('HSET', job_key, 'status', ended, 'finished', now)
    note_job_end(job_key, ended)
    job_ended(job_key)
    return ended
  end
  return 'RUNNING'
end

-- A job ended: its deadline timer is moot, it is kept for its retention ('retention', ms, stored at
-- submission; none on a job submitted before retention existed) and then removed by the retention
-- sweeper (purge.lua), and its pipeline slot, or its wait for one, goes back.
job_ended = function(job_key)
  local id = redis.call('HGET', job_key, 'id')
  if id then
    redis.call('ZREM', shard_prefix(job_key) .. 'timers', 'd|' .. id)
    local keep = tonumber(redis.call('HGET', job_key, 'retention') or '0') or 0
    if keep > 0 then
      redis.call('ZADD', shard_prefix(job_key) .. 'expiry', now_ms() + keep, id)
    end
    give_slot(job_key, job_key, 'pipeline', 'pipeline', shard_of(job_key) .. '|' .. id, 'j|' .. id)
  end
end

-- Counts a task as ended and, once every task has, ends the job.
local function count_terminal(job_key, field)
  redis.call('HINCRBY', job_key, field, 1)
  local terminal = redis.call('HINCRBY', job_key, 'terminal', 1)
  local total = tonumber(redis.call('HGET', job_key, 'total'))
  if terminal >= total then
    local j = redis.call('HMGET', job_key, 'status', 'failed', 'endAs')
    if j[1] == 'RUNNING' then
      local ended = tonumber(j[2] or '0') > 0 and 'FAILED' or 'SUCCESS'
      redis.call('HSET', job_key, 'status', ended, 'finished', now_us())
      note_job_end(job_key, ended)
      job_ended(job_key)
    elseif j[1] == 'CANCELLING' then
      local ended = j[3] or 'CANCELLED'
      redis.call('HSET', job_key, 'status', ended, 'finished', now_us())
      note_job_end(job_key, ended)
      job_ended(job_key)
    end
  end
end

-- Marks every PENDING descendant of node SKIPPED, each counted once; code is the metrics' reason
-- ('upstream_failed' unless given).
local function skip_descendants(job_key, node, reason, code)
  local stack = cjson.decode(redis.call('HGET', job_key .. ':t:' .. node, 'ch') or '[]')
  while #stack > 0 do
    local d = table.remove(stack)
    local key = job_key .. ':t:' .. d
    if redis.call('HGET', key, 'state') == 'PENDING' and redis.call('SADD', job_key .. ':done', d) == 1 then
      set_state(job_key, d, 'PENDING', 'SKIPPED', 'error', reason, 'ended', now_us())
      note_task_end(key, 'SKIPPED', code or 'upstream_failed')
      count_terminal(job_key, 'skipped')
      for _, c in ipairs(cjson.decode(redis.call('HGET', key, 'ch') or '[]')) do
        table.insert(stack, c)
      end
    end
  end
end

-- Optional outputs. A task whose node declares optional outputs carries them in 'opt' (ordinary
-- tasks have none and pay nothing): when it succeeds, the release looks in the job's data hash for
-- which of them it left unproduced, and every child that needs one is SKIPPED with the reason,
-- then everything below that child (a task below a skipped one is skipped, as below a failure). A
-- skip is not a failure: the job still ends SUCCESS when nothing failed.

-- The outputs of 'opt' (a JSON list) the task left unproduced, as a set; nil when it produced all.
local function unproduced_outputs(job_key, opt_json)
  local missing = nil
  for _, out in ipairs(cjson.decode(opt_json)) do
    if redis.call('HEXISTS', job_key .. ':data', out) == 0 then
      missing = missing or {}
      missing[out] = true
    end
  end
  return missing
end

-- The first input of a written task found in the set 'unproduced'; nil when it needs none of them.
local function needs_unproduced(job_key, node, unproduced)
  local inputs = redis.call('HGET', job_key .. ':t:' .. node, 'in')
  for _, input in ipairs(inputs and cjson.decode(inputs) or {}) do
    if unproduced[input] then
      return input
    end
  end
  return nil
end

-- Skips a PENDING task whose input 'input' its producer left unproduced, then its PENDING descendants.
local function skip_unproduced(job_key, node, input, producer)
  local key = job_key .. ':t:' .. node
  if redis.call('HGET', key, 'state') ~= 'PENDING' or redis.call('SADD', job_key .. ':done', node) == 0 then
    return
  end
  set_state(job_key, node, 'PENDING', 'SKIPPED', 'error', "input '" .. input .. "' was not produced by '" .. producer .. "'",
    'ended', now_us())
  note_task_end(key, 'SKIPPED', 'not_produced')
  count_terminal(job_key, 'skipped')
  skip_descendants(job_key, node, "upstream task '" .. node .. "' was skipped", 'upstream_skipped')
end

-- For a task written after its parents may have ended (a later chunk): the first of its optional
-- inputs ('oi': input -> producer) whose producer succeeded without producing it; nil, nil if none.
local function unproduced_input(job_key, oi)
  for input, producer in pairs(oi) do
    if redis.call('SISMEMBER', job_key .. ':done', producer) == 1 and redis.call('HEXISTS', job_key .. ':data', input) == 0 then
      return input, producer
    end
  end
  return nil, nil
end

-- Delay before retry number n (1-based) from the task's back-off; mirrors RetryPolicy.delayBefore.
local function retry_delay(task_key, n)
  local b = redis.call('HMGET', task_key, 'bk', 'bi', 'bm', 'bj')
  local initial = tonumber(b[2] or '0')
  local max_delay = tonumber(b[3] or '0')
  local jitter = tonumber(b[4] or '0')
  local base = initial
  if b[1] == 'LINEAR' then
    base = initial * n
  elseif b[1] == 'EXPONENTIAL' then
    base = initial * (2 ^ math.max(0, n - 1))
  end
  if max_delay > 0 and base > max_delay then
    base = max_delay
  end
  local spread = base * jitter * (2 * math.random() - 1)
  return math.max(0, math.floor(base + spread + 0.5))
end

-- An attempt ended without success. While the job runs, the failure is retryable and retries
-- remain, the task waits for a retry timer; otherwise it ends in final_state and a completion
-- event tells the overseer. Returns 'retry', or 'ended' and the state the task ended in.
local function end_attempt(job_key, events, job_id, node, attempt, reason, retryable, final_state)
  local key = job_key .. ':t:' .. node
  local st = redis.call('HMGET', key, 'attempts', 'max', 'lost', 'handbacks')
  -- attempts cut short by a lost lease or a hand-back do not use up the node's retries
  local used = tonumber(st[1]) - tonumber(st[3] or '0') - tonumber(st[4] or '0')
  local now = now_us()
  local job = redis.call('HMGET', job_key, 'status', 'stopAs')
  if job[1] == 'CANCELLING' then
    final_state = job[2] or 'CANCELLED'
    retryable = false
  end
  if retryable and used <= tonumber(st[2]) then
    set_state(job_key, node, 'RUNNING', 'RETRY_WAIT', 'error', reason, 'ended', now)
    redis.call('ZADD', shard_key(events, 'timers'), math.floor(now / 1000) + retry_delay(key, used),
      'r|' .. job_id .. '|' .. node)
    return 'retry'
  end
  set_state(job_key, node, 'RUNNING', final_state, 'error', reason, 'ended', now)
  redis.call('XADD', events, '*', 'j', job_id, 'n', node, 'a', attempt, 'o', final_state == 'CANCELLED' and 'cancel' or 'fail')
  return 'ended', final_state
end

-- Stops a job: tasks that are not running end now (CANCELLED); running attempts are told to stop
-- by the caller and end as stop_as when they do. The job ends as end_as once every task has.
local function stop_job(job_key, job_id, end_as, stop_as, reason)
  local status = redis.call('HGET', job_key, 'status')
  if not status then
    return 'gone', 0
  end
  if status ~= 'RUNNING' and status ~= 'READY' and status ~= 'PENDING' then
    return status, 0
  end
  local now = now_us()
  -- stopSeq: the dispatch count when the stop took effect; nothing may be dispatched after it
  redis.call('HSET', job_key, 'status', 'CANCELLING', 'endAs', end_as, 'stopAs', stop_as, 'reason', reason,
    'stopSeq', redis.call('HGET', job_key, 'seq') or '0')
  local running = 0
  for _, node in ipairs(redis.call('LRANGE', job_key .. ':nodes', 0, -1)) do
    local key = job_key .. ':t:' .. node
    local s = redis.call('HGET', key, 'state')
    if s == 'PENDING' or s == 'READY' or s == 'RETRY_WAIT' then
      if s == 'READY' then
        unqueue(job_key, job_id, node, redis.call('HGET', key, 'pool'))
      elseif s == 'RETRY_WAIT' then
        redis.call('ZREM', shard_prefix(job_key) .. 'timers', 'r|' .. job_id .. '|' .. node)
      end
      if s ~= 'PENDING' then
        free_slot(job_key, job_id, node)
      end
      if redis.call('SADD', job_key .. ':done', node) == 1 then
        set_state(job_key, node, s, 'CANCELLED', 'error', reason, 'ended', now)
        note_task_end(key, 'CANCELLED', end_as == 'CANCELLED' and 'cancelled' or 'deadline')
        count_terminal(job_key, 'cancelled')
      end
    elseif s == 'RUNNING' then
      if redis.call('HEXISTS', key, 'map') == 1 then
        stop_group(job_key, job_id, node, reason, now)
      else
        running = running + 1
      end
    end
  end
  if redis.call('HGET', job_key, 'status') == 'CANCELLING' and
      tonumber(redis.call('HGET', job_key, 'terminal')) >= tonumber(redis.call('HGET', job_key, 'total')) then
    redis.call('HSET', job_key, 'status', end_as, 'finished', now)
    note_job_end(job_key, end_as)
    job_ended(job_key)
  end
  return 'stopping', running
end

-- Dynamic fan-out (map.lua; see "Dynamic fan-out" in docs/design.md). A process node that runs once
-- per item of a mapped list is a group task ('map' field: JSON {l: the list, i: its per-item inputs,
-- o: its outputs}). Released like any task, the group goes RUNNING without a message and a durable
-- timer 'm|<job>|<group>' asks the overseer to expand it; map.lua then writes its items, tasks named
-- '<group>[<i>]', a bounded chunk per call. An item's name ends in ']' (no declared name can), which
-- is how commit, claim and release tell an item from an ordinary task without reading anything.

-- The group of an item task '<group>[<i>]', or nil for any other task.
local function group_of(node)
  if string.byte(node, -1) ~= 93 then
    return nil
  end
  return string.match(node, '^(.-)%[%d+%]$')
end

-- What a collecting node reads for a per-item output: n items under '<name>[<i>]'. The worker reads
-- them in bounded slices and hands the processor one JSON array (CollectedInputs).
local COLLECT_MARK = '\0pw-collect:1\n'

-- A released group: RUNNING (no worker holds it; it ends when its items have) and due for expansion.
begin_map = function(job_key, job_id, node, from, now)
  set_state(job_key, node, from, 'READY', 'readyAt', now)
  set_state(job_key, node, 'READY', 'RUNNING', 'started', now, 'next', 0)
  redis.call('ZADD', shard_prefix(job_key) .. 'timers', now_ms(), 'm|' .. job_id .. '|' .. node)
end

-- Every item of a RUNNING group ended: the group ends SUCCESS (its per-item outputs readable by a
-- collecting node) or FAILED, and a completion event releases its children as a worker's commit would.
local function end_group(job_key, job_id, node)
  local key = job_key .. ':t:' .. node
  local g = redis.call('HMGET', key, 'bad', 'n', 'map')
  local bad, n = tonumber(g[1] or '0'), tonumber(g[2] or '0')
  local events = shard_prefix(job_key) .. 'events'
  redis.call('ZREM', shard_prefix(job_key) .. 'timers', 'm|' .. job_id .. '|' .. node)
  if bad == 0 then
    for _, o in ipairs(cjson.decode(g[3]).o) do
      if redis.call('HSETNX', job_key .. ':data', o, COLLECT_MARK .. '{"n":' .. n .. '}') == 1 then
        redis.call('HSET', job_key .. ':ctype', o, 'application/json')
      end
    end
    set_state(job_key, node, 'RUNNING', 'SUCCESS', 'ended', now_us())
    redis.call('XADD', events, '*', 'j', job_id, 'n', node, 'a', '', 'o', 'ok')
  else
    set_state(job_key, node, 'RUNNING', 'FAILED', 'ended', now_us(), 'error', bad .. ' of ' .. n .. ' items did not succeed')
    redis.call('XADD', events, '*', 'j', job_id, 'n', node, 'a', '', 'o', 'fail')
  end
end

-- An item's end was released: its group counts it; the first item that did not succeed skips what
-- waits below the group at once (as a failed task's descendants are), the last one ends the group.
local function map_item_ended(job_key, job_id, group, outcome)
  local key = job_key .. ':t:' .. group
  if redis.call('HGET', key, 'state') ~= 'RUNNING' then
    return -- stopped with its job meanwhile
  end
  if outcome ~= 'ok' and redis.call('HINCRBY', key, 'bad', 1) == 1 then
    skip_descendants(job_key, group, "an item of '" .. group .. "' did not succeed")
  end
  if redis.call('HINCRBY', key, 'left', -1) <= 0 then
    end_group(job_key, job_id, group)
  end
end

-- A job being stopped meets its RUNNING group: it ends CANCELLED now (items not written yet never
-- will be; written ones are stopped as tasks).
stop_group = function(job_key, job_id, node, reason, now)
  redis.call('ZREM', shard_prefix(job_key) .. 'timers', 'm|' .. job_id .. '|' .. node)
  if redis.call('SADD', job_key .. ':done', node) == 1 then
    set_state(job_key, node, 'RUNNING', 'CANCELLED', 'error', reason, 'ended', now)
    count_terminal(job_key, 'cancelled')
  end
end

-- A task that ended with its outputs: run, or taken from the cache.
local function succeeded(state)
  return state == 'SUCCESS' or state == 'CACHED'
end

-- Writes tasks of a job (submit.lua, submit_chunk.lua): their hashes and the nodes list, in
-- execution order. Reused tasks ("done") are created SUCCESS (CACHED with "cached": a memoised result
-- of the job "done" names) and satisfy their children, the others PENDING. In a later chunk ('later'), a task is dispatched at once when its parents are all done
-- and the job runs, SKIPPED below a released parent that did not succeed, and CANCELLED in a job
-- being stopped.
local function write_tasks(job_key, job_id, shard, outbox, tasks, now, later)
  local batch = {}
  local status = later and redis.call('HGET', job_key, 'status') or nil
  local pending = 0
  for _, t in ipairs(tasks) do
    table.insert(batch, t.node)
    if #batch == 1000 then
      redis.call('RPUSH', job_key .. ':nodes', unpack(batch))
      batch = {}
    end
    local key = job_key .. ':t:' .. t.node
    -- created in its first state (not a transition): PENDING, or SUCCESS when it reuses outputs
    -- (CACHED when they are a memoised result)
    redis.call('HSET', key, 'state', t.done and (t.cached and 'CACHED' or 'SUCCESS') or 'PENDING', 'processor', t.processor, 'pool', t.pool,
      'spec', t.spec, 'in', cjson.encode(t['in']), 'np', t.np, 'ch', cjson.encode(t.ch), 'attempts', 0, 'max', t.max, 'lost', 0,
      'qt', t.qt, 'to', t.to, 'hb', t.hb, 'bk', t.bk, 'bi', t.bi, 'bm', t.bm, 'bj', t.bj)
    if t.sink then
      redis.call('HSET', key, 'sink', t.sink)
    end
    if t.opt then
      -- optional outputs, looked for when the task succeeds (see "Optional outputs" above)
      redis.call('HSET', key, 'opt', cjson.encode(t.opt))
    end
    if t.map then
      redis.call('HSET', key, 'map', t.map)
    end
    if t.done then
      redis.call('HSET', key, 'reused', t.done, 'ended', now)
      if t.cached then
        redis.call('HSET', key, 'cachedFrom', t.done)
      end
      redis.call('SADD', job_key .. ':done', t.node)
      for _, c in ipairs(t.ch) do
        redis.call('SADD', job_key .. ':sat:' .. c, t.node)
      end
      count_terminal(job_key, 'succeeded')
    else
      -- counted PENDING as created; set_state moves the counters along from there
      pending = pending + 1
      local failed_parent = nil
      local parent_state = nil
      if later then
        for _, p in ipairs(t.pa or {}) do
          parent_state = redis.call('SISMEMBER', job_key .. ':done', p) == 1 and redis.call('HGET', job_key .. ':t:' .. p, 'state')
          if parent_state and not succeeded(parent_state) then
            failed_parent = p
            break
          end
        end
      end
      local unproduced, producer = nil, nil
      if later and t.oi and not failed_parent then
        unproduced, producer = unproduced_input(job_key, t.oi)
      end
      if later and status == 'CANCELLING' then
        set_state(job_key, t.node, 'PENDING', 'CANCELLED', 'error', redis.call('HGET', job_key, 'reason') or 'cancelled', 'ended', now)
        redis.call('SADD', job_key .. ':done', t.node)
        note_task_end(key, 'CANCELLED', redis.call('HGET', job_key, 'endAs') == 'CANCELLED' and 'cancelled' or 'deadline')
        count_terminal(job_key, 'cancelled')
      elseif failed_parent then
        local skipped = parent_state == 'SKIPPED'
        set_state(job_key, t.node, 'PENDING', 'SKIPPED', 'error', "upstream task '" .. failed_parent ..
          (skipped and "' was skipped" or "' did not succeed"), 'ended', now)
        redis.call('SADD', job_key .. ':done', t.node)
        note_task_end(key, 'SKIPPED', skipped and 'upstream_skipped' or 'upstream_failed')
        count_terminal(job_key, 'skipped')
      elseif unproduced then
        set_state(job_key, t.node, 'PENDING', 'SKIPPED', 'error', "input '" .. unproduced .. "' was not produced by '" .. producer .. "'",
          'ended', now)
        redis.call('SADD', job_key .. ':done', t.node)
        note_task_end(key, 'SKIPPED', 'not_produced')
        count_terminal(job_key, 'skipped')
      elseif later and status == 'RUNNING' and redis.call('SCARD', job_key .. ':sat:' .. t.node) >= tonumber(t.np) then
        if t.map then
          begin_map(job_key, job_id, t.node, 'PENDING', now)
        else
          dispatch(job_key, outbox, job_id, shard, t.node, t.pool, now, 'PENDING')
        end
      end
    end
  end
  if #batch > 0 then
    redis.call('RPUSH', job_key .. ':nodes', unpack(batch))
  end
  if pending > 0 then
    redis.call('HINCRBY', job_key, 'n:PENDING', pending)
  end
end

-- The shard-serving calls of an overseer (release, timer, expire, requeue) come with the owner
-- hash of their shard first in KEYS and the caller's id and fencing token first in ARGV: a caller
-- whose lease another overseer took over gets an error instead of touching the shard.
local function fenced_out(keys, argv)
  local o = redis.call('HMGET', keys[1], 'id', 'token')
  if o[1] ~= argv[1] or o[2] ~= argv[2] then
    return 'FENCED shard lease ' .. keys[1] .. ' is held by ' .. tostring(o[1] or 'nobody') .. ' with token ' ..
        tostring(o[2] or 0) .. ', not by ' .. argv[1] .. ' with token ' .. argv[2]
  end
  return nil
end

-- The array without its first n entries (a copy: unpack() would hit Lua's stack limit on big batches).
local function drop_first(t, n)
  local out = {}
  for i = n + 1, #t do
    out[#out + 1] = t[i]
  end
  return out
end

-- Resets what one call collects (the library's tables outlive a call).
local function begin_call()
  DISPATCHED = {}
  ENDS = {}
  COUNTS = {}
  SLOTS = {}
end

-- Writes the state counters the call changed, once per job and state.
local function end_call()
  for job_key, c in pairs(COUNTS) do
    for state, delta in pairs(c) do
      if delta ~= 0 then
        redis.call('HINCRBY', job_key, 'n:' .. state, delta)
      end
    end
  end
end
