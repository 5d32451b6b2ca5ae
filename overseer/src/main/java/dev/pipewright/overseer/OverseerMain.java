package dev.pipewright.overseer;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Installation;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.config.StartupConnect;
import dev.pipewright.infra.config.TrainingRun;
import dev.pipewright.infra.objectstore.ObjectStore;
import dev.pipewright.infra.objectstore.ObjectStoreConfig;
import dev.pipewright.infra.rabbit.RabbitConnector;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.redis.RedisConnector;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.overseer.admin.DeadLetters;
import dev.pipewright.overseer.admin.OverseerProbes;
import dev.pipewright.overseer.admin.PoolAdmin;
import dev.pipewright.overseer.admin.QueueInspector;
import dev.pipewright.overseer.admin.SetAside;
import dev.pipewright.overseer.admin.Workers;
import dev.pipewright.overseer.api.AdminRoutes;
import dev.pipewright.overseer.api.AuthHandler;
import dev.pipewright.overseer.api.HttpApi;
import dev.pipewright.overseer.api.ModuleRoutes;
import dev.pipewright.overseer.api.Routes;
import dev.pipewright.overseer.api.ScheduleRoutes;
import dev.pipewright.overseer.api.TokenRoutes;
import dev.pipewright.overseer.auth.Tokens;
import dev.pipewright.overseer.config.OverseerConfig;
import dev.pipewright.overseer.datastore.DataStore;
import dev.pipewright.overseer.datastore.FileDataStore;
import dev.pipewright.overseer.datastore.RoutingDataStore;
import dev.pipewright.overseer.datastore.S3DataStore;
import dev.pipewright.overseer.deadletter.DeadLetterConsumer;
import dev.pipewright.overseer.dispatch.ControlPublisher;
import dev.pipewright.overseer.dispatch.OutboxRelay;
import dev.pipewright.overseer.dispatch.PublisherPool;
import dev.pipewright.overseer.dispatch.TaskPublisher;
import dev.pipewright.overseer.jobs.Idempotency;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.limits.Limits;
import dev.pipewright.overseer.limits.LimitsUpgrade;
import dev.pipewright.overseer.limits.SlotSweep;
import dev.pipewright.overseer.metrics.MetricsServer;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.modules.ModuleLimits;
import dev.pipewright.overseer.modules.ModuleStore;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.release.EventProcessor;
import dev.pipewright.overseer.release.EventProcessors;
import dev.pipewright.overseer.retention.JobExpiry;
import dev.pipewright.overseer.retention.JobRemoval;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.overseer.schedule.CronSchedule;
import dev.pipewright.overseer.schedule.RedisClock;
import dev.pipewright.overseer.schedule.ScheduleStore;
import dev.pipewright.overseer.schedule.Scheduler;
import dev.pipewright.overseer.shards.ShardLeases;
import dev.pipewright.overseer.sweep.StuckTasks;
import dev.pipewright.overseer.sweep.Sweeper;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.parse.DocumentLimits;
import dev.pipewright.protocol.parse.PipelineParser;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Starts the overseer: HTTP API, one outbox relay and one event processor per shard, the sweeper. */
public final class OverseerMain {
    private static final Logger LOG = LoggerFactory.getLogger(OverseerMain.class);

    private OverseerMain() {
    }

    /** Vert.x as the overseer runs it: its HTTP meters go to the overseer's registry. */
    static Vertx vertx(PrometheusMeterRegistry meters) {
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(meters))
                .build();
    }

    public static void main(String[] args) {
        if (TrainingRun.requested(args)) {
            try {
                OverseerTraining.run();
            } catch (Exception e) {
                System.err.println("pipewright overseer: the training run failed: " + e);
                System.exit(1);
            }
            System.exit(0);
        }
        OverseerConfig config;
        try {
            config = OverseerConfig.from(Settings.fromEnvironment());
        } catch (ConfigException e) {
            System.err.println("pipewright overseer: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(config);
        } catch (Exception e) {
            System.err.println("pipewright overseer: cannot start: " + e.getMessage());
            LOG.debug("start-up failure", e);
            System.exit(1);
        }
    }

    static void run(OverseerConfig config) throws Exception {
        Running running = start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "overseer-shutdown"));
        stopped.await();
    }

    /** A started overseer; {@link #close()} stops it gracefully. */
    public interface Running extends AutoCloseable {
        int httpPort();

        /** The port of the metrics server of its own ({@code PW_METRICS_PORT}), or 0 when /metrics is on the API port only. */
        int metricsPort();

        @Override
        void close();
    }

    public static Running start(OverseerConfig config) throws Exception {
        Keys keys = config.common().keys();
        Files.createDirectories(config.dataDir());
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OverseerMetrics metrics = new OverseerMetrics(meters);

        RedisConnector redis = new RedisConnector(config.common().redis(), meters);
        RedisLink<String, String> shared = StartupConnect.connect("Redis", "PW_REDIS_URI", config.common().redis().display(),
                config.common().connectPatience(), redis::connectStrings);
        RedisLink<byte[], byte[]> sharedBytes = redis.connectBytes();
        Installation.check(shared.async(), keys);
        Scripts scripts = new Scripts(sharedBytes);
        scripts.loadAll();
        StateGateway state = new StateGateway(keys, sharedBytes, Duration.ofSeconds(30));
        LimitsUpgrade.run(keys, shared.async(), state);
        Topology topology = new Topology(keys, config.common().queueType(), config.common().quorumSize());
        RabbitConnector rabbitConnector = new RabbitConnector(config.common().rabbit(), meters);
        Connection rabbit = StartupConnect.connect("RabbitMQ", "PW_RABBITMQ_URI", config.common().rabbit().display(),
                config.common().connectPatience(), () -> rabbitConnector.connect("pipewright-overseer-" + config.instanceId()));
        try (Channel ch = rabbit.createChannel()) {
            topology.declareShared(ch);
            topology.declarePool(ch, "default");
        }

        ObjectStoreConfig objectConfig = config.common().objects();
        ObjectStore objectStore = objectConfig.used()
                ? new ObjectStore(objectConfig) : null;
        FileDataStore fileStore = new FileDataStore(config.dataDir(), objectStore);
        DataStore chosenStore = fileStore;
        if (objectStore != null) {
            S3DataStore s3 = new S3DataStore(objectStore,
                    objectConfig.dataStore() != null);
            chosenStore = objectConfig.dataStore() != null ? s3 : new RoutingDataStore(fileStore, s3);
            if (objectConfig.dataStore() != null) {
                try {
                    objectStore.checkBucket(objectConfig.dataStore().bucket());
                } catch (java.io.IOException e) {
                    // not fatal: jobs that use it are refused at submit with the reason, the rest run
                    LOG.warn("the data store {} cannot be used now: {}", objectConfig.dataStore(), e.getMessage());
                }
            }
            LOG.info("object store {} (data store {}, sources {}, inline up to {} bytes)", objectConfig.display(),
                    objectConfig.dataStore() == null ? "the file store" : objectConfig.dataStore(), objectConfig.sources(),
                    objectConfig.inlineMax());
        }
        DataStore dataStore = chosenStore;
        FileDataStore dataStoreFiles = fileStore;
        try {
            List<String> legacy = objectConfig.dataStore() != null ? List.of() : dataStoreFiles.legacyEntries();
            if (!legacy.isEmpty()) {
                LOG.warn("the data store {} holds {} outside owners/ and shared/: sources now resolve in their owner's area "
                        + "(owners/<owner>/) or shared/, so move them there (docs/data-store.md, \"Upgrading\")", dataStoreFiles.root(), legacy);
            }
        } catch (java.io.IOException e) {
            LOG.warn("cannot list the data store {} ({})", dataStoreFiles.root(), e.toString());
        }
        // new documents also get the cron library's check; stored versions are read back without the rules for new documents
        PipelineParser parser = new PipelineParser(DocumentLimits.DEFAULTS, CronSchedule::problem);
        PipelineStore pipelines = new PipelineStore(keys, shared.async(), scripts, parser);
        ScheduleStore schedules = new ScheduleStore(keys, shared.async(), scripts, new RedisClock(shared.async()));
        pipelines.listen(schedules);
        try {
            pipelines.recordPoolsOfStoredPipelines();
        } catch (Exception e) {
            LOG.warn("cannot record the pools of the stored pipelines ({}); the pool listings miss those until they are stored again",
                    e.toString());
        }
        WorkerDirectory workers = new WorkerDirectory(keys, shared.async(), config.workerTtl());
        PublisherPool publishers = new PublisherPool(4, () -> new TaskPublisher(keys, rabbit, topology, shared.async(), metrics));
        JobSubmitter submitter = new JobSubmitter(keys, state, dataStore, workers, publishers, shared.async(), pipelines, metrics,
                config.jobRetention(), config.limits());
        ModuleStore modules = new ModuleStore(keys, sharedBytes.async());
        submitter.withModules(modules);
        JobReader reader = new JobReader(keys, shared.async(), sharedBytes.async());
        ControlPublisher control = new ControlPublisher(keys, rabbit, topology);
        JobControl jobControl = new JobControl(keys, state, shared.async(), sharedBytes.async(), control, pipelines, submitter, publishers,
                metrics);

        List<Runnable> stoppers = new ArrayList<>();
        List<Thread> loops = new ArrayList<>();
        // a restart under the same id takes its shards back at once; two live processes given one id fence each other off
        String leaseOwner = config.instanceId();
        EventProcessors processors = new EventProcessors(redis::connectStrings,
                (lease, connection) -> new EventProcessor(keys, lease, config.instanceId(), connection, sharedBytes, dataStore, metrics,
                        new TaskPublisher(keys, rabbit, topology, shared.async(), metrics)),
                (shard, on) -> metrics.shardServed(shard, leaseOwner, on));
        ShardLeases leases = new ShardLeases(keys, leaseOwner, config.shards(), state, shared.async(), processors);
        try {
            leases.balanceNow();
        } catch (Exception e) {
            leases.close();
            throw new IllegalStateException("cannot take shard leases in Redis: " + e.getMessage(), e);
        }
        loops.add(Thread.ofVirtual().name("shard-leases").start(leases));
        OutboxRelay relay = new OutboxRelay(keys, shared.async(), new TaskPublisher(keys, rabbit, topology, shared.async(), metrics),
                config.outboxGrace(), Duration.ofMillis(500), leases::shards);
        stoppers.add(relay::stop);
        loops.add(Thread.ofVirtual().name("outbox-relay").start(relay));
        new DeadLetterConsumer(keys, state, shared.async(), topology, metrics).start(rabbit);
        Sweeper sweeper = new Sweeper(keys, shared.async(), state, config.sweepInterval(), config.maxLostLeases(), metrics, publishers, control,
                leases);
        stoppers.add(sweeper::stop);
        loops.add(Thread.ofVirtual().name("sweeper").start(sweeper));
        SlotSweep slotSweep = new SlotSweep(keys, shared.async(), state, publishers, metrics, leases::shards, Duration.ofSeconds(5));
        stoppers.add(slotSweep::stop);
        loops.add(Thread.ofVirtual().name("slot-sweep").start(slotSweep));
        RunStore runStore = new RunStore(keys, shared.async(), scripts);
        JobRemoval removal = new JobRemoval(keys, shared.async(), state, runStore, metrics, config.retentionBatch(), dataStore);
        JobExpiry expiry = new JobExpiry(keys, shared.async(), removal, leases::shards, config.retentionInterval(),
                JobExpiry.CALLS_PER_SHARD);
        stoppers.add(expiry::stop);
        loops.add(Thread.ofVirtual().name("job-expiry").start(expiry));
        Scheduler scheduler = new Scheduler(schedules, pipelines, submitter, metrics, new RedisClock(shared.async()), config.scheduleInterval());
        stoppers.add(scheduler::stop);
        loops.add(Thread.ofVirtual().name("scheduler").start(scheduler));
        if (!config.stuckReadyAfter().isZero()) {
            StuckTasks stuck = new StuckTasks(keys, shared.async(), state, rabbit, publishers, metrics, config.stuckReadyAfter(), leases);
            stoppers.add(stuck::stop);
            loops.add(Thread.ofVirtual().name("stuck-tasks").start(stuck));
        }

        Vertx vertx = vertx(meters);
        Workers heartbeats = new Workers(keys, shared.async(), config.workerTtl());
        PoolAdmin pools = new PoolAdmin(keys, shared.async(), control, heartbeats);
        QueueInspector queueInspector = new QueueInspector(keys, shared.async(), rabbit, heartbeats, pools);
        AdminRoutes admin = new AdminRoutes(queueInspector, new DeadLetters(keys, shared.async(), rabbit, jobControl), pools, heartbeats,
                new Limits(keys, shared.async(), state, publishers, metrics), workers, new SetAside(keys, shared.async()));
        OverseerProbes probes = new OverseerProbes(keys, shared.async(), queueInspector, metrics, config.probeInterval());
        stoppers.add(probes::stop);
        loops.add(Thread.ofVirtual().name("probes").start(probes));
        Tokens tokens = new Tokens(keys, shared.async(), config.auth().adminDigest());
        AuthHandler auth = new AuthHandler(config.auth(), tokens, HttpApi::refuse);
        if (!config.auth().enabled()) {
            LOG.warn("PW_AUTH=off: every API request counts as an anonymous admin; use this for local experiments only");
        } else if (!tokens.hasEnvAdmin() && tokens.count() == 0) {
            LOG.warn("no API token exists yet: set PW_ADMIN_TOKEN to a random secret, then make tokens with 'pipewright token create'");
        }
        List<Routes> routes = new ArrayList<>(HttpApi.routes(parser, pipelines, submitter, reader, jobControl, runStore,
                new Idempotency(keys, shared.async()), admin, new TokenRoutes(tokens, auth::revoked), new ScheduleRoutes(schedules, pipelines),
                removal));
        ModuleLimits moduleLimits = ModuleLimits.from(Settings.fromEnvironment());
        routes.add(new ModuleRoutes(modules, moduleLimits.maxBytes(), moduleLimits.archive(), name -> {
            java.util.Map<String, java.util.Set<String>> served = workers.served();
            if (served.values().stream().anyMatch(p -> p.contains(name))) {
                return true;
            }
            java.util.Set<String> poolNames = new java.util.TreeSet<>(served.keySet());
            poolNames.addAll(workers.namedPools());
            poolNames.add("default");
            for (String pool : poolNames) {
                if (workers.known(pool).contains(name)) {
                    return true;
                }
            }
            return false;
        }));
        HttpApi api = new HttpApi(routes, config.ownMetricsPort() ? null : meters, () -> {
            try {
                return rabbit.isOpen() && leases.healthy() && "PONG".equals(shared.async().ping().get(2, TimeUnit.SECONDS));
            } catch (Exception e) {
                return false;
            }
        }, config.maxBodyBytes(), auth, config.limits());
        // what a failed start-up stops too: no loop, consumer or connection of a half-started overseer stays up
        Runnable shutdown = () -> {
            stoppers.forEach(Runnable::run);
            // the shards go to the other overseers at once, not after their leases lapse
            leases.close();
            for (Thread t : loops) {
                try {
                    t.join(3000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                rabbit.close(2000);
            } catch (Exception ignored) {
                // closing anyway
            }
            vertx.close();
            redis.close();
            metrics.close();
        };
        io.vertx.ext.web.Router router;
        try {
            router = api.router(vertx).await();
        } catch (Exception e) {
            shutdown.run();
            throw new IllegalStateException("the HTTP API contract (openapi.yaml) cannot be used: " + e.getMessage(), e);
        }
        HttpServer server;
        try {
            server = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
                            .setMaxInitialLineLength(config.limits().maxRequestLine())
                            .setMaxHeaderSize(config.limits().maxHeaderBytes()))
                    .invalidRequestHandler(HttpApi.invalidRequest(config.limits()))
                    .requestHandler(router)
                    .listen(config.httpPort(), config.httpHost()).await();
        } catch (Exception e) {
            shutdown.run();
            throw new IllegalStateException("cannot listen on " + config.httpHost() + ":" + config.httpPort() + " (PW_HTTP_PORT): " + e.getMessage(), e);
        }
        HttpServer metricsServer = null;
        if (config.ownMetricsPort()) {
            try {
                metricsServer = MetricsServer.start(vertx, config.metricsHost(), config.metricsPort(), meters);
            } catch (IllegalStateException e) {
                server.close();
                shutdown.run();
                throw e;
            }
            LOG.info("overseer metrics on {}:{}/metrics", config.metricsHost(), metricsServer.actualPort());
        }
        LOG.info("overseer {} listening on {}:{}, serving shards {} of {} ({} overseers alive), namespace '{}', data dir {}, {}, Redis {}",
                leaseOwner, config.httpHost(), server.actualPort(), leases.shards(), keys.shards(), leases.alive(), keys.namespace(),
                objectConfig.dataStore() != null ? objectConfig.dataStore() : dataStoreFiles.root(), config.auth(), config.common().redis().display());

        int port = server.actualPort();
        int metricsPort = metricsServer == null ? 0 : metricsServer.actualPort();
        HttpServer ownMetrics = metricsServer;
        return new Running() {
            @Override
            public int httpPort() {
                return port;
            }

            @Override
            public int metricsPort() {
                return metricsPort;
            }

            @Override
            public void close() {
                LOG.info("overseer stopping");
                try {
                    server.close().await();
                    if (ownMetrics != null) {
                        ownMetrics.close().await();
                    }
                } catch (Exception ignored) {
                    // closing anyway
                }
                shutdown.run();
            }
        };
    }
}
