package dev.pipewright.worker;

import com.rabbitmq.client.Connection;
import com.sun.net.httpserver.HttpServer;
import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Installation;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.config.StartupConnect;
import dev.pipewright.infra.config.TrainingRun;
import dev.pipewright.infra.rabbit.RabbitConnector;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.redis.RedisConnector;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.protocol.module.ModuleNames;
import dev.pipewright.worker.config.WorkerConfig;
import dev.pipewright.worker.exec.ExecProcessor;
import dev.pipewright.worker.exec.ExecRegistryFile;
import dev.pipewright.worker.module.ModuleRunner;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.ProcessorRegistry;
import dev.pipewright.worker.runtime.ProcessorLogCapture;
import dev.pipewright.worker.runtime.Readiness;
import dev.pipewright.worker.runtime.TaskConsumer;
import dev.pipewright.worker.runtime.WorkerMetrics;
import dev.pipewright.worker.store.AttemptStore;
import dev.pipewright.worker.store.LargeValues;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Starts a worker: registry of processors, Redis, RabbitMQ consumers, heartbeats, metrics. */
public final class WorkerMain {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);
    public static final String VERSION = version();

    private WorkerMain() {
    }

    public static void main(String[] args) {
        if (TrainingRun.requested(args)) {
            try {
                WorkerTraining.run();
            } catch (Exception e) {
                System.err.println("pipewright worker: the training run failed: " + e);
                System.exit(1);
            }
            System.exit(0);
        }
        WorkerConfig config;
        ProcessorRegistry registry;
        try {
            config = WorkerConfig.from(Settings.fromEnvironment());
            registry = registry(config);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("pipewright worker: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(config, registry);
        } catch (Exception e) {
            // RabbitMQ's channel errors come as an IOException with no message of its own, the reason in its cause
            Throwable why = e.getMessage() == null && e.getCause() != null ? e.getCause() : e;
            System.err.println("pipewright worker: cannot start: " + (why.getMessage() == null ? why.toString() : why.getMessage()));
            LOG.debug("start-up failure", e);
            System.exit(1);
        }
    }

    static void run(WorkerConfig config, ProcessorRegistry registry) throws Exception {
        Running running = start(config, registry);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "worker-shutdown"));
        stopped.await();
    }

    /** A started worker; {@link #close()} finishes running attempts (up to the grace period) and stops. */
    public interface Running extends AutoCloseable {
        String workerId();

        @Override
        void close();
    }

    public static Running start(WorkerConfig config, ProcessorRegistry registry) throws Exception {
        ProcessorLogCapture.install();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WorkerMetrics metrics = new WorkerMetrics(meters);
        metrics.registerPools(config.pools());
        metrics.registerProcessors(config.pools(), registry.names());
        Readiness readiness = new Readiness();
        HttpServer http = null;
        if (config.metricsPort() > 0) {
            try {
                http = metricsServer(new InetSocketAddress(config.metricsHost(), config.metricsPort()), meters, readiness);
            } catch (java.net.BindException e) {
                metrics.close();
                throw new IllegalStateException("cannot listen on " + config.metricsHost() + ":" + config.metricsPort()
                        + " (PW_METRICS_HOST, PW_METRICS_PORT): " + e.getMessage()
                        + "; give each worker its own port, bind an address this host has, or set PW_METRICS_PORT=0 to disable");
            }
        }

        RedisConnector redis = new RedisConnector(config.common().redis(), meters);
        RedisLink<byte[], byte[]> connection;
        try {
            connection = StartupConnect.connect("Redis", "PW_REDIS_URI",
                    config.common().redis().display(), config.common().connectPatience(), redis::connectBytes);
        } catch (RuntimeException e) {
            if (http != null) {
                http.stop(0);
            }
            redis.close();
            metrics.close();
            throw e;
        }
        readiness.redis(connection);
        Installation.checkBytes(connection.async(), config.common().keys());
        new Scripts(connection).loadAll();
        AttemptStore store = new AttemptStore(config.common().keys(), connection);
        Topology topology = new Topology(config.common().keys(), config.common().queueType(), config.common().quorumSize());

        Map<String, String> info = new LinkedHashMap<>();
        info.put("pools", String.join(",", config.pools()));
        if (config.modules().enabled()) {
            registry.enableModules(new ModuleRunner(config.modules(), config.common().keys(), connection.async())::processorFor);
        }
        List<String> announced = new java.util.ArrayList<>(registry.names());
        if (registry.modulesEnabled()) {
            announced.add(ModuleNames.MODULES_PROCESSOR); // module tasks may be routed here
        }
        info.put("processors", String.join(",", announced));
        Map<String, String> processorInfo = new LinkedHashMap<>();
        for (String name : registry.names()) {
            Processor p = registry.find(name);
            processorInfo.put(name, p.version() + "|" + (p.deterministic() ? "1" : "0"));
        }
        info.put("concurrency", Integer.toString(config.concurrency()));
        info.put("resources", config.resources().format());
        info.put("version", VERSION);
        info.put("started", Long.toString(System.currentTimeMillis()));
        info.put("host", java.net.InetAddress.getLocalHost().getHostName());
        info.put("pid", Long.toString(ProcessHandle.current().pid()));

        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon().name("worker-timer-", 0).factory());
        TaskConsumer consumer = new TaskConsumer(config, registry, store, topology, metrics, timers);
        metrics.registerOldestAttempt(config.pools(), consumer::oldestAttemptSeconds);
        Runnable register = () -> {
            try {
                long seq = consumer.controlSeq();
                consumer.applyPaused(store.pausedPools(), seq);
            } catch (Exception e) {
                LOG.warn("cannot read the paused pools from Redis: {}", e.toString());
            }
            try {
                Map<String, String> fields = new LinkedHashMap<>(info);
                fields.put("inflight", Integer.toString(metrics.inFlight().get()));
                fields.putAll(consumer.poolStats());
                fields.put("lastSeen", Long.toString(System.currentTimeMillis()));
                store.register(config.workerId(), fields);
                store.announceProcessors(processorInfo);
            } catch (Exception e) {
                LOG.warn("cannot register with Redis: {}", e.toString());
            }
        };
        register.run();
        timers.scheduleWithFixedDelay(register, 2, 2, TimeUnit.SECONDS);

        RabbitConnector rabbitConnector = new RabbitConnector(config.common().rabbit(), meters);
        Connection rabbit;
        try {
            rabbit = StartupConnect.connect("RabbitMQ", "PW_RABBITMQ_URI", config.common().rabbit().display(),
                    config.common().connectPatience(), () -> rabbitConnector.connect("pipewright-worker-" + config.workerId()));
        } catch (RuntimeException e) {
            timers.shutdownNow();
            if (http != null) {
                http.stop(0);
            }
            redis.close();
            metrics.close();
            throw e;
        }
        readiness.rabbit(rabbit);
        consumer.start(rabbit, store.pausedPools());
        readiness.consumer(consumer);
        register.run(); // report the pools' state at once
        LOG.info("worker {} consuming pools {} with concurrency {}; processors {}; Redis {}", config.workerId(), config.pools(),
                config.concurrency(), registry.names(), config.common().redis().display());

        HttpServer httpServer = http;
        return new Running() {
            @Override
            public String workerId() {
                return config.workerId();
            }

            @Override
            public void close() {
                LOG.info("worker {} stopping: finishing running attempts (up to {})", config.workerId(), config.shutdownGrace());
                try {
                    consumer.stop(config.shutdownGrace());
                    store.unregister(config.workerId());
                    rabbit.close(2000);
                } catch (Exception e) {
                    LOG.warn("unclean shutdown: {}", e.toString());
                }
                timers.shutdownNow();
                if (httpServer != null) {
                    httpServer.stop(0);
                }
                redis.close();
                metrics.close();
            }
        };
    }

    /** The started metrics server: {@code /metrics}, {@code /health} (liveness), {@code /ready} (readiness). */
    static HttpServer metricsServer(InetSocketAddress address, PrometheusMeterRegistry meters, Readiness readiness) throws java.io.IOException {
        HttpServer http = HttpServer.create(address, 0);
        http.createContext("/metrics", ex -> {
            byte[] body = meters.scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        // liveness: the process answers (it may still be waiting for Redis or RabbitMQ)
        http.createContext("/health", ex -> respond(ex, 200, "{\"status\":\"UP\"}"));
        // readiness: Redis and RabbitMQ connected and the pool consumers running
        http.createContext("/ready", ex -> {
            Readiness.Report report = readiness.check();
            respond(ex, report.ready() ? 200 : 503, report.json());
        });
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        return http;
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String json) throws java.io.IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    /** The jar's Implementation-Version, else the Maven project version built into the classes. */
    private static String version() {
        String v = WorkerMain.class.getPackage().getImplementationVersion();
        if (v != null && !v.isBlank()) {
            return v;
        }
        try (var in = WorkerMain.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                String built = p.getProperty("version", "");
                if (!built.isBlank() && !built.startsWith("$")) {
                    return built;
                }
            }
        } catch (java.io.IOException ignored) {
            // fall through
        }
        return "unknown";
    }

    /** The processors a worker with this configuration serves: built-ins, class-path SPI, registered commands. */
    public static ProcessorRegistry registry(WorkerConfig config) {
        List<Processor> execs = config.processorsFile() == null ? List.of()
                : ExecRegistryFile.read(config.processorsFile()).stream()
                .map(c -> (Processor) new ExecProcessor(c, LargeValues.of(config.common().objects()))).toList();
        return new ProcessorRegistry(execs);
    }
}
