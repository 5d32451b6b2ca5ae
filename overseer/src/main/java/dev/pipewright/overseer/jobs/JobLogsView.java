package dev.pipewright.overseer.jobs;

import java.util.List;
import java.util.Map;

/** {@code GET /jobs/{id}/logs}: each task's lines by its node name (the pipeline's own names, so a map), in task order. */
public record JobLogsView(Map<String, List<LogLineView>> logs) {
}
