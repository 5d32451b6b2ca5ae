package dev.pipewright.infra.rabbit;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.MicrometerMetricsCollector;
import dev.pipewright.infra.config.RabbitNodes;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;

/**
 * RabbitMQ connections with automatic recovery (which restores channels, consumers and the
 * topology they declared, not publishes in flight) to one node or to any node of a cluster.
 *
 * <p>With several nodes, each connection attempt, the first and every recovery, goes through the
 * client's address list, which shuffles it: the processes of an installation spread over the nodes,
 * and when a node is lost its connections recover on the others at random rather than all on the
 * first one listed. Any node serves any queue (a quorum queue's leader is reached through the node
 * a connection is on), so which node a process lands on does not matter for correctness.
 */
public final class RabbitConnector {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitConnector.class);
    private final ConnectionFactory factory = new ConnectionFactory();
    private final List<Address> addresses;

    public RabbitConnector(URI uri) {
        this(RabbitNodes.of(uri), null);
    }

    public RabbitConnector(URI uri, MeterRegistry meters) {
        this(RabbitNodes.of(uri), meters);
    }

    /** With a registry, the client's connections, channels and messages are counted ({@code rabbitmq.*}). */
    public RabbitConnector(RabbitNodes nodes, MeterRegistry meters) {
        if (meters != null) {
            factory.setMetricsCollector(new MicrometerMetricsCollector(meters, "rabbitmq"));
        }
        try {
            factory.setUri(nodes.uri());
            if (factory.getVirtualHost().isEmpty()) {
                // 'amqp://host/' names the empty vhost by the AMQP URI rules, which no broker has: users mean '/'
                factory.setVirtualHost("/");
            }
        } catch (Exception e) {
            throw new IllegalArgumentException("bad RabbitMQ URI " + nodes.display() + ": " + e.getMessage(), e);
        }
        addresses = nodes.nodes().stream().map(n -> new Address(n.host(), n.port())).toList();
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(1000);
        factory.setRequestedHeartbeat(15);
        factory.setConnectionTimeout(5000);
    }

    public Connection connect(String name) throws IOException, TimeoutException {
        return announced(factory.newConnection(addresses, name), name);
    }

    public Connection connect(String name, ExecutorService consumerPool) throws IOException, TimeoutException {
        return announced(factory.newConnection(consumerPool, addresses, name), name);
    }

    /** Logs the node a connection landed on, and the node of each recovery: with several nodes, which one is otherwise anyone's guess. */
    private static Connection announced(Connection connection, String name) {
        LOG.info("RabbitMQ connection {} is on {}:{}", name, connection.getAddress().getHostAddress(), connection.getPort());
        if (connection instanceof Recoverable recoverable) {
            recoverable.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable r) {
                    LOG.info("RabbitMQ connection {} recovered on {}:{}", name, connection.getAddress().getHostAddress(), connection.getPort());
                }

                @Override
                public void handleRecoveryStarted(Recoverable r) {
                    LOG.warn("RabbitMQ connection {} to {}:{} lost; recovering", name, connection.getAddress().getHostAddress(), connection.getPort());
                }
            });
        }
        return connection;
    }
}
