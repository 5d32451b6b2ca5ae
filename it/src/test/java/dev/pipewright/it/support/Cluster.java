package dev.pipewright.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.overseer.OverseerMain;
import dev.pipewright.overseer.config.OverseerConfig;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.worker.WorkerMain;
import dev.pipewright.worker.config.WorkerConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * An overseer and N workers started in this JVM against the shared RabbitMQ and Redis, under a
 * namespace of their own, with a temporary data directory. Offers an HTTP client for the API and
 * direct access to Redis and RabbitMQ for tests that tamper with the plumbing. {@link #close()}
 * stops everything and removes the namespace's Redis keys, queues and exchanges.
 */
public final class Cluster implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(60);

    private final Builder options;
    private final String namespace;
    private final Keys keys;
    private final Path dataDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<WorkerSlot> workers = new ArrayList<>();
    private final Set<String> pools = new LinkedHashSet<>(List.of("default"));
    private OverseerMain.Running overseer;
    private URI base;
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redisConnection;
    private Connection rabbit;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The overseer's PW_ADMIN_TOKEN: {@link #send} adds it to every request that names no token of its own. */
    private final String adminToken = "pw_it-admin-" + java.util.UUID.randomUUID();

    /** One in-JVM worker; a restart gives it a new id (attempt ids derive from worker ids). */
    private static final class WorkerSlot {
        int generation;
        String id;
        int metricsPort;
        WorkerMain.Running running;
        Map<String, String> settings = Map.of();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What to start: how many workers, their concurrency, exec registry, lease, shards, metrics. */
    public static final class Builder {
        private int workers = 1;
        private int concurrency = 4;
        private Path processorsFile;
        private Duration lease;
        private int shards = 4;
        private boolean workerMetrics;
        private String prefix = "it";
        private final Map<String, String> overseerEnv = new LinkedHashMap<>();
        private URI rabbitUri;

        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        public Builder concurrency(int n) {
            this.concurrency = n;
            return this;
        }

        public Builder processorsFile(Path file) {
            this.processorsFile = file;
            return this;
        }

        public Builder lease(Duration lease) {
            this.lease = lease;
            return this;
        }

        public Builder shards(int shards) {
            this.shards = shards;
            return this;
        }

        /** Gives each in-JVM worker its own metrics port, so tests can read its counters. */
        public Builder workerMetrics(boolean on) {
            this.workerMetrics = on;
            return this;
        }

        public Builder namespacePrefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /** A RabbitMQ of the test's own (e.g. {@link OwnRabbit}) instead of the machine's. */
        public Builder rabbitUri(URI uri) {
            this.rabbitUri = uri;
            return this;
        }

        public Builder overseerSetting(String name, String value) {
            overseerEnv.put(name, value);
            return this;
        }

        public Cluster start() throws Exception {
            Cluster c = new Cluster(this);
            try {
                c.startAll();
            } catch (Throwable t) {
                c.close();
                throw t;
            }
            return c;
        }
    }

    private Cluster(Builder options) throws IOException {
        this.options = options;
        this.namespace = TestServices.freshNamespace(options.prefix);
        this.keys = new Keys(namespace, options.shards);
        this.dataDir = Files.createTempDirectory("pw-it-data-");
    }

    private void startAll() throws Exception {
        startOverseer();
        for (int i = 0; i < options.workers; i++) {
            workers.add(new WorkerSlot());
            startWorker(i);
        }
    }

    // ---------------------------------------------------------------- overseers

    /** Starts the cluster's in-JVM overseer (again, after {@link #stopOverseer()}; on a new port) and waits until it is ready. */
    public synchronized void startOverseer() throws Exception {
        if (overseer != null) {
            throw new IllegalStateException("the overseer is running");
        }
        overseer = launchOverseer("ov-" + namespace, Map.of());
        base = URI.create("http://127.0.0.1:" + overseer.httpPort());
        await("the overseer to answer /ready", Duration.ofSeconds(30), () -> {
            try {
                return get("/ready").status() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Stops the cluster's overseer gracefully; its state stays in Redis for {@link #startOverseer()}. */
    public synchronized void stopOverseer() {
        if (overseer != null) {
            overseer.close();
            overseer = null;
        }
    }

    /**
     * Starts one more overseer in this JVM on the cluster's namespace, with its own instance id and
     * port and these settings over the cluster's; the caller closes it (before the cluster).
     */
    public OverseerMain.Running startExtraOverseer(String instanceId, Map<String, String> settings) throws Exception {
        return launchOverseer(instanceId, settings);
    }

    private OverseerMain.Running launchOverseer(String instanceId, Map<String, String> settings) throws Exception {
        Exception last = null;
        for (int tries = 0; tries < 3; tries++) {
            Map<String, String> env = commonEnv();
            env.put("PW_HTTP_HOST", "127.0.0.1");
            env.put("PW_HTTP_PORT", Integer.toString(freePort()));
            env.put("PW_DATA_DIR", dataDir.toString());
            env.put("PW_INSTANCE_ID", instanceId);
            env.put("PW_ADMIN_TOKEN", adminToken);
            // tests poll fast with one token; AuthIT sets a limit of its own
            env.put("PW_RATE_LIMIT", "0");
            env.putAll(options.overseerEnv);
            env.putAll(settings);
            try {
                return OverseerMain.start(OverseerConfig.from(new Settings(env)));
            } catch (IllegalStateException e) {
                last = e; // the port was taken in between; pick another
            }
        }
        throw last;
    }

    // ---------------------------------------------------------------- settings

    /** The settings every process of this cluster shares (namespace, shards, service URIs). */
    public Map<String, String> commonEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PW_NAMESPACE", namespace);
        env.put("PW_SHARDS", Integer.toString(options.shards));
        env.put("PW_RABBITMQ_URI", rabbitUri().toString());
        env.put("PW_REDIS_URI", TestServices.redisUri().toString());
        return env;
    }

    /** The settings of a worker with this id (usable for an in-JVM worker or a worker process). */
    public Map<String, String> workerEnv(String workerId, int metricsPort) {
        Map<String, String> env = commonEnv();
        env.put("PW_WORKER_ID", workerId);
        env.put("PW_POOLS", "default");
        env.put("PW_CONCURRENCY", Integer.toString(options.concurrency));
        env.put("PW_METRICS_PORT", Integer.toString(metricsPort));
        env.put("PW_METRICS_HOST", "127.0.0.1");
        env.put("PW_SHUTDOWN_GRACE", "5s");
        if (options.processorsFile != null) {
            env.put("PW_PROCESSORS", options.processorsFile.toString());
        }
        if (options.lease != null) {
            env.put("PW_LEASE", options.lease.toMillis() + "ms");
        }
        return env;
    }

    public String namespace() {
        return namespace;
    }

    public Keys keys() {
        return keys;
    }

    /** The data store's area of the admin token's owner ({@code admin}): where its jobs' relative sources live. */
    public Path dataArea() {
        return dataArea("admin");
    }

    /** An owner's area of the data store ({@code owners/<owner>}, see docs/data-store.md). */
    public Path dataArea(String owner) {
        return dataDir.resolve(dev.pipewright.protocol.data.DataPaths.area(owner));
    }

    public Path dataDir() {
        return dataDir;
    }

    public URI baseUri() {
        return base;
    }

    /** The admin token the overseer accepts (PW_ADMIN_TOKEN). */
    public String adminToken() {
        return adminToken;
    }

    /** Marks a pool whose queue this test made, so that {@link #close()} deletes it. */
    public void trackPool(String pool) {
        pools.add(pool);
    }

    // ---------------------------------------------------------------- workers

    public int workerCount() {
        return workers.size();
    }

    public String workerId(int index) {
        return workers.get(index).id;
    }

    public boolean workerRunning(int index) {
        return workers.get(index).running != null;
    }

    /** Starts one more in-JVM worker and waits until the overseer lists it; returns its index. */
    public int addWorker() throws Exception {
        workers.add(new WorkerSlot());
        startWorker(workers.size() - 1);
        return workers.size() - 1;
    }

    /**
     * Starts one more in-JVM worker whose settings override the cluster's (e.g. {@code PW_POOLS},
     * {@code PW_CONCURRENCY}), waits until the overseer lists it, and returns its index.
     */
    public int addWorker(Map<String, String> settings) throws Exception {
        WorkerSlot slot = new WorkerSlot();
        slot.settings = Map.copyOf(settings);
        workers.add(slot);
        startWorker(workers.size() - 1);
        return workers.size() - 1;
    }

    /** Starts the worker at this index (again), under a new id, and waits until the overseer lists it. */
    public synchronized void startWorker(int index) throws Exception {
        WorkerSlot slot = workers.get(index);
        if (slot.running != null) {
            throw new IllegalStateException("worker " + index + " is running");
        }
        slot.generation++;
        slot.id = "w" + index + "-g" + slot.generation;
        Exception last = null;
        for (int tries = 0; tries < 3 && slot.running == null; tries++) {
            slot.metricsPort = options.workerMetrics ? freePort() : 0;
            Map<String, String> env = workerEnv(slot.id, slot.metricsPort);
            env.putAll(slot.settings);
            WorkerConfig config = WorkerConfig.from(new Settings(env));
            try {
                slot.running = WorkerMain.start(config, WorkerMain.registry(config));
            } catch (IllegalStateException e) {
                last = e; // metrics port taken in between
            }
        }
        if (slot.running == null) {
            throw last;
        }
        awaitWorkersListed(Set.of(slot.id));
    }

    /** Stops the worker at this index gracefully (it finishes running attempts, up to 5 s). */
    public synchronized void stopWorker(int index) {
        WorkerSlot slot = workers.get(index);
        if (slot.running != null) {
            slot.running.close();
            slot.running = null;
        }
    }

    /** Waits until {@code GET /api/v1/workers} lists every one of these worker ids. */
    public void awaitWorkersListed(Set<String> ids) {
        await("workers " + ids + " to show in /api/v1/workers", Duration.ofSeconds(30), () -> listedWorkers().containsAll(ids));
    }

    public Set<String> listedWorkers() {
        Set<String> ids = new HashSet<>();
        for (JsonNode w : get("/api/v1/workers").json().path("workers")) {
            ids.add(w.path("id").asText());
        }
        return ids;
    }

    /** The metrics port of an in-JVM worker (the cluster must be built with workerMetrics), e.g. for a Prometheus to scrape. */
    public int workerMetricsPort(int index) {
        int port = workers.get(index).metricsPort;
        if (port == 0) {
            throw new IllegalStateException("worker " + index + " has no metrics port; build the cluster with workerMetrics(true)");
        }
        return port;
    }

    /** The Prometheus text of an in-JVM worker (the cluster must be built with workerMetrics). */
    public String workerMetrics(int index) {
        WorkerSlot slot = workers.get(index);
        if (slot.metricsPort == 0) {
            throw new IllegalStateException("worker " + index + " has no metrics port; build the cluster with workerMetrics(true)");
        }
        Response r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + slot.metricsPort + "/metrics")).GET());
        if (r.status() != 200) {
            throw new AssertionError("worker metrics answered " + r.status());
        }
        return r.text();
    }

    public String overseerMetrics() {
        return get("/metrics").text();
    }

    // ---------------------------------------------------------------- HTTP

    /** An HTTP answer: status, headers and body bytes. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (HTTP " + status + "): " + abbreviate(text()), e);
            }
        }

        public String contentType() {
            return headers.firstValue("Content-Type").orElse(null);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + abbreviate(text());
        }
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public Response post(String path, String body, String contentType) {
        return post(path, body.getBytes(StandardCharsets.UTF_8), contentType);
    }

    public Response post(String path, byte[] body, String contentType) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** Sends the request with the admin token, unless it carries an Authorization header of its own. */
    public Response send(HttpRequest.Builder request) {
        HttpRequest built = request.timeout(HTTP_TIMEOUT).build();
        if (built.headers().firstValue("Authorization").isEmpty()) {
            built = HttpRequest.newBuilder(built, (name, value) -> true).header("Authorization", "Bearer " + adminToken).build();
        }
        return sendRaw(built);
    }

    /** Sends the request exactly as built: without a token unless it names one. */
    public Response sendRaw(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (request.uri().getPort() == base.getPort() && base.getHost().equals(request.uri().getHost())) {
                ContractCheck.verify(request.method(), request.uri().getPath(), r.statusCode(),
                        r.headers().firstValue("Content-Type").orElse(null), r.body());
            }
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends a request with exactly this bearer token (null: no Authorization header at all) and,
     * when {@code body} is not null, that JSON body.
     */
    public Response as(String token, String method, String path, String body) {
        return as(token, method, path, body, "application/json");
    }

    /** Like {@link #as(String, String, String, String)}, with a body of this content type (YAML, say). */
    public Response as(String token, String method, String path, String body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(HTTP_TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return sendRaw(b.build());
    }

    /** Makes an API token with the admin token and returns its secret ({@code owner} null: the name). */
    public String createToken(String name, String role, String owner) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("role", role);
        if (owner != null) {
            body.put("owner", owner);
        }
        try {
            Response r = post("/api/v1/tokens", JSON.writeValueAsString(body), "application/json");
            if (r.status() != 201) {
                throw new AssertionError("token refused: " + r);
            }
            return r.json().path("token").asText();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** POSTs a pipeline (YAML or JSON) and returns {@code {id, version, name}}; anything but 201 fails the test. */
    public JsonNode postPipeline(String yaml) {
        Response r = post("/api/v1/pipelines", yaml, "application/yaml");
        if (r.status() != 201) {
            throw new AssertionError("pipeline refused: " + r);
        }
        return r.json();
    }

    public Response submitRaw(String pipelineId, String json) {
        return post("/api/v1/pipelines/" + pipelineId + "/jobs", json, "application/json");
    }

    /** Submits a job and returns its id; anything but 202 fails the test. */
    public String submit(String pipelineId, String json) {
        Response r = submitRaw(pipelineId, json);
        if (r.status() != 202) {
            throw new AssertionError("job refused: " + r);
        }
        return r.json().path("id").asText();
    }

    public JsonNode job(String id) {
        Response r = get("/api/v1/jobs/" + id);
        if (r.status() != 200) {
            throw new AssertionError("GET job " + id + ": " + r);
        }
        return r.json();
    }

    /** Polls the job until it is finished (SUCCESS, FAILED or CANCELLED) and returns its last view. */
    public JsonNode awaitJob(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode view;
        while (true) {
            view = job(id);
            if (view.path("finished").asBoolean(false)) {
                return view;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("job " + id + " did not finish within " + timeout + "; last view: " + view.toPrettyString());
            }
            sleep(50);
        }
    }

    /** Polls until the job's task for this node is in {@code status}; returns the task's view. */
    public JsonNode awaitTask(String jobId, String node, String status, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode view = job(jobId);
            JsonNode task = task(view, node);
            if (task != null && status.equals(task.path("status").asText())) {
                return task;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("task " + node + " of job " + jobId + " did not reach " + status + " within " + timeout
                        + "; last view: " + view.toPrettyString());
            }
            sleep(20);
        }
    }

    /** The task of this node in a job view, or null when the job has no such task. */
    public static JsonNode task(JsonNode job, String node) {
        for (JsonNode t : job.path("tasks")) {
            if (node.equals(t.path("node").asText())) {
                return t;
            }
        }
        return null;
    }

    public Response consumable(String jobId, String dataNode) {
        return get("/api/v1/jobs/" + jobId + "/consumables/" + dataNode);
    }

    /** The consumable's bytes as UTF-8 text; anything but 200 fails the test. */
    public String consumableText(String jobId, String dataNode) {
        Response r = consumable(jobId, dataNode);
        if (r.status() != 200) {
            throw new AssertionError("consumable " + dataNode + " of job " + jobId + ": " + r);
        }
        return r.text();
    }

    public JsonNode logs(String jobId) {
        Response r = get("/api/v1/jobs/" + jobId + "/logs");
        if (r.status() != 200) {
            throw new AssertionError("logs of job " + jobId + ": " + r);
        }
        return r.json().path("logs");
    }

    // ---------------------------------------------------------------- Redis and RabbitMQ

    /** A Redis connection (strings) for looking at and tampering with the namespace's keys. */
    public synchronized RedisCommands<String, String> redis() {
        if (redisConnection == null) {
            redisClient = RedisClient.create(RedisURI.create(TestServices.redisUri()));
            redisConnection = redisClient.connect();
        }
        return redisConnection.sync();
    }

    /**
     * Every key of the namespace with its whole content (type, then the sorted hash, set or zset
     * with scores, the list, the string, or every stream entry), for comparing stored state before
     * and after a request that must change nothing. Left out, because they change on their own:
     * workers' heartbeats and what they announce per pool, and when each token was last used.
     */
    public Map<String, String> snapshot() {
        RedisCommands<String, String> redis = redis();
        Map<String, String> out = new java.util.TreeMap<>();
        io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
        do {
            io.lettuce.core.KeyScanCursor<String> page = redis.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(namespace + ":*").limit(1000));
            for (String key : page.getKeys()) {
                // heartbeats and leases renew themselves: not state a request could have changed
                if (key.contains(":worker:") || key.endsWith(":workers") || key.contains(":pool:") || key.endsWith(":tokens:used")
                        || key.endsWith("}:owner") || key.endsWith(":overseers") || key.endsWith(":overseers:held")
                        || key.endsWith(":overseers:process")) {
                    continue;
                }
                String type = redis.type(key);
                String content = switch (type) {
                    case "hash" -> new java.util.TreeMap<>(redis.hgetall(key)).toString();
                    case "set" -> new java.util.TreeSet<>(redis.smembers(key)).toString();
                    case "zset" -> redis.zrangeWithScores(key, 0, -1).toString();
                    case "list" -> redis.lrange(key, 0, -1).toString();
                    case "string" -> redis.get(key);
                    case "stream" -> redis.xrange(key, io.lettuce.core.Range.create("-", "+")).stream()
                            .map(m -> m.getId() + "=" + new java.util.TreeMap<>(m.getBody())).toList().toString();
                    default -> type;
                };
                out.put(key, type + " " + content);
            }
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    public String jobKey(String jobId) {
        return keys.job(new JobId(jobId));
    }

    public String taskKey(String jobId, String node) {
        return keys.task(new JobId(jobId), node);
    }

    /** Redis's clock in epoch microseconds: the clock of every {@code *_us} time the API reports. */
    public long redisTimeMicros() {
        List<String> t = redis().time();
        return Long.parseLong(t.get(0)) * 1_000_000L + Long.parseLong(t.get(1));
    }

    /** Messages ready (not delivered) in a pool's queue. */
    public long queueDepth(String pool) throws Exception {
        try (Channel ch = rabbit().createChannel()) {
            return ch.queueDeclarePassive(keys.poolQueue(pool)).getMessageCount();
        }
    }

    /** A fresh RabbitMQ channel on the test's own connection (the caller closes it). */
    public Channel rabbitChannel() throws Exception {
        return rabbit().createChannel();
    }

    private URI rabbitUri() {
        return options.rabbitUri != null ? options.rabbitUri : TestServices.rabbitUri();
    }

    public int shardOf(String jobId) {
        return new JobId(jobId).shard(options.shards);
    }

    private synchronized Connection rabbit() throws Exception {
        if (rabbit == null || !rabbit.isOpen()) {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(rabbitUri());
            rabbit = f.newConnection("pipewright-it-" + namespace);
        }
        return rabbit;
    }

    /** Publishes a persistent message (mandatory, confirmed); fails when RabbitMQ could not route it. */
    public void publish(String exchange, String routingKey, String body) throws Exception {
        try (Channel ch = rabbit().createChannel()) {
            AtomicBoolean returned = new AtomicBoolean();
            ch.addReturnListener(r -> returned.set(true));
            ch.confirmSelect();
            ch.basicPublish(exchange, routingKey, true,
                    new com.rabbitmq.client.AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json").build(),
                    body.getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
            if (returned.get()) {
                throw new AssertionError("RabbitMQ returned the message published to " + exchange + "/" + routingKey + " (unroutable)");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Polls the condition every 20 ms; fails the test naming what was awaited when it stays false. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            sleep(20);
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    static String abbreviate(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) + "…" : s;
    }

    // ---------------------------------------------------------------- clean-up

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<Throwable> problems = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            try {
                stopWorker(i);
            } catch (Throwable t) {
                problems.add(t);
            }
        }
        if (overseer != null) {
            try {
                overseer.close();
            } catch (Throwable t) {
                problems.add(t);
            }
        }
        try {
            cleanRabbit();
        } catch (Throwable t) {
            problems.add(t);
        }
        try {
            cleanRedis();
        } catch (Throwable t) {
            problems.add(t);
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp files
        }
        problems.forEach(t -> System.err.println("cluster " + namespace + ": clean-up problem: " + t));
    }

    private void cleanRabbit() throws Exception {
        NamespaceCleaner.cleanRabbit(rabbit(), keys, pools);
    }

    private void cleanRedis() {
        NamespaceCleaner.cleanRedis(redis(), namespace);
        redisConnection.close();
        redisClient.shutdown();
    }
}
