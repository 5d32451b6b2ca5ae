package dev.pipewright.protocol.keys;

import dev.pipewright.protocol.pipeline.Priority;

/**
 * Every Redis key, exchange and queue name, under one namespace. All keys of a job and of its
 * shard carry the shard's hash tag ({@code {s3}}) so that each Lua script touches one Redis
 * Cluster slot; task keys are {@code <job key>:t:<node>} and the scripts derive them from the job
 * key, which holds the same tag.
 */
public record Keys(String namespace, int shards) {
    public Keys {
        if (namespace == null || !namespace.matches("[A-Za-z0-9_.-]{1,40}")) {
            throw new IllegalArgumentException("bad namespace '" + namespace + "': use 1-40 letters, digits, '_', '.', '-'");
        }
        if (shards < 1 || shards > 1024) {
            throw new IllegalArgumentException("shards must be from 1 to 1024, got " + shards);
        }
    }

    public String shardPrefix(int shard) {
        return namespace + ":{s" + shard + "}:";
    }

    public String job(JobId id) {
        return shardPrefix(id.shard(shards)) + "job:" + id.value();
    }

    public String task(JobId id, String node) {
        return job(id) + ":t:" + node;
    }

    public String nodes(JobId id) {
        return job(id) + ":nodes";
    }

    public String data(JobId id) {
        return job(id) + ":data";
    }

    /** The job's running tasks by node (kept by the scripts' set_state): the job's stage. */
    public String running(JobId id) {
        return job(id) + ":running";
    }

    public String contentTypes(JobId id) {
        return job(id) + ":ctype";
    }

    /** The one log list of a task that workers wrote before logs were kept per attempt ({@code #<attempt> <line>}); read only. */
    public String taskLog(JobId id, String node) {
        return task(id, node) + ":log";
    }

    /** One attempt's log lines ({@code <epoch ms> <line>}), capped per attempt. */
    public String attemptLog(JobId id, String node, int attempt) {
        return task(id, node) + ":log:" + attempt;
    }

    /**
     * The job's log stream: one entry per log line of any of its tasks ({@code n} node,
     * {@code a} attempt, {@code l} line, {@code t} epoch ms), capped; read by {@code logs?follow=true}.
     */
    public String logStream(JobId id) {
        return job(id) + ":logs";
    }

    public String outbox(int shard) {
        return shardPrefix(shard) + "outbox";
    }

    public String events(int shard) {
        return shardPrefix(shard) + "events";
    }

    /**
     * What was set aside on the shard because it kept failing (an event, a timer, a lease expiry, or
     * outputs the data store refused): a capped stream, newest last, read by operators.
     */
    public String setAside(int shard) {
        return shardPrefix(shard) + "setaside";
    }

    public String leases(int shard) {
        return shardPrefix(shard) + "leases";
    }

    public String timers(int shard) {
        return shardPrefix(shard) + "timers";
    }

    /**
     * Which overseer serves the shard: holder id, until when (ms), and a fencing token that grows with
     * every new holder. In the shard's slot, so the shard's scripts can check it in the same call.
     */
    public String shardOwner(int shard) {
        return shardPrefix(shard) + "owner";
    }

    /** What is fixed for an installation's life and every process must agree on ({@code shards}). */
    public String installation() {
        return namespace + ":installation";
    }

    /** Which process runs under each overseer id ({@code <start ms>:<nonce>:<written ms>}): two live ones are a misconfiguration. */
    public String overseerProcesses() {
        return namespace + ":overseers:process";
    }

    /** The overseers alive: instance id → until when (epoch ms, Redis clock); how many share the shards. */
    public String overseers() {
        return namespace + ":overseers";
    }

    /** How many shards each overseer alive serves (instance id → count): a newcomer below its share makes the others give some up. */
    public String overseerShares() {
        return namespace + ":overseers:held";
    }

    /**
     * Tasks of {@code pool} dispatched (READY) but not yet claimed, {@code <jobId>|<node>} scored by
     * dispatch time (ms, Redis clock): the oldest gives the pool's oldest message age. Scripts derive
     * it from another key of the shard.
     */
    public String queued(int shard, String pool) {
        return shardPrefix(shard) + "queued:" + pool;
    }

    /**
     * Ended jobs by the epoch ms they expire at (their end plus the retention stored on the job): the
     * retention sweeper takes the due ones. Written by the scripts when a job ends.
     */
    public String expiry(int shard) {
        return shardPrefix(shard) + "expiry";
    }

    /**
     * Jobs being removed: their hash is gone (so they read as no job), their other keys are removed
     * in bounded steps; an id stays here until the last of them is.
     */
    public String purging(int shard) {
        return shardPrefix(shard) + "purging";
    }

    public String jobIndex(int shard) {
        return shardPrefix(shard) + "jobs";
    }

    public String pipeline(String id) {
        return namespace + ":pipeline:" + id;
    }

    public String pipelineIndex() {
        return namespace + ":pipelines";
    }

    /** The jobs of one pipeline (all versions), scored by creation time (ms). */
    public String pipelineJobs(String id) {
        return pipeline(id) + ":jobs";
    }

    /**
     * Active schedules: pipeline id → the epoch ms its next cron time falls on (absent while paused or
     * once its end date has passed). Every schedule key carries the hash tag {@code {sched}}, so one
     * script may touch all of them in one Redis Cluster slot.
     */
    public String schedules() {
        return namespace + ":{sched}:schedules";
    }

    /**
     * A pipeline's schedule (from its latest version): cron, dates, zone, owner, version, next fire
     * (ms), paused, the fire claimed and not yet settled ({@code claim}), and the last fire's outcome.
     */
    public String schedule(String pipelineId) {
        return namespace + ":{sched}:schedule:" + pipelineId;
    }

    /** The job id claimed for one fire of a schedule (at this epoch ms): the same fire always submits the same job. */
    public String scheduleFire(String pipelineId, long fireMs) {
        return schedule(pipelineId) + ":fire:" + fireMs;
    }

    /** A run: a named collection of jobs of one pipeline (name, pipeline, priority, tags, owner, times). */
    public String run(RunId id) {
        return namespace + ":run:" + id.value();
    }

    /** The run's job ids, scored by the time they were added (ms). */
    public String runJobs(RunId id) {
        return run(id) + ":jobs";
    }

    /**
     * The run's jobs not yet known to have ended (ids): all that reading its counters looks at. It and
     * {@link #runEnded} carry the hash tag {@code {run:<id>}}, so the script that settles an ended job
     * moves it from one to the other in one Redis Cluster slot.
     */
    public String runOpen(RunId id) {
        return namespace + ":{run:" + id.value() + "}:open";
    }

    /**
     * The run's ended jobs counted by final state ({@code SUCCESS}, {@code FAILED}, {@code CANCELLED}),
     * the latest of their times ({@code last}, µs) and since when {@link #runOpen} is kept ({@code since}, ms).
     */
    public String runEnded(RunId id) {
        return namespace + ":{run:" + id.value() + "}:ended";
    }

    /** Every run id, scored by creation time (ms). */
    public String runIndex() {
        return namespace + ":runs";
    }

    /** An idempotency key of a job submission → {@code <job id> <request digest>}, kept 24 h. */
    public String idempotency(String key) {
        return namespace + ":idem:" + key;
    }

    /**
     * How often workers received a message again (its body's digest → count, expiring): a classic
     * queue has no delivery limit, so the workers keep one for it.
     */
    public String redeliveries(String digest) {
        return namespace + ":redelivered:" + digest;
    }

    /** Dead-lettered task messages the overseer took off the dead-letter queue, newest first. */
    public String deadLetters() {
        return namespace + ":deadletters";
    }

    /**
     * Every pool ever named by a stored pipeline's process nodes: the record before
     * {@link #pipelinePools()}, read only to fill that once; it only grew.
     */
    public String pools() {
        return namespace + ":pools";
    }

    /** Hash: pipeline id → the pools its latest version names (comma-separated); a deleted pipeline has none. */
    public String pipelinePools() {
        return namespace + ":pipeline_pools";
    }

    /** Paused pools: pool → epoch ms it was paused. Workers do not consume a paused pool's queue. */
    public String pausedPools() {
        return namespace + ":pools:paused";
    }

    /**
     * Concurrency limits: {@code processor:<name>} (running tasks) and {@code pipeline:<id>}
     * (running jobs) → max, in a Redis Cluster slot of their own ({@code {limits}}), with their slot
     * sets and wait lists beside it (limits.lua). Shard scripts read only their shard's copy
     * ({@link #limited}).
     */
    public String limits() {
        return namespace + ":{limits}";
    }

    public String slots(String kind, String name) {
        return limits() + ":slots:" + kind + ":" + name;
    }

    public String held(String kind, String name) {
        return limits() + ":held:" + kind + ":" + name;
    }

    /** A shard's copy of which limits exist ({@code <kind>:<name>} → max): what its scripts check before dispatching. */
    public String limited(int shard) {
        return shardPrefix(shard) + "limited";
    }

    /** A shard's tasks and jobs waiting for a slot ({@code t|<job>|<node>}, {@code j|<job>} → ms when they asked). */
    public String slotWaits(int shard) {
        return shardPrefix(shard) + "held";
    }

    /** API tokens: SHA-256 (hex) of the secret → the token's record as JSON. Secrets are never stored. */
    public String tokens() {
        return namespace + ":tokens";
    }

    /** Token id → when it was last used (epoch ms). */
    public String tokensUsed() {
        return namespace + ":tokens:used";
    }

    /**
     * Uploaded modules: the names (a sorted set, all scores 0, listed by name). Every module key
     * carries the hash tag {@code {mod}}, so one script writes a version's metadata and content
     * together in one Redis Cluster slot.
     */
    public String moduleIndex() {
        return namespace + ":{mod}:modules";
    }

    /** One module: {@code v:<n>} → version metadata (JSON), {@code d:<digest>} → n, {@code latest}, {@code next}, {@code owner}. */
    public String module(String name) {
        return namespace + ":{mod}:module:" + name;
    }

    /** The bytes of one module version (its file or archive), by its SHA-256 digest (hex). */
    public String moduleContent(String name, String digest) {
        return module(name) + ":content:" + digest;
    }

    public String worker(String id) {
        return namespace + ":worker:" + id;
    }

    public String workerIndex() {
        return namespace + ":workers";
    }

    /**
     * The processors any worker ever announced for a pool: a job naming one of them is accepted
     * while no worker is up (its tasks wait in the queue; an autoscaler starts workers on them).
     */
    public String poolProcessors(String pool) {
        return namespace + ":pool:" + pool + ":processors";
    }

    /**
     * One memoised result (a hash: its outputs and where they came from), by its cache key. Every
     * cache key carries the {@code {cache}} hash tag: entries are written in calls of their own,
     * never in a job's script (which touches its shard's slot only).
     */
    public String cacheEntry(String key) {
        return namespace + ":{cache}:e:" + key;
    }

    /** The cache entries by when they expire (score, epoch ms): the listing, and what is trimmed as they expire. */
    public String cacheIndex() {
        return namespace + ":{cache}:index";
    }

    /**
     * What the listing shows of each entry (field the key, value {@link dev.pipewright.protocol.cache.CacheEntry.Meta}),
     * without reading the values; trimmed with the index.
     */
    public String cacheMeta() {
        return namespace + ":{cache}:meta";
    }

    /**
     * What workers announce of their processors: field the processor's name, value
     * {@code <version>|<deterministic 1/0>} (the cache key's version; a non-deterministic processor never
     * reads or writes the cache, and {@code cache:} on its node is refused).
     */
    public String processorInfo() {
        return namespace + ":processor-info";
    }

    /** The direct exchange task messages are published to, with the pool as routing key. */
    public String taskExchange() {
        return namespace + ".tasks";
    }

    /** The queue bound to this routing key: a pool ({@code <ns>.pool.<pool>}) or one of its priority queues. */
    public String poolQueue(String pool) {
        return namespace + ".pool." + pool;
    }

    /** The pool whose queue (of any priority) this is, or null for any other queue. */
    public String poolOfQueue(String queue) {
        String prefix = namespace + ".pool.";
        return queue != null && queue.startsWith(prefix) && queue.length() > prefix.length()
                ? Priority.poolOf(queue.substring(prefix.length())) : null;
    }

    /** A pool's three queues, highest priority first. */
    public java.util.List<String> poolQueues(String pool) {
        return java.util.List.of(poolQueue(Priority.HIGH.routingKey(pool)), poolQueue(pool), poolQueue(Priority.LOW.routingKey(pool)));
    }

    /** The fanout exchange that tells every worker to stop attempts (cancel, timeout). */
    public String controlExchange() {
        return namespace + ".control";
    }

    public String deadLetterExchange() {
        return namespace + ".dlx";
    }

    public String deadLetterQueue() {
        return namespace + ".dlq";
    }

    /** Lease and timer members name a task of a job: {@code <jobId>|<node>}. */
    public static String member(JobId id, String node) {
        return id.value() + "|" + node;
    }
}
