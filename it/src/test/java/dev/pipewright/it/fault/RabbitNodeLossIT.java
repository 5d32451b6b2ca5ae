package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnRabbitCluster;
import dev.pipewright.protocol.keys.Keys;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 3-node RabbitMQ cluster with quorum pool queues (a replica on every node); the overseer and two
 * workers, as processes, are given all three nodes in {@code PW_RABBITMQ_URI}. In the middle of a
 * 3,000-task run the node that most of them are connected to (and then that leads the most of the
 * namespace's queues) is SIGKILLed: the processes that were on it recover on the other two, the
 * queues it led elect new leaders among their two remaining replicas, and the run ends on two
 * nodes. Only then is the node started again (see the comment there for why at all), and the
 * ledger finds every job ended, nothing lost and nothing released twice.
 */
class RabbitNodeLossIT {
    private static final Workload WORK = new Workload("fan", 8, 20);
    private static final int JOBS = Soak.times(300);

    @Test
    void aRabbitMqNodeKilledMidRunLosesNothing() throws Exception {
        long t0 = System.nanoTime();
        try (OwnRabbitCluster rabbit = OwnRabbitCluster.start()) {
            long formed = System.nanoTime();
            queuesOfAnotherSizeAreUsedAsTheyAre(rabbit);
            try (ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4)
                    .setting("PW_RABBITMQ_URI", rabbit.uriList())
                    .setting("PW_QUEUE_TYPE", "quorum")
                    .directServices(rabbit.uri(0), TestServices.redisUri())
                    .rabbitQueues(RabbitQueues.node(rabbit.nodeName(0), rabbit.home())).start()) {
                cluster.postPipeline(WORK.yaml());
                Map<String, List<String>> members = queueMembers(rabbit, cluster.namespace());
                for (Map.Entry<String, List<String>> q : members.entrySet()) {
                    assertEquals(3, q.getValue().size(), "replicas of " + q.getKey() + ": " + q.getValue());
                }
                int victim = victim(rabbit, cluster);
                int reader = (victim + 1) % rabbit.size();
                cluster.readRabbitAt(rabbit.uri(reader), RabbitQueues.node(rabbit.nodeName(reader), rabbit.home()));
                Ledger ledger = new Ledger(WORK);
                // submitted beside the run, so that the kill falls in its middle, while jobs still arrive
                java.util.concurrent.CompletableFuture<Void> submitting = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    for (int n = 0; n < JOBS; n++) {
                        ledger.submitted(cluster.submit(WORK.name(), WORK.body(n), Duration.ofSeconds(90)));
                    }
                });
                Cluster.await("a tenth of the jobs to succeed", Duration.ofSeconds(120), () -> succeeded(cluster, ledger) >= JOBS / 10);
                System.out.println("rabbit node loss: channels before the kill " + channels(rabbit));
                long killedAt = System.nanoTime();
                rabbit.kill(victim);
                System.out.println("rabbit node loss: killed " + rabbit.nodeName(victim) + " with " + succeeded(cluster, ledger) + " of "
                        + ledger.submittedJobs().size() + " jobs submitted so far done");
                submitting.get(3, java.util.concurrent.TimeUnit.MINUTES);
                boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(4));
                long endedAt = System.nanoTime();
                System.out.println("rabbit node loss: queues with a node down " + queueMembers(rabbit, cluster.namespace()));
                // Back after the run: a quorum queue keeps the consumers of channels on a node it lost as "suspected down"
                // (the node may only be cut off) until the node is back and says they are gone, and the ledger wants none
                // left once the workers stop. The run itself ended on two nodes.
                rabbit.restart(victim);
                rabbit.awaitRunning(rabbit.size(), Duration.ofSeconds(90));
                System.out.println("rabbit node loss: channels after the run "  + channels(rabbit));
                for (String q : cluster.keys().poolQueues("default")) {
                    Cluster.await("the consumers of " + q + " to be the two workers' again", Duration.ofSeconds(60),
                            () -> consumers(cluster, q) == cluster.workerCount());
                }
                cluster.stopWorkers();
                Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
                System.out.printf("rabbit node loss: cluster formed in %.1f s, run ended %.1f s after the kill, test %.1f s; %s %s%n",
                        (formed - t0) / 1e9, (endedAt - killedAt) / 1e9, (System.nanoTime() - t0) / 1e9, cluster.workerNote(),
                        report.summary());
                if (!report.violations().isEmpty() || !ended) {
                    System.out.println(cluster.logs());
                }
                report.assertClean();
                assertTrue(ended, "every job ended");
                assertEquals(JOBS, report.jobs());
                assertEquals(JOBS * WORK.tasksPerJob(), report.tasks());
            }
        }
    }

    /** Channels per Pipewright connection (a recovery that leaves channels behind shows here). */
    private static Map<String, Integer> channels(OwnRabbitCluster rabbit) throws Exception {
        Map<String, Integer> out = new java.util.TreeMap<>();
        String any = rabbit.nodeName(rabbit.anyRunning());
        for (JsonNode c : Cluster.JSON.readTree(rabbit.ctl(any, "list_connections", "--formatter", "json", "channels", "client_properties"))) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("pipewright-(overseer|worker)[A-Za-z0-9._-]*")
                    .matcher(c.path("client_properties").toString());
            if (m.find()) {
                out.merge(m.group(), c.path("channels").asInt(), Integer::sum);
            }
        }
        return out;
    }

    private static long consumers(ProcessCluster cluster, String queue) {
        try (Channel ch = cluster.rabbit().createChannel()) {
            return ch.queueDeclarePassive(queue).getConsumerCount();
        } catch (Exception e) {
            return -1;
        }
    }

    private static long succeeded(ProcessCluster cluster, Ledger ledger) {
        return ledger.submittedJobs().stream()
                .filter(id -> "SUCCESS".equals(cluster.redis().hget(cluster.keys().job(new dev.pipewright.protocol.keys.JobId(id)), "status")))
                .count();
    }

    /**
     * The node whose loss hurts the most: the most Pipewright connections (the overseer's counting
     * double: its publishers wait for confirms) and then the most queue leaders of the namespace.
     */
    private static int victim(OwnRabbitCluster rabbit, ProcessCluster cluster) throws Exception {
        int[] score = new int[rabbit.size()];
        StringBuilder note = new StringBuilder();
        String any = rabbit.nodeName(rabbit.anyRunning());
        for (JsonNode c : Cluster.JSON.readTree(rabbit.ctl(any, "list_connections", "--formatter", "json", "port", "client_properties"))) {
            // the name a client gave its connection is among its client properties
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("pipewright-[A-Za-z0-9._-]+").matcher(c.path("client_properties").toString());
            String name = m.find() ? m.group() : "";
            int node = rabbit.indexOfPort(c.path("port").asInt());
            if (node >= 0 && name.startsWith("pipewright-")) {
                score[node] += name.startsWith("pipewright-overseer") ? 20 : name.startsWith("pipewright-worker") ? 10 : 0;
                note.append(name).append(" on node ").append(node + 1).append("; ");
            }
        }
        for (JsonNode q : Cluster.JSON.readTree(rabbit.ctl(any, "list_queues", "--formatter", "json", "name", "leader"))) {
            int node = rabbit.indexOf(q.path("leader").asText());
            if (node >= 0 && q.path("name").asText().startsWith(cluster.namespace() + ".")) {
                score[node] += 1;
            }
        }
        int victim = 0;
        for (int i = 1; i < score.length; i++) {
            if (score[i] > score[victim]) {
                victim = i;
            }
        }
        System.out.println("rabbit node loss: " + note + "scores " + java.util.Arrays.toString(score) + " -> node " + (victim + 1));
        return victim;
    }

    /** The namespace's queues and the nodes holding a replica of each. */
    private static Map<String, List<String>> queueMembers(OwnRabbitCluster rabbit, String namespace) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String json = rabbit.ctl(rabbit.nodeName(rabbit.anyRunning()), "list_queues", "--formatter", "json", "name", "type", "leader", "members");
        for (JsonNode q : Cluster.JSON.readTree(json)) {
            if (q.path("name").asText().startsWith(namespace + ".")) {
                out.put(q.path("name").asText() + "(" + q.path("type").asText() + ", leader " + q.path("leader").asText() + ")",
                        Cluster.JSON.convertValue(q.path("members"), Cluster.JSON.getTypeFactory().constructCollectionType(List.class, String.class)));
            }
        }
        return out;
    }

    /**
     * RabbitMQ refuses a declare whose {@code x-quorum-initial-group-size} differs from the one the
     * queue was created with (none, before PW_QUORUM_SIZE existed); Topology then uses the queue as it
     * is and the caller's channel stays open, so an upgrade or a changed setting breaks nothing.
     */
    private static void queuesOfAnotherSizeAreUsedAsTheyAre(OwnRabbitCluster rabbit) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(rabbit.uri(0));
        f.setAutomaticRecoveryEnabled(false);
        Keys keys = new Keys(TestServices.freshNamespace("qsize"), 1);
        try (Connection c = f.newConnection("pipewright-test-qsize")) {
            try (Channel ch = c.createChannel()) {
                new Topology(keys, QueueType.QUORUM, 1).declareShared(ch);
                ch.queueDeclare(keys.poolQueue("p"), true, false, false, Map.of("x-queue-type", "quorum",
                        "x-dead-letter-exchange", keys.deadLetterExchange(), "x-delivery-limit", Topology.DELIVERY_LIMIT));
                new Topology(keys, QueueType.QUORUM, 3).declarePool(ch, "p");
                new Topology(keys, QueueType.QUORUM, 2).declarePool(ch, "p");
                new Topology(keys, QueueType.QUORUM, 3).declareShared(ch);
                assertTrue(ch.isOpen(), "declaring with another quorum size closed the caller's channel");
                ch.confirmSelect();
                ch.basicPublish(keys.taskExchange(), "p", true, null, new byte[] {1});
                ch.waitForConfirmsOrDie(10_000);
                assertEquals(1, ch.queueDeclarePassive(keys.poolQueue("p")).getMessageCount(), "the queue used as it is is bound");
                ch.queueDelete(keys.poolQueue("p"));
                ch.queueDelete(keys.deadLetterQueue());
                for (String x : List.of(keys.taskExchange(), keys.deadLetterExchange(), keys.controlExchange())) {
                    ch.exchangeDelete(x);
                }
            }
        }
    }
}
