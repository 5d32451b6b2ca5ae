package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.JarProcess;
import dev.pipewright.it.support.Metrics;
import dev.pipewright.it.support.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A message that cannot be parsed, or that crashes workers before
 * they can claim it more than the queue's delivery limit, goes to the dead-letter queue with its
 * reason, the job's task fails with that reason, and nothing loops, on quorum and on classic
 * queues.
 */
class DeadLetterIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).workerMetrics(true).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The overseer's record of dead letters, newest first. */
    private static List<JsonNode> deadLetters() {
        List<JsonNode> out = new ArrayList<>();
        for (String s : cluster.redis().lrange(cluster.keys().deadLetters(), 0, -1)) {
            try {
                out.add(Cluster.JSON.readTree(s));
            } catch (IOException e) {
                throw new AssertionError("unreadable dead-letter record " + s, e);
            }
        }
        return out;
    }

    private static JsonNode deadLetterWithBody(String body) {
        return deadLetters().stream().filter(d -> body.equals(d.path("body").asText())).findFirst().orElse(null);
    }

    @Test
    void unreadableMessagesAreDeadLetteredWithTheirReasonAndTheWorkerCarriesOn() throws Exception {
        String garbage = "this is not JSON {";
        String noJob = "{\"type\":\"task\",\"v\":1,\"job\":\"NOT A JOB ID\",\"shard\":0,\"node\":\"a\",\"dispatch\":1}";
        cluster.publish(cluster.keys().taskExchange(), "default", garbage);
        cluster.publish(cluster.keys().taskExchange(), "default", noJob);

        Cluster.await("both messages to reach the dead-letter record", TIMEOUT,
                () -> deadLetterWithBody(garbage) != null && deadLetterWithBody(noJob) != null);
        for (String body : List.of(garbage, noJob)) {
            JsonNode record = deadLetterWithBody(body);
            assertTrue(record.path("reason").asText().startsWith("rejected by a worker (unreadable)"), record::toString);
            assertTrue(record.path("reason").asText().contains(cluster.keys().poolQueue("default")), record::toString);
        }
        assertEquals(2.0, Metrics.value(cluster.workerMetrics(0), "pipewright_messages_deadlettered_total", Map.of("pool", "default")),
                "each was rejected once: no redelivery loop");
        assertEquals(0, cluster.queueDepth("default"));
        try (Channel ch = cluster.rabbitChannel()) {
            assertEquals(0, ch.queueDeclarePassive(cluster.keys().deadLetterQueue()).getMessageCount(), "the overseer took them off the DLQ");
        }

        // the same worker still runs jobs
        cluster.postPipeline("""
                name: after-poison
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  a: {input: [seed], output: [x], processor: identity}
                """);
        String job = cluster.submit("after-poison", """
                {"inputs": {"seed": "still fine"}}""");
        assertEquals("SUCCESS", cluster.awaitJob(job, TIMEOUT).path("status").asText());
        assertEquals("still fine", cluster.consumableText(job, "x"));
        assertEquals(2.0, Metrics.value(cluster.workerMetrics(0), "pipewright_messages_deadlettered_total", Map.of("pool", "default")));
    }

    /**
     * Worker processes of pool {@code trap}, each talking to Redis through a proxy of its own that
     * stalls the moment the worker sends its first script call (the claim): the test SIGKILLs
     * whichever worker got there, so every delivery dies before its claim, in a real worker, and
     * the message goes back to the queue each time. A quorum queue dead-letters it past its
     * delivery limit; on a classic queue the workers count its redeliveries in Redis and the one
     * that receives it past the limit dead-letters it. Either way the task fails with that reason.
     */
    @ParameterizedTest
    @EnumSource(QueueType.class)
    void aMessageThatCrashesWorkersBeforeTheyClaimItIsDeadLetteredAndFailsItsTask(QueueType type) throws Exception {
        String queueType = type.name().toLowerCase(java.util.Locale.ROOT);
        int spares = 1;
        List<TcpProxy> proxies = new ArrayList<>();
        List<JarProcess> workers = new ArrayList<>();
        try (Cluster own = Cluster.builder().workers(0).namespacePrefix("dlq-" + queueType).overseerSetting("PW_QUEUE_TYPE", queueType).start()) {
            own.trackPool("trap");
            try {
                crashLoop(own, queueType, spares, proxies, workers);
            } finally {
                for (JarProcess w : workers) {
                    w.close();
                }
                proxies.forEach(TcpProxy::close);
            }
        }
    }

    private static void crashLoop(Cluster own, String queueType, int spares, List<TcpProxy> proxies, List<JarProcess> workers)
            throws Exception {
        URI redis = TestServices.redisUri();
        Path logs = Path.of("target", "dead-letter-logs", own.namespace());
        Set<String> ids = new java.util.LinkedHashSet<>();
        for (int i = 0; i <= Topology.DELIVERY_LIMIT + spares; i++) {
            TcpProxy proxy = new TcpProxy(redis.getHost(), redis.getPort());
            proxy.stallOn("FCALL"); // the claim (every state script is a function)
            proxies.add(proxy);
            Map<String, String> env = own.commonEnv();
            String id = "trap-" + i;
            env.put("PW_WORKER_ID", id);
            env.put("PW_POOLS", "trap");
            env.put("PW_CONCURRENCY", "1");
            env.put("PW_METRICS_PORT", "0");
            env.put("PW_QUEUE_TYPE", queueType);
            env.put("PW_REDIS_URI", "redis://" + redis.getHost() + ":" + proxy.port());
            workers.add(JarProcess.worker(env, logs.resolve(id + ".log")));
            ids.add(id);
        }
        Cluster.await("the trap workers to register", Duration.ofSeconds(90), () -> own.listedWorkers().containsAll(ids));
        own.postPipeline("""
                name: crash-loop
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  doomed: {input: [seed], output: [x], processor: identity, pool: trap}
                  after: {input: [x], output: [y], processor: identity, pool: trap}
                """);
        String job = own.submit("crash-loop", """
                {"inputs": {"seed": "s"}}""");

        int kills = 0;
        long quiet = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < quiet && !"FAILED".equals(own.redis().hget(own.jobKey(job), "status"))) {
            for (int i = 0; i < workers.size(); i++) {
                if (workers.get(i).isAlive() && proxies.get(i).trips() > 0) {
                    workers.get(i).kill(); // received it, is claiming it: dies before the claim lands
                    proxies.get(i).close();
                    kills++;
                    quiet = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                }
            }
            Thread.sleep(20);
        }
        System.out.println(queueType + " queue: workers SIGKILLed before their claim=" + kills + "; task "
                + own.redis().hgetall(own.taskKey(job, "doomed")));
        assertEquals(Topology.DELIVERY_LIMIT + 1, kills, "the first delivery and " + Topology.DELIVERY_LIMIT
                + " redeliveries reached a worker's claim, and no more");

        JsonNode view = own.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode doomed = Cluster.task(view, "doomed");
        assertEquals("FAILED", doomed.path("status").asText(), doomed::toString);
        assertEquals(0, doomed.path("attempts").asInt(), "no claim ever landed");
        String error = doomed.path("error").asText();
        assertTrue(error.startsWith("task message dead-lettered: redelivered more than the queue's delivery limit"), error);
        assertTrue(error.contains("[queue " + own.keys().poolQueue("trap")), error);
        assertEquals("SKIPPED", Cluster.task(view, "after").path("status").asText());

        JsonNode record = Cluster.JSON.readTree(own.redis().lrange(own.keys().deadLetters(), 0, -1).stream()
                .filter(d -> d.contains(job)).findFirst().orElseThrow());
        assertEquals("doomed", record.path("node").asText());
        assertEquals("delivery_limit", record.path("reason_code").asText(), record::toString);
        assertEquals("failed", record.path("task").asText(), "the dead letter failed the task: " + record);
        assertEquals(0, own.queueDepth("trap"), "nothing left to redeliver");
        assertEquals(spares, workers.stream().filter(JarProcess::isAlive).count(), "the spare worker is still up");
    }
}
