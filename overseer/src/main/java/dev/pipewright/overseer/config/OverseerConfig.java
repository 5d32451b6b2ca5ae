package dev.pipewright.overseer.config;

import dev.pipewright.infra.config.CommonConfig;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.overseer.auth.AuthConfig;
import dev.pipewright.overseer.shards.ShardConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The overseer's settings: HTTP port and bind address, the file data store root
 * ({@code PW_DATA_DIR}), the request body cap, how often the sweeper looks at leases and timers,
 * how many lost leases a task survives, how long a silent worker still counts as alive, and when
 * a READY task counts as stuck (its message lost), the API's authentication ({@link AuthConfig}),
 * and where {@code /metrics} is served: {@code PW_METRICS_PORT} (0, the default: on the API port;
 * else on that port only) and {@code PW_METRICS_HOST} (the address that own port binds to, so it can be
 * kept on a private interface), and how often the probes read the queue, worker, dead-letter and
 * backlog gauges ({@code PW_PROBE_INTERVAL}), how often the scheduler looks for pipeline schedules
 * that are due ({@code PW_SCHEDULE_INTERVAL}), and how long ended jobs are kept ({@code PW_JOB_RETENTION},
 * unless their pipeline says {@code retention}), how often the retention sweeper looks for expired ones
 * ({@code PW_RETENTION_INTERVAL}) and how many keys one of its Redis calls removes at most
 * ({@code PW_RETENTION_BATCH}), and the bounds on what one request may send ({@link InputLimits}).
 */
public record OverseerConfig(CommonConfig common, String httpHost, int httpPort, Path dataDir, int maxBodyBytes,
                             Duration sweepInterval, int maxLostLeases, Duration workerTtl, String instanceId,
                             Duration outboxGrace, Duration stuckReadyAfter, AuthConfig auth,
                             String metricsHost, int metricsPort, Duration probeInterval,
                             Duration scheduleInterval, ShardConfig shards, Duration jobRetention, Duration retentionInterval,
                             int retentionBatch, InputLimits limits) {
    /** How often the gauges (queues, workers, dead letters, outbox and event backlogs) are read. */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);
    /** {@code PW_METRICS_PORT}: 0 serves {@code /metrics} on the API port only. */
    public static final int DEFAULT_METRICS_PORT = 0;
    public static final String DEFAULT_METRICS_HOST = "0.0.0.0";
    /** How long an outbox entry may wait for its publisher's confirm before the relay publishes it again. */
    public static final Duration DEFAULT_OUTBOX_GRACE = Duration.ofSeconds(10);
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_MAX_BODY = 16 * 1024 * 1024;
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMillis(500);
    public static final int DEFAULT_MAX_LOST_LEASES = 3;
    public static final Duration DEFAULT_WORKER_TTL = Duration.ofSeconds(10);
    /** How long a READY task may wait unclaimed, while its queue lacks messages, before it is published again (0: never). */
    public static final Duration DEFAULT_STUCK_READY_AFTER = Duration.ofMinutes(2);
    /** How often the scheduler looks for due schedules: how late past its cron time a scheduled job may start. */
    public static final Duration DEFAULT_SCHEDULE_INTERVAL = Duration.ofSeconds(1);

    /** How long an ended job is kept before the retention sweeper removes it, unless its pipeline says otherwise. */
    public static final Duration DEFAULT_JOB_RETENTION = Duration.ofDays(7);
    /** The longest {@code PW_JOB_RETENTION}, as for a pipeline's own {@code retention}. */
    public static final Duration MAX_JOB_RETENTION = dev.pipewright.protocol.pipeline.Pipeline.MAX_RETENTION;
    public static final Duration DEFAULT_RETENTION_INTERVAL = Duration.ofSeconds(10);
    /** Keys one call of the retention sweeper removes at most: on the order of a millisecond of Redis's time. */
    public static final int DEFAULT_RETENTION_BATCH = 1000;

    /** Stable across restarts of the same host or container, so a restarted overseer re-reads its own pending events. */
    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "-");
        } catch (Exception e) {
            return "local";
        }
    }

    public static OverseerConfig from(Settings s) {
        return new OverseerConfig(CommonConfig.from(s),
                s.string("PW_HTTP_HOST", "0.0.0.0"),
                s.integer("PW_HTTP_PORT", DEFAULT_HTTP_PORT, 1, 65535),
                Path.of(s.string("PW_DATA_DIR", "var/data")),
                s.integer("PW_MAX_BODY_BYTES", DEFAULT_MAX_BODY, 1024, 512 * 1024 * 1024),
                s.duration("PW_SWEEP_INTERVAL", DEFAULT_SWEEP_INTERVAL),
                s.integer("PW_MAX_LOST_LEASES", DEFAULT_MAX_LOST_LEASES, 0, 100),
                s.duration("PW_WORKER_TTL", DEFAULT_WORKER_TTL),
                s.string("PW_INSTANCE_ID", "overseer-" + hostName()),
                s.duration("PW_OUTBOX_GRACE", DEFAULT_OUTBOX_GRACE),
                s.durationOrOff("PW_STUCK_READY_AFTER", DEFAULT_STUCK_READY_AFTER),
                AuthConfig.from(s),
                s.string("PW_METRICS_HOST", DEFAULT_METRICS_HOST),
                metricsPort(s),
                s.duration("PW_PROBE_INTERVAL", DEFAULT_PROBE_INTERVAL),
                s.duration("PW_SCHEDULE_INTERVAL", DEFAULT_SCHEDULE_INTERVAL),
                ShardConfig.from(s, s.integer("PW_SHARDS", CommonConfig.DEFAULT_SHARDS, 1, 1024)),
                jobRetention(s),
                s.duration("PW_RETENTION_INTERVAL", DEFAULT_RETENTION_INTERVAL),
                s.integer("PW_RETENTION_BATCH", DEFAULT_RETENTION_BATCH, 10, 100_000),
                InputLimits.from(s));
    }

    private static Duration jobRetention(Settings s) {
        Duration d = s.duration("PW_JOB_RETENTION", DEFAULT_JOB_RETENTION);
        if (d.compareTo(MAX_JOB_RETENTION) > 0) {
            throw new dev.pipewright.infra.config.ConfigException("PW_JOB_RETENTION=" + s.string("PW_JOB_RETENTION", "")
                    + " is longer than " + dev.pipewright.protocol.pipeline.Durations.format(MAX_JOB_RETENTION)
                    + " (ten years): how long ended jobs are kept, e.g. 7d, 12h or 30m");
        }
        return d;
    }

    private static int metricsPort(Settings s) {
        int port = s.integer("PW_METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65535);
        if (port != 0 && port == s.integer("PW_HTTP_PORT", DEFAULT_HTTP_PORT, 1, 65535)) {
            throw new dev.pipewright.infra.config.ConfigException("PW_METRICS_PORT=" + port
                    + " is the API port (PW_HTTP_PORT); use another port, or 0 to serve /metrics on the API port only");
        }
        return port;
    }

    /** Whether {@code /metrics} also has a server of its own ({@code PW_METRICS_PORT} > 0). */
    public boolean ownMetricsPort() {
        return metricsPort > 0;
    }
}
