package dev.pipewright.it;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Installation;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.redis.RedisLink;
import dev.pipewright.infra.redis.Scripts;
import dev.pipewright.infra.state.ShardLease;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.infra.testing.TestServices;
import dev.pipewright.it.support.NamespaceCleaner;
import dev.pipewright.overseer.shards.ShardConfig;
import dev.pipewright.overseer.shards.ShardLeases;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How overseers share the shards, round by round, against the real Redis: a lone overseer serves
 * all, a newcomer gets its share, three split them as evenly as they go, a stopped one's shards are
 * taken at once, a dead one's after its lease lapses, and with leases off nothing is taken over.
 */
class ShardLeasesIT {
    private static final int SHARDS = 8;

    private RedisClient client;
    private StatefulRedisConnection<String, String> strings;
    private StatefulRedisConnection<byte[], byte[]> bytes;
    private Keys keys;
    private StateGateway state;
    /** Which overseer serves each shard, as the Serving callbacks said: two at once would be a failure. */
    private final Map<Integer, String> serving = new ConcurrentHashMap<>();
    private final List<String> doubleServed = new ArrayList<>();

    @BeforeEach
    void open() {
        client = RedisClient.create(TestServices.redisUri().toString());
        strings = client.connect();
        bytes = client.connect(ByteArrayCodec.INSTANCE);
        keys = new Keys(TestServices.freshNamespace("leases"), SHARDS);
        new Scripts(RedisLink.of(bytes)).loadAll();
        state = new StateGateway(keys, RedisLink.of(bytes), Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        NamespaceCleaner.cleanRedis(strings.sync(), keys.namespace());
        strings.close();
        bytes.close();
        client.shutdown();
    }

    private ShardLeases overseer(String id, Map<String, String> settings) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("PW_SHARD_LEASE", "900ms"));
        env.putAll(settings);
        ShardConfig config = ShardConfig.from(new Settings(env), keys.shards());
        return new ShardLeases(keys, id, config, state, strings.async(), new ShardLeases.Serving() {
            @Override
            public void start(ShardLease lease) {
                String before = serving.putIfAbsent(lease.shard(), id);
                if (before != null) {
                    doubleServed.add("shard " + lease.shard() + " started by " + id + " while " + before + " served it");
                }
            }

            @Override
            public void stop(int shard) {
                serving.remove(shard, id);
            }
        });
    }

    private ShardLeases overseer(String id) {
        return overseer(id, Map.of());
    }

    private static void rounds(int n, ShardLeases... overseers) throws Exception {
        for (int i = 0; i < n; i++) {
            for (ShardLeases o : overseers) {
                o.balanceNow();
            }
        }
    }

    private Set<Integer> served(ShardLeases o) {
        return new TreeSet<>(o.shards());
    }

    @Test
    void overseersShareTheShardsAndTakeOverAStoppedOnesAtOnce() throws Exception {
        ShardLeases a = overseer("a");
        a.balanceNow();
        assertEquals(SHARDS, served(a).size(), "a lone overseer serves every shard");

        ShardLeases b = overseer("b");
        rounds(3, b, a);
        assertEquals(4, served(a).size(), "a=" + served(a) + " b=" + served(b));
        assertEquals(4, served(b).size());

        ShardLeases c = overseer("c");
        rounds(4, c, a, b);
        List<Integer> sizes = new ArrayList<>(List.of(served(a).size(), served(b).size(), served(c).size()));
        sizes.sort(null);
        assertEquals(List.of(2, 3, 3), sizes, "8 shards over 3 overseers: a=" + served(a) + " b=" + served(b) + " c=" + served(c));

        a.close();
        rounds(2, b, c);
        assertEquals(SHARDS, served(b).size() + served(c).size(), "a's shards are served again at once");
        assertEquals(4, served(b).size());
        assertEquals(SHARDS, serving.size());
        assertTrue(doubleServed.isEmpty(), doubleServed.toString());
        b.close();
        c.close();
    }

    @Test
    void fewerShardsThanTwiceTheOverseersStillReachEveryOverseerWithoutChurn() throws Exception {
        keys = new Keys(keys.namespace(), 4);
        ShardLeases a = overseer("a");
        ShardLeases b = overseer("b");
        rounds(3, a, b);
        ShardLeases c = overseer("c");
        rounds(4, c, a, b);
        List<Integer> sizes = new ArrayList<>(List.of(served(a).size(), served(b).size(), served(c).size()));
        sizes.sort(null);
        assertEquals(List.of(1, 1, 2), sizes, "4 shards over 3 overseers: a=" + served(a) + " b=" + served(b) + " c=" + served(c));
        Map<Integer, Long> tokens = new java.util.TreeMap<>();
        for (ShardLeases o : List.of(a, b, c)) {
            for (ShardLease l : o.held()) {
                tokens.put(l.shard(), l.token());
            }
        }
        rounds(5, a, b, c);
        for (ShardLeases o : List.of(a, b, c)) {
            for (ShardLease l : o.held()) {
                assertEquals(tokens.get(l.shard()), l.token(), "settled shares stay put: shard " + l.shard() + " changed hands");
            }
        }
        a.close();
        b.close();
        c.close();
    }

    @Test
    void twoLiveProcessesUnderOneIdAreToldApartAndTheYoungerServesNothing() throws Exception {
        ShardLeases first = overseer("same");
        first.balanceNow();
        ShardLeases second = overseer("same");
        rounds(3, second, first);
        assertEquals(SHARDS, served(first).size(), "the first process keeps its shards");
        assertTrue(served(second).isEmpty(), "the second serves nothing: " + served(second));
        assertTrue(first.healthy());
        assertFalse(second.healthy(), "and says so to readiness");
        Map<Integer, Long> tokens = new java.util.TreeMap<>();
        first.held().forEach(l -> tokens.put(l.shard(), l.token()));
        rounds(4, second, first);
        first.held().forEach(l -> assertEquals(tokens.get(l.shard()), l.token(), "no shard goes back and forth"));

        first.close();
        rounds(2, second);
        assertEquals(SHARDS, served(second).size(), "once the first is gone, the second serves");
        assertTrue(second.healthy());
        second.close();
    }

    @Test
    void aRestartUnderTheSameIdIsNotMistakenForASecondProcess() throws Exception {
        ShardLeases before = overseer("r");
        rounds(2, before);
        // SIGKILL: it neither gives up nor writes again
        ShardLeases after = overseer("r");
        rounds(2, after);
        assertEquals(SHARDS, served(after).size(), "the restarted process takes its shards back at once");
        assertTrue(after.healthy());
        after.close();
    }

    @Test
    void everyProcessMustAgreeOnTheShardCount() throws Exception {
        Installation.check(strings.async(), keys);
        Installation.checkBytes(bytes.async(), keys);
        ConfigException e = assertThrows(ConfigException.class,
                () -> Installation.check(strings.async(), new Keys(keys.namespace(), SHARDS * 2)));
        assertTrue(e.getMessage().contains("PW_SHARDS=16, but this installation (namespace '" + keys.namespace()
                + "') was set up with PW_SHARDS=8"), e.getMessage());
        assertThrows(ConfigException.class, () -> Installation.checkBytes(bytes.async(), new Keys(keys.namespace(), 4)));
    }

    @Test
    void aDeadOverseersShardsAreTakenOverOnceItsLeasesLapse() throws Exception {
        ShardLeases a = overseer("a");
        ShardLeases b = overseer("b");
        rounds(3, a, b);
        Set<Integer> ofA = served(a);
        assertEquals(4, ofA.size());
        // a dies: it neither renews nor gives up
        b.balanceNow();
        assertEquals(4, served(b).size(), "a's leases still hold");
        Thread.sleep(1000);
        rounds(2, b);
        assertEquals(SHARDS, served(b).size(), "b took over a's shards after their leases lapsed");
        for (int shard : ofA) {
            assertTrue(b.lease(shard).orElseThrow().token() > 1, "a new token for a taken-over shard");
        }
        assertTrue(doubleServed.stream().allMatch(s -> s.contains("while a served")), doubleServed.toString());
        b.close();
    }

    @Test
    void withLeasesOffEachServesItsListAndADeadOnesShardsWait() throws Exception {
        ShardLeases a = overseer("a", Map.of("PW_SHARD_LEASES", "off", "PW_SHARDS_SERVED", "0-3"));
        ShardLeases b = overseer("b", Map.of("PW_SHARD_LEASES", "off", "PW_SHARDS_SERVED", "4-7"));
        rounds(2, a, b);
        assertEquals(Set.of(0, 1, 2, 3), served(a));
        assertEquals(Set.of(4, 5, 6, 7), served(b));
        Thread.sleep(1000);
        rounds(2, b);
        assertEquals(Set.of(4, 5, 6, 7), served(b), "b never takes a's shards, even lapsed");
        a.close();
        b.close();
    }
}
