package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (issue 3, point 5): a message that cannot be parsed, or that crashes workers before
 * they can claim it more than the queue's delivery limit, goes to the dead-letter queue with its
 * reason, the job's task fails with that reason, and nothing loops.
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

    @Test
    void aMessageThatCrashesWorkersBeforeTheyClaimItIsDeadLetteredAndFailsItsTask() throws Exception {
        // A "worker" of pool trap that dies on every delivery before it can claim: it registers like a
        // worker (so the job is accepted), takes the message and drops its channel without an ack.
        String pool = "trap";
        cluster.trackPool(pool);
        try (Channel declare = cluster.rabbitChannel()) {
            new Topology(cluster.keys(), dev.pipewright.infra.config.CommonConfig.QueueType.QUORUM).declarePool(declare, pool);
        }
        String crasher = "crasher";
        cluster.redis().hset(cluster.keys().worker(crasher), Map.of("pools", pool, "processors", "identity",
                "lastSeen", Long.toString(System.currentTimeMillis())));
        cluster.redis().zadd(cluster.keys().workerIndex(), System.currentTimeMillis(), crasher);
        cluster.awaitWorkersListed(Set.of(crasher));

        cluster.postPipeline("""
                name: crash-loop
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  doomed: {input: [seed], output: [x], processor: identity, pool: trap}
                  after: {input: [x], output: [y], processor: identity}
                """);
        String job = cluster.submit("crash-loop", """
                {"inputs": {"seed": "s"}}""");
        cluster.redis().zrem(cluster.keys().workerIndex(), crasher);
        cluster.redis().del(cluster.keys().worker(crasher));

        int deliveries = 0;
        while (true) {
            String got = takeAndCrash(cluster.keys().poolQueue(pool));
            if (got == null) {
                break;
            }
            assertTrue(got.contains("\"job\":\"" + job + "\""), got);
            deliveries++;
            assertTrue(deliveries <= Topology.DELIVERY_LIMIT + 1, "delivered " + deliveries + " times: the delivery limit did not hold");
        }
        assertEquals(Topology.DELIVERY_LIMIT + 1, deliveries, "the first delivery and " + Topology.DELIVERY_LIMIT + " redeliveries");

        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode doomed = Cluster.task(view, "doomed");
        assertEquals("FAILED", doomed.path("status").asText(), doomed::toString);
        assertEquals(0, doomed.path("attempts").asInt());
        String error = doomed.path("error").asText();
        assertTrue(error.startsWith("task message dead-lettered: redelivered more than the queue's delivery limit"), error);
        assertEquals("SKIPPED", Cluster.task(view, "after").path("status").asText());

        JsonNode record = deadLetters().stream().filter(d -> job.equals(d.path("job").asText())).findFirst().orElseThrow();
        assertEquals("doomed", record.path("node").asText());
        assertEquals("failed", record.path("task").asText(), "the dead letter failed the task: " + record);
        assertEquals(0, cluster.queueDepth(pool), "nothing left to redeliver");
    }

    /**
     * Consumes one message from the queue on a fresh channel and closes the channel without an
     * ack, as a worker that crashes on receipt would. Returns the body, or null when none came.
     */
    private static String takeAndCrash(String queue) throws Exception {
        BlockingQueue<String> got = new ArrayBlockingQueue<>(1);
        Channel ch = cluster.rabbitChannel();
        try {
            ch.basicQos(1);
            ch.basicConsume(queue, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    got.offer(new String(body, StandardCharsets.UTF_8));
                }
            });
            return got.poll(3, TimeUnit.SECONDS);
        } finally {
            ch.close();
        }
    }
}
