package dev.pipewright.it.cluster;

import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.OwnRedisCluster;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Redis Cluster harness works as a cluster client expects: three masters with a replica each,
 * keys spread over every master's slots, and a SIGKILLed master replaced by its replica with the
 * data it had replicated, which a client that refreshes its topology keeps reading and writing.
 */
class RedisClusterHarnessIT {
    private static final int KEYS = 300;

    @Test
    void keysSpreadOverTheMastersAndSurviveAMastersLoss() throws Exception {
        long t0 = System.nanoTime();
        try (OwnRedisCluster redis = OwnRedisCluster.start()) {
            long formed = System.nanoTime();
            assertEquals(3, redis.masterPorts().size(), "masters");
            assertEquals(3, redis.replicaPorts().size(), "replicas");
            RedisClusterClient client = RedisClusterClient.create(redis.seedUris().stream().map(RedisURI::create).toList());
            // adaptive refresh: a MOVED answer or a lost connection makes the client read the new topology at once; a
            // short command timeout, because a command already queued for the dead master waits in that node's
            // connection buffer until it times out (then the retry here goes to the promoted replica)
            client.setOptions(ClusterClientOptions.builder().topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                    .enableAllAdaptiveRefreshTriggers().enablePeriodicRefresh(Duration.ofSeconds(1)).build())
                    .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(3))).build());
            try (StatefulRedisClusterConnection<String, String> conn = client.connect()) {
                RedisAdvancedClusterCommands<String, String> cmd = conn.sync();
                for (int i = 0; i < KEYS; i++) {
                    cmd.set("k" + i, "v" + i);
                }
                Set<String> mastersHoldingKeys = new HashSet<>();
                for (RedisClusterNode node : conn.getPartitions()) {
                    if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && conn.getConnection(node.getNodeId()).sync().dbsize() > 0) {
                        mastersHoldingKeys.add(node.getNodeId());
                    }
                }
                assertEquals(3, mastersHoldingKeys.size(), "the keys are spread over every master's slots");

                int master = redis.masterPorts().get(0);
                int replica = redis.replicaOf(master);
                // the replica must have what its master acknowledged before the master dies (replication is asynchronous)
                long masterKeys = Long.parseLong(redis.cli(master, "dbsize").trim());
                Cluster.await("the replica on " + replica + " to hold its master's " + masterKeys + " keys", Duration.ofSeconds(30), () -> {
                    try {
                        return Long.parseLong(redis.cli(replica, "dbsize").trim()) == masterKeys;
                    } catch (Exception e) {
                        return false;
                    }
                });
                long killed = System.nanoTime();
                int promoted = redis.killMaster(master, Duration.ofSeconds(60));
                long failedOver = System.nanoTime();
                assertEquals(replica, promoted);
                assertTrue(redis.masterPorts().contains(replica), "the replica is a master now");

                for (int i = 0; i < KEYS; i++) {
                    assertEquals("v" + i, read(cmd, "k" + i), "key k" + i + " after the failover");
                }
                for (int i = 0; i < KEYS; i++) {
                    String key = "after" + i;
                    String value = "w" + i;
                    retrying(() -> cmd.set(key, value));
                }
                for (int i = 0; i < KEYS; i++) {
                    assertEquals("w" + i, cmd.get("after" + i));
                }
                System.out.printf("redis cluster: formed in %.1f s, failover in %.1f s, whole test %.1f s%n",
                        (formed - t0) / 1e9, (failedOver - killed) / 1e9, (System.nanoTime() - t0) / 1e9);
            } finally {
                client.shutdown();
            }
        }
    }

    /** A read that retries while the client still points at the dead master (until its topology refresh). */
    private static String read(RedisAdvancedClusterCommands<String, String> cmd, String key) {
        return retrying(() -> cmd.get(key));
    }

    private static <T> T retrying(java.util.function.Supplier<T> call) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Cluster.sleep(100);
            }
        }
    }
}
