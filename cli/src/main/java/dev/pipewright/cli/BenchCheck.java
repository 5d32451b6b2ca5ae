package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks a finished benchmark job's view (with tasks) against its pipeline. */
final class BenchCheck {
    private BenchCheck() {
    }

    /**
     * What is wrong: job not SUCCESS, tasks missing, not SUCCESS, run more than once, without
     * times, or started before one of their parents ended. Empty when all is well.
     */
    static List<String> verify(JsonNode job, Pipeline pipeline) {
        List<String> issues = new ArrayList<>();
        String status = job.path("status").asText("?");
        if (!status.equals("SUCCESS")) {
            issues.add("job " + status);
        }
        Map<String, JsonNode> tasks = new HashMap<>();
        for (JsonNode t : job.path("tasks")) {
            tasks.put(t.path("node").asText(), t);
        }
        int expected = pipeline.processNodes().size();
        Set<String> missing = new LinkedHashSet<>(pipeline.processNodes().keySet());
        missing.removeAll(tasks.keySet());
        if (!missing.isEmpty()) {
            issues.add(missing.size() + " of " + expected + " tasks missing from the job (e.g. " + missing.iterator().next() + ")");
        }
        int notSuccess = 0;
        int retried = 0;
        int noTimes = 0;
        int early = 0;
        String firstNotSuccess = null;
        String firstRetried = null;
        String firstEarly = null;
        PipelineGraph graph = new PipelineGraph(pipeline);
        for (ProcessNode node : pipeline.processNodes().values()) {
            JsonNode t = tasks.get(node.name());
            if (t == null) {
                continue;
            }
            String ts = t.path("status").asText("?");
            if (!ts.equals("SUCCESS")) {
                notSuccess++;
                if (firstNotSuccess == null) {
                    firstNotSuccess = node.name() + " " + ts;
                }
            }
            int attempts = t.path("attempts").asInt(-1);
            if (attempts != 1) {
                retried++;
                if (firstRetried == null) {
                    firstRetried = node.name() + " attempts " + attempts;
                }
            }
            Long started = micros(t.get("started_us"));
            if (started == null || micros(t.get("ended_us")) == null) {
                noTimes++;
                continue;
            }
            for (String parent : graph.parentsOf(node.name())) {
                JsonNode pt = tasks.get(parent);
                Long parentEnded = pt == null ? null : micros(pt.get("ended_us"));
                if (parentEnded != null && started < parentEnded) {
                    early++;
                    if (firstEarly == null) {
                        firstEarly = node.name() + " started " + (parentEnded - started) + " us before " + parent + " ended";
                    }
                }
            }
        }
        if (notSuccess > 0) {
            issues.add(notSuccess + " tasks not SUCCESS (e.g. " + firstNotSuccess + ")");
        }
        if (retried > 0) {
            issues.add(retried + " tasks with attempts != 1 (e.g. " + firstRetried + ")");
        }
        if (noTimes > 0) {
            issues.add(noTimes + " tasks without started_us/ended_us");
        }
        if (early > 0) {
            issues.add(early + " task starts before a parent ended (e.g. " + firstEarly + ")");
        }
        return issues;
    }

    /** Data nodes some process node writes and none reads. */
    static List<String> terminalDataNodes(Pipeline pipeline) {
        return RunCommand.terminalOutputs(pipeline, new HashSet<>());
    }

    /** The ended_us of the chain's tasks in order, or null when one is missing. */
    static long[] endedUs(JsonNode job, List<String> chain) {
        Map<String, Long> ended = new HashMap<>();
        for (JsonNode t : job.path("tasks")) {
            Long e = micros(t.get("ended_us"));
            if (e != null) {
                ended.put(t.path("node").asText(), e);
            }
        }
        long[] out = new long[chain.size()];
        for (int i = 0; i < chain.size(); i++) {
            Long e = ended.get(chain.get(i));
            if (e == null) {
                return null;
            }
            out[i] = e;
        }
        return out;
    }

    private static Long micros(JsonNode n) {
        return n == null || !n.isNumber() ? null : n.asLong();
    }
}
