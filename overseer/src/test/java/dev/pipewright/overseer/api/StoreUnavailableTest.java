package dev.pipewright.overseer.api;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.PartitionSelectorException;
import io.lettuce.core.cluster.models.partitions.Partitions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which failures of a request are Redis being away (503, try again) rather than a fault of the overseer (500). */
class StoreUnavailableTest {
    @Test
    void aLostOrRejectedConnectionOrATimeoutIsUnavailability() {
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(new RedisException("Currently not connected. Commands are rejected."))));
        assertTrue(HttpApi.storeUnavailable(new RedisConnectionException("Connection refused")));
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(new RedisCommandTimeoutException("Command timed out"))));
        assertTrue(HttpApi.storeUnavailable(new java.util.concurrent.TimeoutException()));
        // a command in flight when a Redis master was killed
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(new java.net.SocketException("Connection reset"))));
    }

    @Test
    void aRedisClusterFailingOverIsUnavailability() {
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(new RedisCommandExecutionException("CLUSTERDOWN The cluster is down"))));
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(new RedisCommandExecutionException("TRYAGAIN Multiple keys request during rehashing of slot"))));
        assertTrue(HttpApi.storeUnavailable(new RedisCommandExecutionException("READONLY You can't write against a read only replica.")));
        assertTrue(HttpApi.storeUnavailable(new RedisCommandExecutionException("LOADING Redis is loading the dataset in memory")));
        assertTrue(HttpApi.storeUnavailable(new ExecutionException(
                new PartitionSelectorException("Cannot determine a partition for slot 15240.", new Partitions()))));
    }

    @Test
    void otherErrorsAreNot() {
        assertFalse(HttpApi.storeUnavailable(new ExecutionException(new RedisCommandExecutionException("ERR Error running script"))));
        assertFalse(HttpApi.storeUnavailable(new IllegalStateException("a bug")));
    }
}
