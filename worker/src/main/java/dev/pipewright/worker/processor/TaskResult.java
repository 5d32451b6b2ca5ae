package dev.pipewright.worker.processor;

import java.util.LinkedHashMap;
import java.util.Map;

/** The outputs of a successful attempt, by data node name. */
public record TaskResult(Map<String, byte[]> outputs) {
    public static TaskResult of(Map<String, byte[]> outputs) {
        return new TaskResult(new LinkedHashMap<>(outputs));
    }
}
