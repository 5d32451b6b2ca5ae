package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.DirectRedis;
import dev.pipewright.it.support.JarProcess;
import dev.pipewright.it.support.NamespaceCleaner;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An overseer and workers each in its own OS process, so that a fault test can SIGKILL any of
 * them, pointed at the RabbitMQ and Redis URIs the test chooses (a node of its own, a proxy). The
 * test itself reads Redis and RabbitMQ directly, past any proxy. Logs go to {@code target/fault-logs/}.
 */
final class ProcessCluster implements AutoCloseable, Ledger.Plumbing {
    private final Builder options;
    private final String namespace;
    private final Keys keys;
    private final Path dataDir;
    private final Path logDir;
    /** Each overseer's HTTP port, kept across its restarts; requests go to the first one alive. */
    private final List<Integer> httpPorts = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<JarProcess> workers = new ArrayList<>();
    private final List<Integer> generations = new ArrayList<>();
    private final List<Integer> metricsPorts = new ArrayList<>();
    private final List<String> workerIds = new ArrayList<>();
    /** The audit processors' classes and service entry, put on every worker's class path. */
    private final Path auditClassPath;
    private long duplicatesDropped;
    private long fencedCommits;
    private final List<JarProcess> overseers = new ArrayList<>();
    private int overseerStarts;
    /** The test's own connection to the system's Redis (one server or a Redis Cluster), past any proxy. */
    private DirectRedis direct;
    private RedisClient auditClient;
    private StatefulRedisConnection<String, String> auditConnection;
    private Connection rabbit;

    static Builder builder() {
        return new Builder();
    }

    static final class Builder {
        private int workers = 2;
        private int concurrency = 4;
        private int shards = 4;
        private String lease = "2s";
        private URI systemRabbit = TestServices.rabbitUri();
        private URI systemRedis = TestServices.redisUri();
        private URI directRabbit = TestServices.rabbitUri();
        private URI directRedis = TestServices.redisUri();
        /** The seed nodes of a Redis Cluster the system uses, in place of {@link #systemRedis} and {@link #directRedis}. */
        private List<URI> redisCluster;
        private URI auditRedis;
        private RabbitQueues rabbitQueues;
        private URI[] overseerServices;
        private final Map<Integer, URI[]> workerServices = new LinkedHashMap<>();
        private List<String> pools = List.of("default");
        private int overseerCount = 1;
        private final Map<Integer, Map<String, String>> overseerExtra = new LinkedHashMap<>();
        private final Map<String, String> extra = new LinkedHashMap<>();

        Builder workers(int n) {
            workers = n;
            return this;
        }

        Builder concurrency(int n) {
            concurrency = n;
            return this;
        }

        Builder lease(String lease) {
            this.lease = lease;
            return this;
        }

        /** Where the overseer and workers connect (a test-owned node, a proxy). */
        Builder systemServices(URI rabbit, URI redis) {
            systemRabbit = rabbit;
            systemRedis = redis;
            return this;
        }

        /**
         * The system uses a Redis Cluster: every process gets all its seed nodes in {@code PW_REDIS_URI}
         * (the one-URI spelling, {@code redis://h:p1,h:p2,...}), and the test reads it with a cluster
         * client. The audit record needs a Redis of its own then ({@link #auditRedis}).
         */
        Builder redisCluster(List<URI> seeds) {
            redisCluster = List.copyOf(seeds);
            return this;
        }

        /** Where the overseer alone connects, in place of {@link #systemServices} (a proxy of its own). */
        Builder overseerServices(URI rabbit, URI redis) {
            overseerServices = new URI[] {rabbit, redis};
            return this;
        }

        /** Where worker {@code index} alone connects, every generation of it, in place of {@link #systemServices}. */
        Builder workerServices(int index, URI rabbit, URI redis) {
            workerServices.put(index, new URI[] {rabbit, redis});
            return this;
        }

        /** How many overseers run, each its own process and HTTP port, sharing the shards (default 1). */
        Builder overseers(int n) {
            overseerCount = n;
            return this;
        }

        /** A PW_* setting for overseer {@code index} alone. */
        Builder overseerSetting(int index, String name, String value) {
            overseerExtra.computeIfAbsent(index, k -> new LinkedHashMap<>()).put(name, value);
            return this;
        }

        /** Shards of the namespace (PW_SHARDS; default 4). */
        Builder shards(int n) {
            shards = n;
            return this;
        }

        /** Where the test itself reads (the real service behind any proxy). */
        Builder directServices(URI rabbit, URI redis) {
            directRabbit = rabbit;
            directRedis = redis;
            return this;
        }

        /**
         * Where the audit processors keep their record, in place of the Redis the test reads
         * ({@link #directServices}): a Redis the fault does not touch, when the fault is to that Redis
         * itself (a failover that loses writes must not lose the evidence of what ran).
         */
        Builder auditRedis(URI redis) {
            auditRedis = redis;
            return this;
        }

        /** How the ledger reads queue counts when the test reads a broker of its own ({@code OwnRabbit}). */
        Builder rabbitQueues(RabbitQueues queues) {
            rabbitQueues = queues;
            return this;
        }

        /** The pools every worker consumes (default: {@code default}). */
        Builder pools(String... pools) {
            this.pools = List.of(pools);
            return this;
        }

        /** A PW_* setting for every process. */
        Builder setting(String name, String value) {
            extra.put(name, value);
            return this;
        }

        ProcessCluster start() throws Exception {
            ProcessCluster c = new ProcessCluster(this);
            try {
                for (int i = 0; i < overseerCount; i++) {
                    c.overseers.add(null);
                    c.httpPorts.add(Cluster.freePort());
                    c.startOverseer(i);
                }
                for (int i = 0; i < workers; i++) {
                    c.workers.add(null);
                    c.generations.add(0);
                    c.metricsPorts.add(0);
                    c.workerIds.add(null);
                    c.startWorker(i);
                }
                c.awaitWorkers(workers);
            } catch (Throwable t) {
                c.close();
                throw t;
            }
            return c;
        }
    }

    private ProcessCluster(Builder options) throws IOException {
        this.options = options;
        this.namespace = TestServices.freshNamespace("fault");
        this.keys = new Keys(namespace, options.shards);
        this.dataDir = Files.createTempDirectory("pw-fault-data-");
        this.logDir = Path.of("target", "fault-logs", namespace).toAbsolutePath();
        Files.createDirectories(logDir);
        this.auditClassPath = auditClassPath();
    }

    /**
     * A directory with the {@link AuditProcessors} classes and their ServiceLoader entry: only
     * those, not the whole test class path (whose logging configuration a worker must not pick up).
     */
    private static Path auditClassPath() throws IOException {
        Path dir = Files.createTempDirectory("pw-fault-audit-");
        Path classes;
        try {
            classes = Path.of(AuditProcessors.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        String pkg = AuditProcessors.class.getPackageName().replace('.', '/');
        Path target = Files.createDirectories(dir.resolve(pkg));
        try (var files = Files.list(classes.resolve(pkg))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("AuditProcessors")).toList()) {
                Files.copy(f, target.resolve(f.getFileName().toString()));
            }
        }
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve("dev.pipewright.worker.processor.Processor"),
                AuditProcessors.Sleep.class.getName() + "\n" + AuditProcessors.Concat.class.getName() + "\n");
        return dir;
    }

    String namespace() {
        return namespace;
    }

    @Override
    public Keys keys() {
        return keys;
    }

    int shards() {
        return options.shards;
    }

    /** The settings every process gets; {@code services} (RabbitMQ, Redis) in place of the system services when given. */
    private Map<String, String> common(URI[] services) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PW_NAMESPACE", namespace);
        env.put("PW_SHARDS", Integer.toString(options.shards));
        env.put("PW_RABBITMQ_URI", (services != null ? services[0] : options.systemRabbit).toString());
        env.put("PW_REDIS_URI", services != null ? services[1].toString() : systemRedisSetting());
        env.put("PW_CONNECT_TIMEOUT", "60s");
        env.putAll(options.extra);
        return env;
    }

    /** PW_REDIS_URI of the processes: the system's Redis, or every seed node of its Redis Cluster in one URI. */
    private String systemRedisSetting() {
        if (options.redisCluster == null) {
            return options.systemRedis.toString();
        }
        StringBuilder hosts = new StringBuilder();
        for (URI seed : options.redisCluster) {
            hosts.append(hosts.isEmpty() ? "" : ",").append(seed.getHost()).append(':').append(seed.getPort());
        }
        return "redis://" + hosts;
    }

    /** The data store's root, shared by the overseers (a data node's {@code source} is read from here). */
    Path dataDir() {
        return dataDir;
    }

    // ---------------------------------------------------------------- overseer

    /** Starts the (first) overseer again on the same HTTP port and instance id, and waits until it is ready. */
    synchronized void startOverseer() throws Exception {
        startOverseer(0);
    }

    /** Starts overseer {@code index} (again) on its HTTP port and instance id, and waits until it is ready. */
    synchronized void startOverseer(int index) throws Exception {
        JarProcess running = overseers.get(index);
        if (running != null && running.isAlive()) {
            throw new IllegalStateException("overseer " + index + " is running");
        }
        Map<String, String> env = common(options.overseerServices);
        env.put("PW_HTTP_HOST", "127.0.0.1");
        env.put("PW_HTTP_PORT", Integer.toString(httpPorts.get(index)));
        env.put("PW_DATA_DIR", dataDir.toString());
        env.put("PW_INSTANCE_ID", "ov-" + namespace + (index == 0 ? "" : "-" + index));
        env.put("PW_SWEEP_INTERVAL", "250ms");
        env.put("PW_WORKER_TTL", "5s");
        env.put("PW_OUTBOX_GRACE", "3s");
        env.put("PW_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("PW_RATE_LIMIT", "0");
        env.putAll(options.overseerExtra.getOrDefault(index, Map.of()));
        overseerStarts++;
        overseers.set(index, JarProcess.overseer(env, logDir.resolve(index == 0 ? "overseer.log" : "overseer-" + index + ".log")));
        awaitReady(index, Duration.ofSeconds(90));
    }

    void awaitReady(Duration timeout) {
        awaitReady(0, timeout);
    }

    void awaitReady(int index, Duration timeout) {
        JarProcess process = overseers.get(index);
        URI ready = URI.create("http://127.0.0.1:" + httpPorts.get(index) + "/ready");
        try {
            Cluster.await("overseer " + index + " to answer /ready", timeout, () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("the overseer exited; log:\n" + tail(process.logText()));
                }
                return status(send(HttpRequest.newBuilder(ready).GET())) == 200;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\noverseer log:\n" + tail(process.logText()), e);
        }
    }

    synchronized void killOverseer() throws InterruptedException {
        killOverseer(0);
    }

    /** Starts one more overseer (the next index, a port of its own) and waits until it is ready; returns its index. */
    synchronized int addOverseer() throws Exception {
        overseers.add(null);
        httpPorts.add(Cluster.freePort());
        startOverseer(overseers.size() - 1);
        return overseers.size() - 1;
    }

    /** SIGTERM to overseer {@code index}: it gives its shards up and stops (SIGKILL after 30 s). */
    synchronized void stopOverseer(int index) throws InterruptedException {
        if (!overseers.get(index).terminate(30_000)) {
            overseers.get(index).kill();
        }
    }

    /** SIGKILL to overseer {@code index}. */
    synchronized void killOverseer(int index) throws InterruptedException {
        overseers.get(index).kill();
    }

    /** SIGSTOP or SIGCONT to the (first) overseer. */
    void signalOverseer(String signal) throws Exception {
        overseers.get(0).signal(signal);
    }

    int overseerCount() {
        return overseers.size();
    }

    /** Overseer {@code index}'s own /metrics (served on its API port), or "" while it cannot be reached. */
    String overseerMetrics(int index) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(index) + "/metrics")).GET());
        return r == null || r.statusCode() != 200 ? "" : r.body();
    }

    /** A GET sent to overseer {@code index} alone; null while it cannot be reached. */
    HttpResponse<String> getFrom(int index, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(index)).resolve(path)).GET());
    }

    /** Where requests go: the first overseer alive (any of them serves the whole API for every job). */
    private URI base() {
        for (int i = 0; i < overseers.size(); i++) {
            if (overseers.get(i) != null && overseers.get(i).isAlive()) {
                return URI.create("http://127.0.0.1:" + httpPorts.get(i));
            }
        }
        return URI.create("http://127.0.0.1:" + httpPorts.get(0));
    }

    int overseerStarts() {
        return overseerStarts;
    }

    // ---------------------------------------------------------------- workers

    int workerCount() {
        return workers.size();
    }

    /** Starts worker {@code index} (again) under a new id; does not wait for its heartbeat. */
    synchronized String startWorker(int index) throws IOException {
        JarProcess current = workers.get(index);
        if (current != null && current.isAlive()) {
            throw new IllegalStateException("worker " + index + " is running");
        }
        int generation = generations.get(index) + 1;
        generations.set(index, generation);
        String id = "fw" + index + "-g" + generation;
        int metricsPort = Cluster.freePort();
        Map<String, String> env = common(options.workerServices.get(index));
        env.put("PW_WORKER_ID", id);
        env.put("PW_POOLS", String.join(",", options.pools));
        env.put("PW_CONCURRENCY", Integer.toString(options.concurrency));
        env.put("PW_METRICS_PORT", Integer.toString(metricsPort));
        env.put("PW_METRICS_HOST", "127.0.0.1");
        env.put("PW_LEASE", options.lease);
        env.put("PW_SHUTDOWN_GRACE", "5s");
        if (options.auditRedis == null && options.redisCluster != null) {
            throw new IllegalStateException("the audit processors write to one Redis server: give a Redis Cluster's test an auditRedis");
        }
        env.put(AuditProcessors.REDIS_ENV, (options.auditRedis != null ? options.auditRedis : options.directRedis).toString());
        workers.set(index, JarProcess.worker(env, logDir.resolve("worker-" + id + ".log"), List.of(auditClassPath)));
        metricsPorts.set(index, metricsPort);
        workerIds.set(index, id);
        return id;
    }

    String workerId(int index) {
        return workerIds.get(index);
    }

    synchronized void killWorker(int index) throws InterruptedException {
        countersOf(index);
        workers.get(index).kill();
    }

    /** SIGTERM to every worker; each finishes or hands back its attempts. */
    void stopWorkers() throws InterruptedException {
        for (int i = 0; i < workers.size(); i++) {
            JarProcess w = workers.get(i);
            if (w != null && w.isAlive()) {
                countersOf(i);
                if (!w.terminate(20_000)) {
                    w.kill();
                }
            }
        }
    }

    /**
     * Adds a live worker's counters of stale messages it dropped and of its commits that were fenced
     * to the totals (read just before it is stopped or killed; for the test's note, not a check).
     */
    private void countersOf(int index) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPorts.get(index) + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith("pipewright_messages_duplicates_total")) {
                    duplicatesDropped += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("pipewright_attempts_fenced_total")) {
                    fencedCommits += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (Exception e) {
            // not up yet, or already gone: the note undercounts
        }
    }

    /** The workers' own counts for a test's note. */
    String workerNote() {
        return "duplicates dropped=" + duplicatesDropped + " fenced commits=" + fencedCommits;
    }

    /** Stale messages the stopped and killed workers dropped (their counters, read before each stop). */
    long duplicatesDropped() {
        return duplicatesDropped;
    }

    /** Commits of the stopped and killed workers that were refused because their attempt had lost the task. */
    long fencedCommits() {
        return fencedCommits;
    }

    void awaitWorkerListed(String id) {
        Cluster.await("worker " + id + " to send heartbeats", Duration.ofSeconds(90), () -> {
            JsonNode list = json(get("/api/v1/workers"));
            if (list != null) {
                for (JsonNode w : list.path("workers")) {
                    if (id.equals(w.path("id").asText())) {
                        return true;
                    }
                }
            }
            return false;
        });
    }

    void awaitWorkers(int n) {
        Cluster.await(n + " workers to send heartbeats", Duration.ofSeconds(90), () -> {
            JsonNode list = json(get("/api/v1/workers"));
            return list != null && list.path("workers").size() >= n;
        });
    }

    // ---------------------------------------------------------------- HTTP (tolerant of a dead overseer)

    /** The answer, or null while the overseer cannot be reached. */
    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base().resolve(path)).GET());
    }

    HttpResponse<String> put(String path, String body) {
        return send(HttpRequest.newBuilder(base().resolve(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(base().resolve(path)).DELETE());
    }

    HttpResponse<String> post(String path, String body, String contentType) {
        return send(HttpRequest.newBuilder(base().resolve(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The admin token the overseer process accepts (PW_ADMIN_TOKEN); every request of this class sends it. */
    static final String ADMIN_TOKEN = "pw_it-fault-admin-" + java.util.UUID.randomUUID();

    private HttpResponse<String> send(HttpRequest.Builder request) {
        request.header("Authorization", "Bearer " + ADMIN_TOKEN);
        try {
            HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> r = http.send(built, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            // answers under faults are held to the API contract as well
            dev.pipewright.it.support.ContractCheck.verify(built.method(), built.uri().getPath(), r.statusCode(),
                    r.headers().firstValue("Content-Type").orElse(null), r.body().getBytes(StandardCharsets.UTF_8));
            return r;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, java.util.function.BooleanSupplier condition) {
        Cluster.await(what, Duration.ofSeconds(30), condition);
    }

    static int status(HttpResponse<String> r) {
        return r == null ? -1 : r.statusCode();
    }

    static JsonNode json(HttpResponse<String> r) {
        if (r == null) {
            return null;
        }
        try {
            return Cluster.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (HTTP " + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** POSTs a pipeline; fails the test unless it is accepted. */
    void postPipeline(String yaml) {
        HttpResponse<String> r = post("/api/v1/pipelines", yaml, "application/yaml");
        if (status(r) != 201) {
            throw new AssertionError("pipeline refused: " + (r == null ? "no answer" : r.body()));
        }
    }

    /** Submits a job; returns its id, or null when the overseer did not answer (it may still have taken it). */
    String trySubmit(String pipeline, String body) {
        HttpResponse<String> r = post("/api/v1/pipelines/" + pipeline + "/jobs", body, "application/json");
        if (r == null || r.statusCode() >= 500) {
            return null;
        }
        if (r.statusCode() != 202) {
            throw new AssertionError("job refused: HTTP " + r.statusCode() + " " + r.body());
        }
        return json(r).path("id").asText();
    }

    /** Submits, retrying while the overseer is down (a retry may create a second job: the ledger adopts both). */
    String submit(String pipeline, String body, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String id = trySubmit(pipeline, body);
            if (id != null) {
                return id;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("could not submit a job within " + timeout);
            }
            Cluster.sleep(100);
        }
    }

    // ---------------------------------------------------------------- direct access

    @Override
    public synchronized RedisClusterCommands<String, String> redis() {
        return direct().sync();
    }

    /** The test's own Redis access (for a cluster: its topology and each node's connection). */
    synchronized DirectRedis direct() {
        if (direct == null) {
            direct = options.redisCluster != null ? DirectRedis.cluster(options.redisCluster) : DirectRedis.single(options.directRedis);
        }
        return direct;
    }

    /** Where the audit processors' record is: the Redis the test reads, unless {@link Builder#auditRedis} named another. */
    @Override
    public synchronized RedisClusterCommands<String, String> audit() {
        if (options.auditRedis == null) {
            return redis();
        }
        if (auditConnection == null) {
            auditClient = RedisClient.create(RedisURI.create(options.auditRedis));
            auditConnection = auditClient.connect();
        }
        return auditConnection.sync();
    }

    /** From now on the test reads Redis at {@code direct} (the replica promoted after a failover). */
    synchronized void readRedisAt(URI direct) {
        options.directRedis = direct;
        closeDirect();
    }

    private void closeDirect() {
        if (direct != null) {
            direct.close();
            direct = null;
        }
    }

    /** A Redis connection of its own, for a test thread that works beside the main one (closed with the cluster). */
    synchronized RedisClusterCommands<String, String> newRedis() {
        return direct().newConnection();
    }

    synchronized Connection rabbit() throws Exception {
        if (rabbit == null || !rabbit.isOpen()) {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(options.directRabbit);
            f.setAutomaticRecoveryEnabled(false);
            rabbit = f.newConnection("pipewright-fault-" + namespace);
        }
        return rabbit;
    }

    /**
     * From now on the test reads RabbitMQ at {@code direct}, with {@code queues} (e.g. another node of a
     * cluster, before the one it read is killed).
     */
    synchronized void readRabbitAt(URI direct, RabbitQueues queues) {
        options.directRabbit = direct;
        options.rabbitQueues = queues;
        reconnectDirect();
    }

    /** Drops the cached direct connections (after the test restarted the service behind them). */
    synchronized void reconnectDirect() {
        closeDirect();
        if (rabbit != null) {
            try {
                rabbit.abort();
            } catch (Exception ignored) {
                // gone already
            }
            rabbit = null;
        }
    }

    @Override
    public java.util.List<RabbitQueues.Stat> queueStats() throws Exception {
        List<RabbitQueues.Stat> out = new ArrayList<>();
        for (RabbitQueues.Stat q : (options.rabbitQueues != null ? options.rabbitQueues : RabbitQueues.local()).list(namespace + ".")) {
            // rabbitmqctl's ready and consumer counts of a quorum queue lag; a passive declare's are current
            try (Channel ch = rabbit().createChannel()) {
                var now = ch.queueDeclarePassive(q.name());
                out.add(new RabbitQueues.Stat(q.name(), now.getMessageCount(), q.unacked(), now.getConsumerCount()));
            } catch (IOException e) {
                // deleted in between
            }
        }
        return out;
    }

    /** Messages in a queue (ready, plus unacked ones once their consumers are gone); -1 when it does not exist. */
    public long messageCount(String queue) throws Exception {
        try (Channel ch = rabbit().createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (IOException e) {
            return -1;
        }
    }

    String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < overseers.size(); i++) {
            if (overseers.get(i) != null) {
                b.append("--- overseer ").append(i).append('\n').append(tail(overseers.get(i).logText()));
            }
        }
        for (JarProcess w : workers) {
            if (w != null) {
                b.append("--- worker ").append(w.pid()).append('\n').append(tail(w.logText()));
            }
        }
        return b.toString();
    }

    Path logDir() {
        return logDir;
    }

    private static String tail(String text) {
        String[] lines = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 40), lines.length)) + "\n";
    }

    @Override
    public void close() {
        for (JarProcess w : workers) {
            try {
                if (w != null) {
                    w.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
        try {
            for (JarProcess overseer : overseers) {
                if (overseer != null) {
                    overseer.close();
                }
            }
        } catch (Exception ignored) {
            // best effort
        }
        try {
            cleanRedis();
        } catch (Exception e) {
            System.err.println("fault cluster " + namespace + ": Redis clean-up: " + e);
        }
        try {
            cleanRabbit();
        } catch (Exception e) {
            System.err.println("fault cluster " + namespace + ": RabbitMQ clean-up: " + e);
        }
    }

    private void cleanRedis() {
        // a Redis Cluster of the test's own goes with the test
        if (options.redisCluster == null) {
            NamespaceCleaner.cleanRedis(redis(), namespace);
        }
        closeDirect();
        if (options.auditRedis != null) {
            NamespaceCleaner.cleanRedis(audit(), namespace);
            auditConnection.close();
            auditClient.shutdown();
        }
    }

    private void cleanRabbit() throws Exception {
        NamespaceCleaner.cleanRabbit(rabbit(), keys, options.pools);
    }
}
