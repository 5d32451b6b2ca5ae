package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.TcpProxy;
import dev.pipewright.worker.WorkerMain;
import dev.pipewright.worker.config.WorkerConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker's {@code /ready} (the Kubernetes readiness probe) answers 200 only while its Redis and
 * RabbitMQ connections are up and its consumers run; {@code /health} (liveness) answers as soon as
 * the process does. The worker reaches Redis and RabbitMQ through TCP proxies that refuse
 * connections at first and cut them later.
 */
class WorkerReadinessIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private record Answer(int status, JsonNode body) {
        String check(String name) {
            return body.path("checks").path(name).asText();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private Answer get(int port, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), Cluster.JSON.readTree(r.body()));
        } catch (Exception e) {
            return new Answer(-1, Cluster.JSON.createObjectNode().put("error", e.toString()));
        }
    }

    private Answer awaitReady(int port, String what, java.util.function.Predicate<Answer> condition) {
        Answer[] last = {null};
        try {
            Cluster.await(what, WAIT, () -> condition.test(last[0] = get(port, "/ready")));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last /ready: " + last[0], e);
        }
        return last[0];
    }

    private static String via(URI uri, int port) throws Exception {
        return new URI(uri.getScheme(), uri.getUserInfo(), "127.0.0.1", port, uri.getPath(), uri.getQuery(), uri.getFragment()).toString();
    }

    @Test
    void readyOnlyWhileRedisAndRabbitMqAreConnectedAndTheConsumersRun() throws Exception {
        URI redis = TestServices.redisUri();
        URI rabbit = TestServices.rabbitUri();
        try (Cluster cluster = Cluster.builder().workers(0).start();
             TcpProxy redisProxy = new TcpProxy(redis.getHost(), redis.getPort());
             TcpProxy rabbitProxy = new TcpProxy(rabbit.getHost(), rabbit.getPort() < 0 ? 5672 : rabbit.getPort())) {
            redisProxy.refuse(true);
            rabbitProxy.refuse(true);
            int port = Cluster.freePort();
            Map<String, String> env = cluster.workerEnv("ready-w1", port);
            env.put("PW_REDIS_URI", via(redis, redisProxy.port()));
            env.put("PW_RABBITMQ_URI", via(rabbit, rabbitProxy.port()));
            env.put("PW_CONNECT_TIMEOUT", "60s");
            WorkerConfig config = WorkerConfig.from(new Settings(env));
            CompletableFuture<WorkerMain.Running> starting = CompletableFuture.supplyAsync(() -> {
                try {
                    return WorkerMain.start(config, WorkerMain.registry(config));
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            WorkerMain.Running running = null;
            try {
                // the process is up, waiting for Redis: alive, not ready
                Cluster.await("/health to answer", WAIT, () -> get(port, "/health").status() == 200);
                Answer waiting = get(port, "/ready");
                assertEquals(503, waiting.status(), waiting.toString());
                assertEquals("DOWN", waiting.body().path("status").asText(), waiting.toString());
                assertTrue(waiting.check("redis").startsWith("DOWN"), waiting.toString());
                assertTrue(waiting.check("consumers").startsWith("DOWN"), waiting.toString());

                redisProxy.refuse(false);
                Answer noRabbit = awaitReady(port, "Redis UP while RabbitMQ is still refused",
                        a -> a.check("redis").equals("UP"));
                assertEquals(503, noRabbit.status(), noRabbit.toString());
                assertTrue(noRabbit.check("rabbitmq").startsWith("DOWN"), noRabbit.toString());

                rabbitProxy.refuse(false);
                running = starting.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                Answer up = awaitReady(port, "ready once both are connected", a -> a.status() == 200);
                assertEquals(Map.of("redis", "UP", "rabbitmq", "UP", "consumers", "UP"),
                        Cluster.JSON.convertValue(up.body().path("checks"), Map.class), up.toString());
                assertEquals("UP", up.body().path("status").asText());

                // and it works: a job runs through it
                cluster.awaitWorkersListed(java.util.Set.of("ready-w1"));
                cluster.postPipeline("""
                        name: ready-check
                        dataNodes: {seed: {}, x: {}}
                        processNodes:
                          one: {input: [seed], output: [x], processor: identity}
                        """);
                String job = cluster.submit("ready-check", "{\"inputs\": {\"seed\": \"s\"}}");
                assertEquals("SUCCESS", cluster.awaitJob(job, WAIT).path("status").asText());

                // RabbitMQ goes away: not ready until the connection has recovered
                rabbitProxy.refuse(true);
                rabbitProxy.reset();
                Answer rabbitDown = awaitReady(port, "not ready while RabbitMQ is cut", a -> a.status() == 503);
                assertTrue(rabbitDown.check("rabbitmq").startsWith("DOWN") || rabbitDown.check("consumers").startsWith("DOWN"),
                        rabbitDown.toString());
                rabbitProxy.refuse(false);
                awaitReady(port, "ready again once RabbitMQ recovered", a -> a.status() == 200);

                // Redis goes away: not ready until Lettuce has reconnected
                redisProxy.refuse(true);
                redisProxy.reset();
                Answer redisDown = awaitReady(port, "not ready while Redis is cut", a -> a.status() == 503);
                assertTrue(redisDown.check("redis").startsWith("DOWN"), redisDown.toString());
                redisProxy.refuse(false);
                awaitReady(port, "ready again once Redis reconnected", a -> a.status() == 200);
                assertEquals(200, get(port, "/health").status());
            } finally {
                redisProxy.refuse(false);
                rabbitProxy.refuse(false);
                if (running == null) {
                    running = starting.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
                running.close();
            }
        }
    }
}
