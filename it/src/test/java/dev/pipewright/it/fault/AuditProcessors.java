package dev.pipewright.it.fault;

import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskResult;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fault workloads' processors, loaded into the fault tests' worker processes (never into a
 * production worker: {@link ProcessCluster} puts these classes and their service entry on the
 * worker's class path). They do what {@code sleep} and {@code concat} do and, beside the engine's
 * own bookkeeping, keep a record of their own: every run appends, to the Redis list
 * {@code <ns>:audit:<job>}, when it started ({@code S}), finished with its outputs ({@code F}),
 * failed ({@code E}) or was interrupted ({@code I}), as {@code type|node|attempt|worker|ms[|detail]}.
 * No Lua script writes these lists; the ledger reads them as independent evidence of how often each
 * task really ran and in which order, next to the counters the scripts keep.
 *
 * <p>{@code S} is written before any work and {@code F} before the outputs are returned, each
 * retried until Redis took it (or the attempt is interrupted): a commit always follows its own
 * {@code F}, and a child's {@code S} always follows the commit that released it. The list is on
 * the Redis the test reads directly ({@value #REDIS_ENV}), not through a fault proxy.
 *
 * <p>Config, beside {@code ms} and {@code separator}: {@code failUntil: n} fails (retryably) every
 * attempt numbered below n; {@code hangMs} sleeps that long ignoring interrupts (a hung attempt);
 * {@code gate: true} waits (interruptibly) until the test opens the task's gate ({@link #openGate}).
 */
public abstract class AuditProcessors implements Processor {
    /** The Redis the records go to; set by {@link ProcessCluster} for each worker process. */
    static final String REDIS_ENV = "PIPEWRIGHT_AUDIT_REDIS_URI";
    private static final Duration GIVE_UP = Duration.ofSeconds(60);
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;

    /** {@code audit.sleep}: sleeps {@code ms}, then writes its inputs, concatenated, to every output. */
    public static final class Sleep extends AuditProcessors {
        @Override
        public String name() {
            return "audit.sleep";
        }
    }

    /** {@code audit.concat}: writes its inputs joined by {@code separator} to every output. */
    public static final class Concat extends AuditProcessors {
        @Override
        public String name() {
            return "audit.concat";
        }
    }

    /** The key of a job's record. */
    static String key(String namespace, String job) {
        return namespace + ":audit:" + job;
    }

    /** The key whose existence lets a gated task of a job go on. */
    static String gate(String namespace, String job, String node) {
        return key(namespace, job) + ":gate:" + node;
    }

    /** Lets every attempt of a gated task, running or to come, go on. */
    static void openGate(io.lettuce.core.cluster.api.sync.RedisClusterCommands<String, String> redis, String namespace, String job, String node) {
        redis.set(gate(namespace, job, node), "open");
    }

    @Override
    public TaskResult process(TaskContext ctx) throws Exception {
        record(ctx, "S", null);
        try {
            long failUntil = ctx.configLong("failUntil", 0);
            if (ctx.attempt() < failUntil) {
                String why = "planned failure of attempt " + ctx.attempt() + " (failUntil " + failUntil + ")";
                record(ctx, "E", why);
                throw TaskFailure.retryable(why);
            }
            Thread.sleep(ctx.configLong("ms", 0));
            hang(ctx.configLong("hangMs", 0));
            if (ctx.configBoolean("gate", false)) {
                String gate = gate(System.getenv().getOrDefault("PW_NAMESPACE", "pw"), ctx.jobId(), ctx.node());
                while (!exists(gate)) {
                    Thread.sleep(50);
                }
            }
            Object sep = ctx.config().get("separator");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            boolean first = true;
            for (byte[] b : ctx.inputs().values()) {
                if (!first && sep != null) {
                    out.writeBytes(sep.toString().getBytes(StandardCharsets.UTF_8));
                }
                out.writeBytes(b);
                first = false;
            }
            Map<String, byte[]> outputs = new LinkedHashMap<>();
            for (String o : ctx.outputs()) {
                outputs.put(o, out.toByteArray());
            }
            boolean interrupted = Thread.interrupted(); // a hung attempt that was told to stop still says it finished
            record(ctx, "F", null);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return TaskResult.of(outputs);
        } catch (InterruptedException e) {
            try {
                record(ctx, "I", null);
            } catch (Exception ignored) {
                // informational only
            }
            throw e;
        }
    }

    /** Sleeps {@code ms} whatever interrupts come: a processor that does not stop when told to. */
    private static void hang(long ms) {
        long until = System.nanoTime() + ms * 1_000_000;
        boolean interrupted = false;
        while (System.nanoTime() < until) {
            try {
                Thread.sleep(Math.max(1, (until - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void record(TaskContext ctx, String type, String detail) throws Exception {
        String entry = type + "|" + ctx.node() + "|" + ctx.attempt() + "|" + System.getenv("PW_WORKER_ID") + "|"
                + System.currentTimeMillis() + (detail == null ? "" : "|" + detail);
        String key = key(System.getenv().getOrDefault("PW_NAMESPACE", "pw"), ctx.jobId());
        long giveUp = System.nanoTime() + GIVE_UP.toNanos();
        while (true) {
            try {
                redis().sync().rpush(key, entry);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > giveUp) {
                    throw TaskFailure.retryable("the audit record could not be written: " + e);
                }
                Thread.sleep(100); // an interrupt ends the attempt here: nothing done, nothing to record
            }
        }
    }

    private static boolean exists(String key) {
        try {
            return redis().sync().exists(key) > 0;
        } catch (RuntimeException e) {
            return false; // asked again in a moment
        }
    }

    private static synchronized StatefulRedisConnection<String, String> redis() {
        if (connection == null) {
            String uri = System.getenv(REDIS_ENV);
            if (uri == null) {
                throw new IllegalStateException(REDIS_ENV + " is not set: the audit processors run only in the fault tests' workers");
            }
            if (client == null) {
                RedisURI redisUri = RedisURI.create(uri);
                redisUri.setTimeout(Duration.ofSeconds(2));
                client = RedisClient.create(redisUri);
                client.setOptions(ClientOptions.builder().autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
            }
            connection = client.connect(); // throws while Redis is down: the caller retries
        }
        return connection;
    }
}
