package dev.pipewright.overseer.jobs;

import java.util.Map;

/**
 * The job's status, progress ({@code terminal/total}) and each task's state by node, in task
 * order: the {@code status} event of a log follower. The tasks are keyed by the pipeline's own
 * node names, so they stay a map.
 */
public record JobProgress(String status, String progress, boolean finished, Map<String, String> tasks) {
}
