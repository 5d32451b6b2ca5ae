package dev.pipewright.it.fault;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import dev.pipewright.protocol.keys.JobId;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every task message and every completion event delivered twice, and
 * events reordered. A tee queue bound beside the pool queue receives a copy of every task message,
 * which the test publishes to the pool queue again, shuffled in small batches. For events, the
 * test adds a copy of the completion event of every task that succeeded (shuffled across jobs),
 * and now and then freezes the overseer (SIGSTOP), takes the original events it has not read yet
 * off the stream and puts them back in reverse order before thawing it (SIGCONT). The ledger
 * finds each task run, committed and released once.
 */
class DuplicateFaultIT {
    private static final int JOBS = Soak.times(60);

    @Test
    void everyMessageAndEventTwiceWithEventsReordered() throws Exception {
        Workload work = new Workload("fan", 6, 30);
        Random random = new Random(System.nanoTime());
        try (ProcessCluster cluster = ProcessCluster.builder().workers(2).concurrency(4).lease("5s").start()) {
            cluster.postPipeline(work.yaml());
            String tee = cluster.namespace() + ".tee";
            Channel ch = cluster.rabbit().createChannel();
            ch.queueDeclare(tee, true, false, false, Map.of());
            ch.queueBind(tee, cluster.keys().taskExchange(), "default");
            ch.confirmSelect();

            AtomicBoolean done = new AtomicBoolean();
            AtomicLong messagesDoubled = new AtomicLong();
            AtomicLong eventsDoubled = new AtomicLong();
            AtomicLong eventsReordered = new AtomicLong();
            Thread messages = Thread.ofPlatform().start(() -> teeMessages(ch, tee, cluster.keys().poolQueue("default"), done,
                    messagesDoubled, random));
            Ledger ledger = new Ledger(work);
            Thread events = Thread.ofPlatform().start(() -> doubleEvents(cluster, ledger, done, eventsDoubled, random));
            for (int n = 0; n < JOBS; n++) {
                ledger.submitted(cluster.submit(work.name(), work.body(n), Duration.ofSeconds(30)));
                if (n % 10 == 9) {
                    eventsReordered.addAndGet(reorderEvents(cluster));
                }
            }
            for (int i = 0; i < 5; i++) {
                Thread.sleep(300);
                eventsReordered.addAndGet(reorderEvents(cluster));
            }
            boolean ended = ledger.awaitEnd(cluster, Duration.ofMinutes(3));
            // every copy is out before the check
            done.set(true);
            events.join();
            messages.join();
            Thread.sleep(2000);
            assertTrue(ledger.awaitEnd(cluster, Duration.ofSeconds(30)));
            cluster.stopWorkers();
            ch.queueDelete(tee);
            ch.close();
            Ledger.Report report = ledger.check(cluster, Duration.ofSeconds(1), Set.of("SUCCESS"));
            int tasks = JOBS * work.tasksPerJob();
            System.out.println("duplicates: messages doubled=" + messagesDoubled + " events doubled=" + eventsDoubled
                    + " events reordered=" + eventsReordered + " " + cluster.workerNote() + " " + report.summary());
            report.assertClean();
            assertTrue(ended);
            assertEquals(tasks, report.attempts(), "each task ran once although its message came twice");
            assertTrue(messagesDoubled.get() >= tasks, "every task message was delivered twice: " + messagesDoubled);
            assertEquals(tasks, eventsDoubled.get(), "every completion event was delivered twice");
            assertTrue(eventsReordered.get() > 0, "some events were delivered out of order");
        }
    }

    /** Publishes every task message the tee queue sees to the pool queue again, shuffled in batches. */
    private static void teeMessages(Channel ch, String tee, String poolQueue, AtomicBoolean done, AtomicLong doubled, Random random) {
        try {
            while (true) {
                List<GetResponse> batch = new ArrayList<>();
                GetResponse r;
                while (batch.size() < 1 + random.nextInt(20) && (r = ch.basicGet(tee, false)) != null) {
                    batch.add(r);
                }
                if (batch.isEmpty()) {
                    if (done.get()) {
                        return;
                    }
                    Thread.sleep(20);
                    continue;
                }
                Collections.shuffle(batch, random);
                for (GetResponse m : batch) {
                    ch.basicPublish("", poolQueue, true, new AMQP.BasicProperties.Builder().deliveryMode(2)
                            .contentType("application/json").build(), m.getBody());
                }
                ch.waitForConfirmsOrDie(10_000);
                for (GetResponse m : batch) {
                    ch.basicAck(m.getEnvelope().getDeliveryTag(), false);
                }
                doubled.addAndGet(batch.size());
            }
        } catch (Exception e) {
            throw new IllegalStateException("tee failed", e);
        }
    }

    /** Adds a second completion event for every task that succeeded, shuffled across jobs. */
    private static void doubleEvents(ProcessCluster cluster, Ledger ledger, AtomicBoolean done, AtomicLong doubled, Random random) {
        RedisClusterCommands<String, String> redis = cluster.newRedis();
        Set<String> copied = new HashSet<>();
        try {
            while (true) {
                boolean last = done.get();
                List<Map<String, String>> copies = new ArrayList<>();
                for (String id : ledger.submittedJobs()) {
                    JobId job = new JobId(id);
                    for (String node : redis.lrange(cluster.keys().nodes(job), 0, -1)) {
                        if (copied.contains(id + "/" + node)) {
                            continue;
                        }
                        List<String> t = redis.hmget(cluster.keys().task(job, node), "state", "attempt", "sink").stream()
                                .map(kv -> kv.getValueOrElse(null)).toList();
                        if ("SUCCESS".equals(t.get(0))) {
                            Map<String, String> event = new LinkedHashMap<>();
                            event.put("j", id);
                            event.put("n", node);
                            event.put("a", t.get(1));
                            event.put("o", "ok");
                            if (t.get(2) != null) {
                                event.put("w", t.get(2));
                            }
                            copies.add(event);
                            copied.add(id + "/" + node);
                        }
                    }
                }
                Collections.shuffle(copies, random);
                for (Map<String, String> event : copies) {
                    redis.xadd(cluster.keys().events(new JobId(event.get("j")).shard(cluster.shards())), event);
                }
                doubled.addAndGet(copies.size());
                if (last) {
                    return;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Freezes the overseer, takes the events it has not read yet off each shard's stream and puts
     * them back in reverse order, then thaws it. Returns how many events changed places.
     */
    private static int reorderEvents(ProcessCluster cluster) throws Exception {
        RedisClusterCommands<String, String> redis = cluster.redis();
        cluster.signalOverseer("STOP");
        int moved = 0;
        try {
            Thread.sleep(150); // let events pile up
            for (int shard = 0; shard < cluster.shards(); shard++) {
                String stream = cluster.keys().events(shard);
                String lastDelivered = redis.xinfoGroups(stream).stream()
                        .map(g -> groupField(g, "last-delivered-id")).findFirst().orElse("0-0");
                List<StreamMessage<String, String>> unread = redis.xrange(stream,
                        io.lettuce.core.Range.create("(" + lastDelivered, "+"));
                if (unread.size() < 2) {
                    continue;
                }
                for (StreamMessage<String, String> m : unread) {
                    redis.xdel(stream, m.getId());
                }
                for (int i = unread.size() - 1; i >= 0; i--) {
                    redis.xadd(stream, new XAddArgs(), unread.get(i).getBody());
                }
                moved += unread.size();
            }
        } finally {
            cluster.signalOverseer("CONT");
        }
        return moved;
    }

    private static String groupField(Object group, String name) {
        @SuppressWarnings("unchecked")
        List<Object> fields = (List<Object>) group;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if (name.equals(String.valueOf(fields.get(i)))) {
                return String.valueOf(fields.get(i + 1));
            }
        }
        return "0-0";
    }
}
