package dev.pipewright.infra.config;

import dev.pipewright.infra.config.RabbitNodes.Node;
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

class RabbitNodesTest {
    @Test
    void oneNodeIsTheUriItself() {
        RabbitNodes n = RabbitNodes.parse("amqp://guest:guest@127.0.0.1:5672");
        assertEquals(URI.create("amqp://guest:guest@127.0.0.1:5672"), n.uri());
        assertEquals(List.of(new Node("127.0.0.1", 5672)), n.nodes());
    }

    @Test
    void aPortLeftOutIsTheSchemesDefault() {
        assertEquals(List.of(new Node("rabbit", 5672)), RabbitNodes.parse("amqp://rabbit").nodes());
        assertEquals(List.of(new Node("a", 5671), new Node("b", 5671)), RabbitNodes.parse("amqps://u:p@a,b/v").nodes());
    }

    @Test
    void oneUriMayListTheNodesOfACluster() {
        RabbitNodes n = RabbitNodes.parse("amqp://user:secret@h1:5672,h2:5673, h3:5674/prod?heartbeat=10");
        assertEquals(List.of(new Node("h1", 5672), new Node("h2", 5673), new Node("h3", 5674)), n.nodes());
        // the factory's URI: the first node, with the credentials, vhost and query the others share
        assertEquals(URI.create("amqp://user:secret@h1:5672/prod?heartbeat=10"), n.uri());
        assertEquals("amqp://user:***@h1:5672,h2:5673,h3:5674/prod?heartbeat=10", n.display());
    }

    @Test
    void commaSeparatedFullUrisAreTheSameCluster() {
        RabbitNodes n = RabbitNodes.parse("amqp://user:secret@h1:5672/prod,amqp://user:secret@h2/prod , amqp://user:secret@h3:5674/prod");
        assertEquals(List.of(new Node("h1", 5672), new Node("h2", 5672), new Node("h3", 5674)), n.nodes());
        assertEquals(URI.create("amqp://user:secret@h1:5672/prod"), n.uri());
    }

    @Test
    void aCommaInThePasswordDoesNotSplitTheHostList() {
        RabbitNodes n = RabbitNodes.parse("amqp://user:se,cr%40et@h1,h2");
        assertEquals(List.of(new Node("h1", 5672), new Node("h2", 5672)), n.nodes());
        assertEquals("user:se,cr%40et", n.uri().getRawUserInfo());
        assertFalse(n.display().contains("cr%40et"), n.display());
    }

    @Test
    void ipv6AddressesAreBracketed() {
        RabbitNodes n = RabbitNodes.parse("amqp://[::1]:5672,[fe80::2]");
        assertEquals(List.of(new Node("::1", 5672), new Node("fe80::2", 5672)), n.nodes());
        assertEquals("[::1]:5672", n.nodes().get(0).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|empty",
            "rabbit:5672|must start with amqp:// or amqps://",
            "http://h1:5672|must start with amqp:// or amqps://",
            "amqp://|names no host",
            "amqp://u:p@|names no host",
            "amqp://h1,,h2|host 2 of the list is empty",
            "amqp://h1,h2,|host 3 of the list is empty",
            "amqp://h1:70000|port '70000'",
            "amqp://h1:x|port 'x'",
            "amqp://h1:5672,h2:0|host 2 of the list 'h2:0' has port '0'",
            "amqp://h1,h1:5672|node h1:5672 is listed twice",
            "amqp://::1:5672|write an IPv6 address in [...]",
            "amqp://[::1:5672|no closing ']'",
            "amqp://h1/a/b|one path segment",
            "amqp://h 1|not a host name",
            "amqp://h1#frag|fragment",
            "amqp://u:p@h1/v,amqp://u:other@h2/v|URI 2 of the list has another user or password",
            "amqp://u:p@h1/v,amqp://u:p@h2/w|URI 2 of the list has another virtual host",
            "amqp://u:p@h1/v,amqps://u:p@h2/v|URI 2 of the list has another scheme",
            "amqp://h1,amqp://h2,h3|URI 2 of the list names several hosts",
            "amqp://h1,amqp://h2:99999|URI 2 of the list: the host 'h2:99999' has port '99999'",
    })
    void badValuesSayWhatIsWrong(String value, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RabbitNodes.parse(value));
        assertTrue(e.getMessage().contains(expected), "'" + value + "': " + e.getMessage());
    }

    @Test
    void theSettingNamesItselfAndHidesThePassword() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> CommonConfig.from(new Settings(Map.of("PW_RABBITMQ_URI", "amqp://u:hunter2@h1,,h2"))));
        assertTrue(e.getMessage().startsWith("PW_RABBITMQ_URI is not valid: host 2 of the list is empty"), e.getMessage());
        assertTrue(e.getMessage().contains("amqp://user:pass@host1:5672,host2:5672,host3:5672/vhost"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void theDefaultsAreOneLocalNodeAndThreeReplicas() {
        CommonConfig c = CommonConfig.from(new Settings(Map.of()));
        assertEquals(List.of(new Node("127.0.0.1", 5672)), c.rabbit().nodes());
        assertEquals(URI.create(CommonConfig.DEFAULT_RABBITMQ_URI), c.rabbitUri());
        assertEquals(3, c.quorumSize());
    }

    @Test
    void theQuorumSizeIsAWholeNumberFromOne() {
        assertEquals(5, CommonConfig.from(new Settings(Map.of("PW_QUORUM_SIZE", "5"))).quorumSize());
        ConfigException e = assertThrows(ConfigException.class, () -> CommonConfig.from(new Settings(Map.of("PW_QUORUM_SIZE", "0"))));
        assertTrue(e.getMessage().contains("PW_QUORUM_SIZE='0' is not valid: expected a whole number from 1 to 99"), e.getMessage());
    }

    @Test
    void aQuorumSizeWithClassicQueuesIsRefusedRatherThanIgnored() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> CommonConfig.from(new Settings(Map.of("PW_QUORUM_SIZE", "3", "PW_QUEUE_TYPE", "classic"))));
        assertTrue(e.getMessage().contains("PW_QUEUE_TYPE=classic"), e.getMessage());
        assertEquals(CommonConfig.QueueType.CLASSIC, CommonConfig.from(new Settings(Map.of("PW_QUEUE_TYPE", "classic"))).queueType());
    }
}
