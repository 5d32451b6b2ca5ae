package dev.pipewright.worker.config;

import dev.pipewright.infra.config.CommonConfig;
import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.protocol.job.Capacity;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.worker.module.ModuleConfig;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * A worker's settings: the pools it consumes ({@code PW_POOLS}), how many attempts it runs at once
 * ({@code PW_CONCURRENCY}), how many messages each of its queues may hand it ahead of a free slot
 * ({@code PW_PREFETCH}, per queue; claims are then batched), its registry of exec processors ({@code PW_PROCESSORS}), the metrics
 * port ({@code PW_METRICS_PORT}, 0 to disable), the lease length ({@code PW_LEASE}) and how long a
 * graceful shutdown waits for running attempts ({@code PW_SHUTDOWN_GRACE}), and what one task may
 * use here ({@code PW_RESOURCES}: routes jobs that ask for cpu, memory or storage).
 */
public record WorkerConfig(CommonConfig common, String workerId, List<String> pools, int concurrency, int prefetch,
                           Path processorsFile, int metricsPort, String metricsHost, Duration lease,
                           Duration shutdownGrace, Capacity resources, ModuleConfig modules) {
    public static final int DEFAULT_CONCURRENCY = 8;
    /** Messages a queue may hand a worker beyond what it runs: deep enough that claims are batched. */
    public static final int DEFAULT_PREFETCH_PER_SLOT = 4;
    public static final int DEFAULT_METRICS_PORT = 9091;
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(25);

    public static WorkerConfig from(Settings s) {
        CommonConfig common = CommonConfig.from(s);
        List<String> pools = s.list("PW_POOLS", "default");
        for (String pool : pools) {
            if (!PipelineParser.NAME.matcher(pool).matches()) {
                throw new ConfigException("PW_POOLS contains a bad pool name '" + pool + "'");
            }
        }
        if (pools.isEmpty()) {
            throw new ConfigException("PW_POOLS is empty: name at least one pool");
        }
        Path processors = null;
        String file = s.string("PW_PROCESSORS", null);
        if (file != null) {
            processors = Path.of(file);
            if (!Files.isReadable(processors)) {
                throw new ConfigException("PW_PROCESSORS='" + file + "' is not a readable file");
            }
        }
        Duration lease = s.duration("PW_LEASE", DEFAULT_LEASE);
        if (lease.toMillis() < 1000) {
            throw new ConfigException("PW_LEASE must be at least 1s");
        }
        int concurrency = s.integer("PW_CONCURRENCY", DEFAULT_CONCURRENCY, 1, 10_000);
        return new WorkerConfig(common, s.string("PW_WORKER_ID", defaultId()), pools, concurrency,
                s.integer("PW_PREFETCH", Math.min(65_535, concurrency * DEFAULT_PREFETCH_PER_SLOT), 1, 65_535), processors,
                s.integer("PW_METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65535),
                s.string("PW_METRICS_HOST", "0.0.0.0"),
                lease, s.duration("PW_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE), resources(s.string("PW_RESOURCES", null)),
                ModuleConfig.from(s));
    }

    /**
     * What one task may use here: {@code PW_RESOURCES} ({@code cpu=4,memory=16Gi,storage=100Gi}),
     * by default this machine's cores and memory (storage not limited). A part left out is not limited.
     */
    static Capacity resources(String setting) {
        if (setting != null) {
            try {
                return Capacity.parse(setting);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("PW_RESOURCES='" + setting + "' is not valid: " + e.getMessage()
                        + " (expected e.g. cpu=4,memory=16Gi,storage=100Gi)");
            }
        }
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return new Capacity(java.math.BigDecimal.valueOf(Runtime.getRuntime().availableProcessors()), memory > 0 ? memory : null, null);
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "worker";
        }
        String suffix = Long.toString(new SecureRandom().nextLong() & 0xffffffL, 36);
        return host.replaceAll("[^A-Za-z0-9_.-]", "-") + "-" + ProcessHandle.current().pid() + "-" + suffix;
    }
}
