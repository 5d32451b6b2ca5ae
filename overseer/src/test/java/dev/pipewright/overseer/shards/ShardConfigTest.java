package dev.pipewright.overseer.shards;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardConfigTest {
    private static ShardConfig of(Map<String, String> env, int shards) {
        return ShardConfig.from(new Settings(env), shards);
    }

    @Test
    void byDefaultTheOverseersShareEveryShardWithLeasesOfTenSeconds() {
        ShardConfig c = of(Map.of(), 4);
        assertTrue(c.balanced());
        assertEquals(Duration.ofSeconds(10), c.lease());
        assertEquals(Set.of(0, 1, 2, 3), c.served());
        assertEquals(Duration.ofMillis(3333), c.renewEvery());
    }

    @Test
    void withLeasesOffAnOverseerServesTheShardsItLists() {
        ShardConfig c = of(Map.of("PW_SHARD_LEASES", "off", "PW_SHARDS_SERVED", "0, 2-4,7"), 8);
        assertFalse(c.balanced());
        assertEquals(Set.of(0, 2, 3, 4, 7), c.served());
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        assertTrue(assertThrows(ConfigException.class, () -> of(Map.of("PW_SHARD_LEASES", "maybe"), 4)).getMessage()
                .contains("PW_SHARD_LEASES must be 'on'"));
        assertTrue(assertThrows(ConfigException.class, () -> of(Map.of("PW_SHARD_LEASES", "off", "PW_SHARDS_SERVED", "2-9"), 4))
                .getMessage().contains("not within shards 0..3"));
        assertTrue(assertThrows(ConfigException.class, () -> of(Map.of("PW_SHARD_LEASES", "off", "PW_SHARDS_SERVED", "x"), 4))
                .getMessage().contains("neither a shard number nor a range"));
        assertTrue(assertThrows(ConfigException.class, () -> of(Map.of("PW_SHARDS_SERVED", "1"), 4))
                .getMessage().contains("is for PW_SHARD_LEASES=off"));
        assertTrue(assertThrows(ConfigException.class, () -> of(Map.of("PW_SHARD_LEASE", "100ms"), 4))
                .getMessage().contains("at least 300ms"));
    }
}
