package dev.pipewright.infra.rabbit;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.MicrometerMetricsCollector;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;

/** RabbitMQ connections with automatic recovery (which restores consumers, not publishes in flight). */
public final class RabbitConnector {
    private final ConnectionFactory factory = new ConnectionFactory();

    public RabbitConnector(URI uri) {
        this(uri, null);
    }

    /** With a registry, the client's connections, channels and messages are counted ({@code rabbitmq.*}). */
    public RabbitConnector(URI uri, MeterRegistry meters) {
        if (meters != null) {
            factory.setMetricsCollector(new MicrometerMetricsCollector(meters, "rabbitmq"));
        }
        try {
            factory.setUri(uri);
        } catch (Exception e) {
            throw new IllegalArgumentException("bad RabbitMQ URI " + uri + ": " + e.getMessage(), e);
        }
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(1000);
        factory.setRequestedHeartbeat(15);
        factory.setConnectionTimeout(5000);
    }

    public Connection connect(String name) throws IOException, TimeoutException {
        return factory.newConnection(name);
    }

    public Connection connect(String name, ExecutorService consumerPool) throws IOException, TimeoutException {
        return factory.newConnection(consumerPool, name);
    }
}
