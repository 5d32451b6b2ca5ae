package dev.pipewright.infra.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.MicrometerCommandLatencyRecorder;
import io.lettuce.core.metrics.MicrometerOptions;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;

import java.net.URI;
import java.time.Duration;

/**
 * Lettuce client set up for state transitions: commands are rejected while disconnected (a
 * replayed script could double an effect) and the request queue is bounded.
 */
public final class RedisConnector implements AutoCloseable {
    private final RedisClient client;
    /** Given to the client, so not shut down by it: {@link #close()} does. */
    private final ClientResources resources;

    public RedisConnector(URI uri) {
        this(uri, null);
    }

    /** With a registry, command latencies are recorded as Lettuce's {@code lettuce.command.*} meters. */
    public RedisConnector(URI uri, MeterRegistry meters) {
        ClientResources.Builder builder = ClientResources.builder();
        if (meters != null) {
            builder.commandLatencyRecorder(new MicrometerCommandLatencyRecorder(meters, MicrometerOptions.create()));
        }
        this.resources = builder.build();
        this.client = RedisClient.create(resources, RedisURI.create(uri.toString()));
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(100_000)
                .autoReconnect(true)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(5)).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(30)))
                .build());
    }

    public StatefulRedisConnection<String, String> connectStrings() {
        return client.connect(StringCodec.UTF8);
    }

    public StatefulRedisConnection<byte[], byte[]> connectBytes() {
        return client.connect(ByteArrayCodec.INSTANCE);
    }

    @Override
    public void close() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }
}
