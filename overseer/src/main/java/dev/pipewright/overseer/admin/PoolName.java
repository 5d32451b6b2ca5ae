package dev.pipewright.overseer.admin;

import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.parse.PipelineParser;

/** Pool names as the pipeline parser accepts them. */
public final class PoolName {
    private PoolName() {
    }

    public static String check(String pool) {
        if (pool == null || !PipelineParser.NAME.matcher(pool).matches()) {
            throw Refusal.invalid("bad pool name '" + pool + "'", "pool");
        }
        return pool;
    }
}
