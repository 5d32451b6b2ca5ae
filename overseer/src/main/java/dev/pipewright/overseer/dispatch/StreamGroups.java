package dev.pipewright.overseer.dispatch;

import io.lettuce.core.RedisBusyException;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

/** Consumer-group set-up shared by the outbox relay and the event processor. */
public final class StreamGroups {
    private StreamGroups() {
    }

    /** Creates the group at the start of the stream (so entries written before it are read), if missing. */
    public static void ensure(RedisClusterCommands<String, String> redis, String stream, String group) {
        try {
            redis.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group, XGroupCreateArgs.Builder.mkstream(true));
        } catch (RedisBusyException e) {
            // exists already
        } catch (io.lettuce.core.RedisCommandExecutionException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }
}
