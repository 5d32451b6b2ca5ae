package dev.pipewright.protocol.cache;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the overseer pins into the task spec of a node with {@code cache:} so that the worker
 * computes the same {@link CacheKey} after a successful run and stores the entry: the processor's
 * version as announced when the job was submitted ({@code version}; for a module its pinned digest),
 * the digest of the job's parameters when the key includes them ({@code params}), how long the
 * entry is kept ({@code ttlSeconds}), for the listing the pipeline the node belongs to, and whether
 * the worker looks the result up before running ({@code lookup}: false when the job asked
 * {@code cache: false} or names the node in {@code refresh}).
 * A task spec without it (a node without {@code cache:}) costs nothing. A job submitted with
 * {@code cache: false} keeps it: its run still writes a fresh entry.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CacheSpec(String version, String params, long ttlSeconds, String pipeline, boolean lookup) {
    public CacheSpec(String version, String params, long ttlSeconds, String pipeline) {
        this(version, params, ttlSeconds, pipeline, true);
    }
}
