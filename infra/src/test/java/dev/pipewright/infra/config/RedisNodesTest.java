package dev.pipewright.infra.config;

import dev.pipewright.infra.config.RedisNodes.Mode;
import dev.pipewright.infra.config.RedisNodes.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisNodesTest {
    @Test
    void oneNodeIsASingleServerAsBefore() {
        RedisNodes n = RedisNodes.parse("redis://127.0.0.1:6379", Mode.AUTO);
        assertFalse(n.cluster());
        assertEquals(URI.create("redis://127.0.0.1:6379"), n.uri());
        assertEquals(List.of(new Node("127.0.0.1", 6379)), n.nodes());
        assertEquals("redis://127.0.0.1:6379", n.display());
    }

    @Test
    void aSingleServerKeepsItsDatabaseCredentialsAndQuery() {
        RedisNodes n = RedisNodes.parse("rediss://app:s3cret@cache.example:6380/2?timeout=10s", Mode.AUTO);
        assertFalse(n.cluster());
        assertEquals(URI.create("rediss://app:s3cret@cache.example:6380/2?timeout=10s"), n.uri());
        assertEquals("rediss://app:***@cache.example:6380/2?timeout=10s", n.display());
    }

    @Test
    void aPortLeftOutIs6379() {
        assertEquals(List.of(new Node("redis", 6379)), RedisNodes.parse("redis://redis", Mode.AUTO).nodes());
        assertEquals(URI.create("redis://redis:6379"), RedisNodes.parse("redis://redis", Mode.AUTO).uri());
    }

    @Test
    void severalNodesInOneUriAreTheSeedsOfACluster() {
        RedisNodes n = RedisNodes.parse("rediss://:secret@h1:7000,h2:7001, h3?timeout=5s", Mode.AUTO);
        assertTrue(n.cluster());
        assertEquals(List.of(new Node("h1", 7000), new Node("h2", 7001), new Node("h3", 6379)), n.nodes());
        // every seed carries the credentials, the scheme (TLS) and the query of the first
        assertEquals(List.of(URI.create("rediss://:secret@h1:7000?timeout=5s"), URI.create("rediss://:secret@h2:7001?timeout=5s"),
                URI.create("rediss://:secret@h3:6379?timeout=5s")), n.nodeUris());
        assertEquals("rediss://:***@h1:7000,h2:7001,h3:6379?timeout=5s (Redis Cluster)", n.display());
    }

    @Test
    void commaSeparatedFullUrisAreTheSeedsOfACluster() {
        RedisNodes n = RedisNodes.parse("redis://u:p@h1:7000, redis://u:p@h2:7001", Mode.AUTO);
        assertTrue(n.cluster());
        assertEquals(List.of(new Node("h1", 7000), new Node("h2", 7001)), n.nodes());
        assertEquals(URI.create("redis://u:p@h1:7000"), n.uri());
    }

    @Test
    void oneSeedIsAClusterWhenSaidSo() {
        RedisNodes n = RedisNodes.parse("redis://clustercfg.example:6379", Mode.ON);
        assertTrue(n.cluster());
        assertEquals(List.of(URI.create("redis://clustercfg.example:6379")), n.nodeUris());
    }

    @Test
    void severalNodesWithTheClusterSwitchedOffAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RedisNodes.parse("redis://h1:7000,h2:7001", Mode.OFF));
        assertTrue(e.getMessage().contains("PW_REDIS_CLUSTER=off"), e.getMessage());
    }

    @Test
    void aClusterHasOnlyDatabaseZero() {
        assertEquals(URI.create("redis://h1:7000/0"), RedisNodes.parse("redis://h1:7000,h2:7001/0", Mode.AUTO).uri());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RedisNodes.parse("redis://h1:7000,h2:7001/3", Mode.AUTO));
        assertTrue(e.getMessage().contains("only database 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RedisNodes.parse("redis://h1:7000/1", Mode.ON));
        assertFalse(RedisNodes.parse("redis://h1:7000/1", Mode.AUTO).cluster());
    }

    @Test
    void aCommaInThePasswordDoesNotSplitTheHostList() {
        RedisNodes n = RedisNodes.parse("redis://:se,cr%40et@h1,h2", Mode.AUTO);
        assertEquals(List.of(new Node("h1", 6379), new Node("h2", 6379)), n.nodes());
        assertEquals(":se,cr%40et", n.uri().getRawUserInfo());
        assertEquals(":se,cr%40et", n.nodeUris().get(1).getRawUserInfo());
        assertFalse(n.display().contains("cr%40et"), n.display());
    }

    @Test
    void ipv6AddressesAreBracketed() {
        RedisNodes n = RedisNodes.parse("redis://[::1]:7000,[fe80::2]", Mode.AUTO);
        assertEquals(List.of(new Node("::1", 7000), new Node("fe80::2", 6379)), n.nodes());
        assertEquals(URI.create("redis://[fe80::2]:6379"), n.nodeUris().get(1));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|it is empty",
            "http://h1|must start with redis://",
            "redis://|names no host",
            "redis://h1,,h2|host 2 of the list is empty",
            "redis://h1,|host 2 of the list is empty",
            "redis://h1:0|expected 1 to 65535",
            "redis://h1:x,h2|has port 'x'",
            "redis://h1,h1:6379|listed twice",
            "redis://h1/abc|not a database number",
            "redis://h1#x|fragment",
            "redis://u:p@h1,redis://u:q@h2|another user or password",
            "redis://h1,rediss://h2|another scheme",
            "redis://h1?a=1,redis://h2?a=2|another query parameters",
            "redis://h1,h2,redis://h3|names several hosts",
            "redis://fe80::1|several ':'"})
    void badValuesSayWhatIsWrong(String value, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisNodes.parse(value, Mode.AUTO));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should contain '" + expected + "'");
    }

    @Test
    void theClusterSwitchTakesAutoOnAndOff() {
        assertEquals(Mode.AUTO, Mode.parse(" Auto "));
        assertEquals(Mode.ON, Mode.parse("on"));
        assertEquals(Mode.ON, Mode.parse("true"));
        assertEquals(Mode.OFF, Mode.parse("off"));
        assertEquals(Mode.OFF, Mode.parse("FALSE"));
        assertThrows(IllegalArgumentException.class, () -> Mode.parse("yes"));
    }

    @Test
    void theConfigurationReadsBothSettings() {
        CommonConfig single = CommonConfig.from(new Settings(Map.of()));
        assertFalse(single.redis().cluster());
        assertEquals(URI.create(CommonConfig.DEFAULT_REDIS_URI), single.redisUri());

        CommonConfig cluster = CommonConfig.from(new Settings(Map.of("PW_REDIS_URI", "redis://a:7000,b:7001")));
        assertTrue(cluster.redis().cluster());
        assertEquals(2, cluster.redis().nodes().size());

        assertTrue(CommonConfig.from(new Settings(Map.of("PW_REDIS_URI", "redis://a:7000", "PW_REDIS_CLUSTER", "on"))).redis().cluster());

        ConfigException bad = assertThrows(ConfigException.class,
                () -> CommonConfig.from(new Settings(Map.of("PW_REDIS_URI", "redis://a:7000,b:7001", "PW_REDIS_CLUSTER", "off"))));
        assertTrue(bad.getMessage().startsWith("PW_REDIS_URI is not valid:"), bad.getMessage());
        ConfigException badSwitch = assertThrows(ConfigException.class,
                () -> CommonConfig.from(new Settings(Map.of("PW_REDIS_CLUSTER", "maybe"))));
        assertTrue(badSwitch.getMessage().startsWith("PW_REDIS_CLUSTER='maybe' is not valid"), badSwitch.getMessage());
    }
}
