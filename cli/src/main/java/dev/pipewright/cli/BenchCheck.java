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
        return verify(job, job.path("tasks"), pipeline);
    }

    /** The same, for a job summary and its task rows read apart (pages of {@code GET /jobs/{id}/tasks}). */
    static List<String> verify(JsonNode summary, Iterable<JsonNode> taskRows, Pipeline pipeline) {
        List<String> issues = new ArrayList<>();
        String status = summary.path("status").asText("?");
        if (!status.equals("SUCCESS")) {
            issues.add("job " + status);
        }
        Map<String, JsonNode> tasks = new HashMap<>();
        int repeated = 0;
        for (JsonNode t : taskRows) {
            if (tasks.put(t.path("node").asText(), t) != null) {
                repeated++;
            }
        }
        if (repeated > 0) {
            issues.add(repeated + " tasks listed more than once");
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

    /** Data nodes of {@code terminal} that are not in {@code present}: null when none, else what is missing. */
    static String missingConsumables(Set<String> present, List<String> terminal) {
        int missing = 0;
        String example = null;
        for (String node : terminal) {
            if (!present.contains(node)) {
                missing++;
                if (example == null) {
                    example = node;
                }
            }
        }
        return missing == 0 ? null : missing + " of " + terminal.size() + " terminal consumables missing (e.g. " + example + ")";
    }

    /**
     * What is wrong with the ended summaries of a many-job shape: jobs not SUCCESS, or without all
     * {@code tasksPerJob} tasks succeeded, or without their times. Empty when all is well.
     */
    static List<String> verifyJobs(List<JsonNode> summaries, int tasksPerJob) {
        List<String> issues = new ArrayList<>();
        int notSuccess = 0;
        int incomplete = 0;
        int noTimes = 0;
        String firstNotSuccess = null;
        String firstIncomplete = null;
        for (JsonNode j : summaries) {
            String id = j.path("id").asText("?");
            String status = j.path("status").asText("?");
            if (!status.equals("SUCCESS")) {
                notSuccess++;
                if (firstNotSuccess == null) {
                    firstNotSuccess = id + " " + status;
                }
            }
            JsonNode counts = j.path("counts");
            if (counts.path("total").asInt(-1) != tasksPerJob || counts.path("succeeded").asInt(-1) != tasksPerJob) {
                incomplete++;
                if (firstIncomplete == null) {
                    firstIncomplete = id + " " + counts.path("succeeded").asText("?") + "/" + counts.path("total").asText("?");
                }
            }
            if (micros(j.get("created_us")) == null || micros(j.get("finished_us")) == null) {
                noTimes++;
            }
        }
        if (notSuccess > 0) {
            issues.add(notSuccess + " of " + summaries.size() + " jobs not SUCCESS (e.g. " + firstNotSuccess + ")");
        }
        if (incomplete > 0) {
            issues.add(incomplete + " jobs without " + tasksPerJob + "/" + tasksPerJob + " tasks succeeded (e.g. " + firstIncomplete + ")");
        }
        if (noTimes > 0) {
            issues.add(noTimes + " jobs without created_us/finished_us");
        }
        return issues;
    }

    /**
     * Wall time in seconds by the jobs' own times (Redis's clock): from the first job's creation to
     * the last one's end; NaN when a job lacks them. One job: from its start to its end.
     */
    static double wallSeconds(List<JsonNode> summaries) {
        if (summaries.size() == 1) {
            JsonNode j = summaries.get(0);
            Long started = micros(j.get("started_us"));
            Long finished = micros(j.get("finished_us"));
            return started == null || finished == null ? Double.NaN : (finished - started) / 1e6;
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (JsonNode j : summaries) {
            Long created = micros(j.get("created_us"));
            Long finished = micros(j.get("finished_us"));
            if (created == null || finished == null) {
                return Double.NaN;
            }
            first = Math.min(first, created);
            last = Math.max(last, finished);
        }
        return summaries.isEmpty() ? Double.NaN : (last - first) / 1e6;
    }

    /** The ended_us of the chain's tasks in order, or null when one is missing. */
    static long[] endedUs(JsonNode job, List<String> chain) {
        return endedUs((Iterable<JsonNode>) job.path("tasks"), chain);
    }

    static long[] endedUs(Iterable<JsonNode> taskRows, List<String> chain) {
        Map<String, Long> ended = new HashMap<>();
        for (JsonNode t : taskRows) {
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
