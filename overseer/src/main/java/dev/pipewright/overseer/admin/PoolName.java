package dev.pipewright.overseer.admin;

import dev.pipewright.overseer.api.ApiException;
import dev.pipewright.protocol.parse.PipelineParser;

/** Pool names as the pipeline parser accepts them. */
final class PoolName {
    private PoolName() {
    }

    static String check(String pool) {
        if (pool == null || !PipelineParser.NAME.matcher(pool).matches()) {
            throw ApiException.badRequest("bad pool name '" + pool + "'", "pool");
        }
        return pool;
    }
}
