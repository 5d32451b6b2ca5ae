package dev.pipewright.protocol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeysTest {
    private final Keys keys = new Keys("pw", 16);

    /** The part of a key Redis Cluster hashes: between the first '{' and the next '}', else the whole key. */
    static String hashTag(String key) {
        int open = key.indexOf('{');
        if (open >= 0) {
            int close = key.indexOf('}', open + 1);
            if (close > open + 1) {
                return key.substring(open + 1, close);
            }
        }
        return key;
    }

    private List<String> jobKeys(JobId id) {
        return List.of(keys.job(id), keys.task(id, "task1"), keys.task(id, "process_node_2"), keys.nodes(id),
                keys.data(id), keys.contentTypes(id), keys.taskLog(id, "task1"));
    }

    @Test
    void allKeysOfAJobShareItsShardTag() {
        for (int i = 0; i < 200; i++) {
            JobId id = JobId.random();
            int shard = id.shard(16);
            String tag = "s" + shard;
            for (String key : jobKeys(id)) {
                assertEquals(tag, hashTag(key), key);
                assertTrue(key.startsWith("pw:{" + tag + "}:"), key);
            }
            for (String key : List.of(keys.outbox(shard), keys.events(shard), keys.leases(shard), keys.timers(shard),
                    keys.jobIndex(shard), keys.queued(shard, "gpu"))) {
                assertEquals(tag, hashTag(key), key);
            }
        }
    }

    @Test
    void scheduleKeysShareOneTag() {
        for (String key : List.of(keys.schedules(), keys.schedule("nightly"), keys.scheduleFire("nightly", 1_764_579_900_000L))) {
            assertEquals("sched", hashTag(key), key);
        }
        assertEquals("pw:{sched}:schedule:nightly:fire:1764579900000", keys.scheduleFire("nightly", 1_764_579_900_000L));
    }

    @Test
    void theCountingKeysOfARunShareItsTag() {
        RunId run = new RunId("rmiv3k2abcdefghijkl");
        assertEquals("pw:{run:rmiv3k2abcdefghijkl}:open", keys.runOpen(run));
        assertEquals("pw:{run:rmiv3k2abcdefghijkl}:ended", keys.runEnded(run));
        assertEquals(hashTag(keys.runOpen(run)), hashTag(keys.runEnded(run)));
        assertEquals("pw:run:rmiv3k2abcdefghijkl:jobs", keys.runJobs(run));
    }

    @Test
    void keyLayout() {
        JobId id = new JobId("lz9k3abcdefghijk");
        String prefix = "pw:{s" + id.shard(16) + "}:";
        assertEquals(prefix, keys.shardPrefix(id.shard(16)));
        assertEquals(prefix + "job:lz9k3abcdefghijk", keys.job(id));
        assertEquals(prefix + "job:lz9k3abcdefghijk:t:task1", keys.task(id, "task1"));
        assertEquals(prefix + "job:lz9k3abcdefghijk:nodes", keys.nodes(id));
        assertEquals(prefix + "job:lz9k3abcdefghijk:data", keys.data(id));
        assertEquals(prefix + "job:lz9k3abcdefghijk:ctype", keys.contentTypes(id));
        assertEquals(prefix + "job:lz9k3abcdefghijk:t:task1:log", keys.taskLog(id, "task1"));
        assertTrue(keys.task(id, "task1").startsWith(keys.job(id) + ":"), "scripts derive task keys from the job key");
        assertEquals("pw:{s3}:outbox", keys.outbox(3));
        assertEquals("pw:{s3}:events", keys.events(3));
        assertEquals("pw:{s3}:leases", keys.leases(3));
        assertEquals("pw:{s3}:timers", keys.timers(3));
        assertEquals("pw:{s3}:jobs", keys.jobIndex(3));
        assertEquals("pw:pipeline:etl", keys.pipeline("etl"));
        assertEquals("pw:pipelines", keys.pipelineIndex());
        assertEquals("pw:worker:w1", keys.worker("w1"));
        assertEquals("pw:workers", keys.workerIndex());
        assertEquals("pw.tasks", keys.taskExchange());
        assertEquals("pw.pool.gpu", keys.poolQueue("gpu"));
        assertEquals("pw.dlx", keys.deadLetterExchange());
        assertEquals("pw.dlq", keys.deadLetterQueue());
        assertEquals("lz9k3abcdefghijk|task1", Keys.member(id, "task1"));
    }

    @Test
    void shardIsStableAndInRange() {
        List<JobId> ids = new ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder value = new StringBuilder();
            for (int c = 0; c < 20; c++) {
                value.append(Character.forDigit(random.nextInt(36), 36));
            }
            ids.add(new JobId(value.toString()));
        }
        boolean sawNegativeHash = false;
        for (JobId id : ids) {
            sawNegativeHash |= id.value().hashCode() < 0;
            for (int shards : new int[] {1, 2, 7, 16, 1024}) {
                int shard = id.shard(shards);
                assertTrue(shard >= 0 && shard < shards, id + " -> " + shard + " of " + shards);
                assertEquals(shard, id.shard(shards), "same id, same shard");
                assertEquals(shard, new JobId(id.value()).shard(shards), "an equal id gives the same shard");
            }
            assertEquals(0, id.shard(1));
        }
        assertTrue(sawNegativeHash, "the sample must include ids whose hashCode is negative");
    }

    @Test
    void shardsAreAllUsed() {
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            used.add(JobId.random().shard(16));
        }
        assertEquals(16, used.size());
    }

    @Test
    void oneShardMeansOneTag() {
        Keys single = new Keys("pw", 1);
        for (int i = 0; i < 50; i++) {
            assertEquals("s0", hashTag(single.job(JobId.random())));
        }
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "a b", "pw:x", "p{w}", "a/b", "ünï", "x\n", "12345678901234567890123456789012345678901"})
    void badNamespaceIsRefused(String namespace) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Keys(namespace, 4));
        assertTrue(e.getMessage().contains("namespace"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pw", "PW_test-1.a", "x", "1234567890123456789012345678901234567890"})
    void goodNamespaceIsAccepted(String namespace) {
        assertEquals(namespace, new Keys(namespace, 4).namespace());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 1025, Integer.MAX_VALUE})
    void badShardCountIsRefused(int shards) {
        assertThrows(IllegalArgumentException.class, () -> new Keys("pw", shards));
    }

    @Test
    void namespacesDoNotCollide() {
        JobId id = JobId.random();
        assertFalse(new Keys("a", 4).job(id).equals(new Keys("b", 4).job(id)));
    }

    @Test
    void queuedSetIsDerivableFromAnyShardKeyBySwappingTheLastPart() {
        // the Lua scripts build it from the shard prefix of the job key or a 6-letter shard key
        assertEquals("pw:{s3}:queued:gpu", keys.queued(3, "gpu"));
        assertEquals(keys.shardPrefix(3) + "queued:gpu", keys.timers(3).substring(0, keys.timers(3).length() - "timers".length()) + "queued:gpu");
        assertEquals("pw:pools:paused", keys.pausedPools());
    }

    @Test
    void thePoolOfAQueueOrRoutingKeyDropsThePrioritySuffix() {
        assertEquals("gpu", keys.poolOfQueue("pw.pool.gpu:high"));
        assertEquals("gpu.big", keys.poolOfQueue("pw.pool.gpu.big"));
        assertEquals("a-b", keys.poolOfQueue(keys.poolQueue(dev.pipewright.protocol.pipeline.Priority.LOW.routingKey("a-b"))));
        assertEquals(null, keys.poolOfQueue("pw.dlq"));
        assertEquals(null, keys.poolOfQueue("other.pool.gpu"));
        assertEquals(null, keys.poolOfQueue(null));
        assertEquals("default", dev.pipewright.protocol.pipeline.Priority.poolOf("default:low"));
        assertEquals("default", dev.pipewright.protocol.pipeline.Priority.poolOf("default"));
    }
}
