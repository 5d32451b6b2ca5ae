package dev.pipewright.it.support;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Removes what a test cluster left under its namespace: every Redis key, the pools' queues and the exchanges. */
public final class NamespaceCleaner {
    private NamespaceCleaner() {
    }

    public static void cleanRedis(RedisClusterCommands<String, String> redis, String namespace) {
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(namespace + ":*").limit(1000));
            if (!page.getKeys().isEmpty()) {
                redis.del(page.getKeys().toArray(new String[0]));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    /** Deletes the pools' queues (all priorities), the dead-letter queue and the exchanges, then closes the connection. */
    public static void cleanRabbit(Connection connection, Keys keys, Collection<String> pools) throws Exception {
        List<String> queues = new ArrayList<>();
        pools.forEach(p -> queues.addAll(keys.poolQueues(p)));
        queues.add(keys.deadLetterQueue());
        for (String q : queues) {
            try (Channel ch = connection.createChannel()) {
                ch.queueDelete(q);
            } catch (Exception e) {
                // absent already
            }
        }
        for (String x : List.of(keys.taskExchange(), keys.deadLetterExchange(), keys.controlExchange())) {
            try (Channel ch = connection.createChannel()) {
                ch.exchangeDelete(x);
            } catch (Exception e) {
                // absent already
            }
        }
        connection.close(5000);
    }
}
