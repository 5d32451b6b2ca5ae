package dev.pipewright.overseer.jobs;

import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.pipeline.Parameter;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a job request must satisfy before anything is written, as problems (never thrown): its
 * parameters against the pipeline's declarations, its wanted outputs and given inputs against the
 * graph, the plan it yields, and the placeholders of the sources its outputs are written to. Pure:
 * no store is read here (reading sources from the data store is the submitter's).
 */
final class JobChecks {
    private JobChecks() {
    }

    /** The request's parameters (with defaults, normalised), its job inputs, and what is wrong with it. */
    record Checked(Map<String, Object> params, Map<String, byte[]> inputs, List<Problem> problems) {
    }

    static Checked request(Pipeline pipeline, PipelineGraph graph, SubmitRequest request) {
        List<Problem> problems = new ArrayList<>();
        Map<String, Object> params = parameters(pipeline, request.parameters(), problems);
        for (int i = 0; i < request.outputs().size(); i++) {
            String out = request.outputs().get(i);
            if (!pipeline.dataNodes().containsKey(out)) {
                problems.add(new Problem("outputs[" + i + "]", "unknown data node '" + out + "'"));
            }
        }
        Map<String, byte[]> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : request.inputs().entrySet()) {
            if (!pipeline.dataNodes().containsKey(e.getKey())) {
                problems.add(new Problem("inputs." + e.getKey(), "unknown data node '" + e.getKey() + "'"));
            } else if (graph.isProduced(e.getKey()) && !request.reuse().contains(graph.producerOf(e.getKey()))) {
                problems.add(new Problem("inputs." + e.getKey(), "data node '" + e.getKey() + "' is written by process node '"
                        + graph.producerOf(e.getKey()) + "'; only job inputs can be given"));
            } else {
                inputs.put(e.getKey(), e.getValue());
            }
        }
        return new Checked(params, inputs, problems);
    }

    /** What is wrong with the plan: inputs nothing provides, or nothing to run for the wanted outputs. */
    static List<Problem> plan(ExecutionPlan plan, List<String> wanted) {
        List<Problem> problems = new ArrayList<>();
        plan.missing().forEach((node, missing) -> {
            for (String in : missing) {
                problems.add(new Problem("processNodes." + node + ".input",
                        "process node '" + node + "' lacks input '" + in + "': no process node writes it, it has no source, and the request gave no value in inputs"));
            }
        });
        if (plan.run().isEmpty()) {
            problems.add(new Problem("outputs", "nothing to run: no process node writes the wanted outputs " + wanted));
        }
        return problems;
    }

    /**
     * Outputs with a source are written to the data store: their placeholders must resolve with the
     * job's parameters, the result must be a valid source ({@link DataPaths#problem}), and only a job
     * whose submitter may write the shared area may write there. Returns each output's location in
     * the store (in {@code owner}'s area, or shared).
     */
    static Map<String, String> outputSources(Pipeline pipeline, List<String> run, Map<String, Object> params, String owner,
                                             boolean mayWriteShared, List<Problem> problems) {
        return outputSources(pipeline, run, params, owner, mayWriteShared, List.of(), problems);
    }

    static Map<String, String> outputSources(Pipeline pipeline, List<String> run, Map<String, Object> params, String owner,
                                             boolean mayWriteShared, List<S3Uri> allowed,
                                             List<Problem> problems) {
        Map<String, String> locations = new LinkedHashMap<>();
        for (String node : run) {
            for (String out : pipeline.processNodes().get(node).output()) {
                String source = pipeline.dataNodes().get(out).source();
                if (source != null) {
                    String at = "dataNodes." + out + ".source";
                    DataPaths.Location location = locate(source, params, owner, at, allowed, problems);
                    if (location == null) {
                        continue;
                    }
                    if (location.shared() && !mayWriteShared) {
                        problems.add(new Problem(at, "'" + location.path() + "' is in the shared area, which only admins write; "
                                + "write to your own area (a source without the 'shared/' prefix)"));
                        continue;
                    }
                    locations.put(out, location.path());
                }
            }
        }
        return locations;
    }

    /** A source resolved with the job's parameters and placed in the store (null, with a problem, when it cannot be). */
    static DataPaths.Location locate(String source, Map<String, Object> params, String owner, String at, List<Problem> problems) {
        return locate(source, params, owner, at, List.of(), problems);
    }

    /** Like the above; a full {@code s3://} source must be in one of the {@code allowed} prefixes, in the owner's area there. */
    static DataPaths.Location locate(String source, Map<String, Object> params, String owner, String at,
                                     List<S3Uri> allowed, List<Problem> problems) {
        String path;
        try {
            path = Templates.resolve(source, params);
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(at, e.getMessage()));
            return null;
        }
        String problem = DataPaths.problem(path);
        if (problem != null) {
            problems.add(new Problem(at, problem + (path.equals(source) ? "" : " (from '" + source + "' with the job's parameters)")));
            return null;
        }
        try {
            return DataPaths.locate(owner, path, allowed);
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(at, e.getMessage() + (path.equals(source) ? "" : " (from '" + source + "' with the job's parameters)")));
            return null;
        }
    }

    static Map<String, Object> parameters(Pipeline pipeline, Map<String, Object> given, List<Problem> problems) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : given.entrySet()) {
            Parameter p = pipeline.parameters().get(e.getKey());
            if (p == null) {
                problems.add(new Problem("parameters." + e.getKey(), "unknown parameter; the pipeline declares "
                        + pipeline.parameters().keySet()));
            } else if (e.getValue() == null) {
                problems.add(new Problem("parameters." + e.getKey(), "expected a value of type "
                        + (p.type() == null ? "string" : p.type().wireName()) + ", got null (leave the field out to use the default)"));
            } else if (p.type() != null && !p.type().accepts(e.getValue())) {
                problems.add(new Problem("parameters." + e.getKey(), "expected a value of type " + p.type().wireName()
                        + ", got " + describe(e.getValue())));
            } else {
                params.put(e.getKey(), p.type() == null ? e.getValue() : p.type().normalize(e.getValue()));
            }
        }
        for (Parameter p : pipeline.parameters().values()) {
            if (!given.containsKey(p.name())) {
                if (p.defaultValue() != null) {
                    params.put(p.name(), p.defaultValue());
                } else if (p.required()) {
                    problems.add(new Problem("parameters." + p.name(), "missing: required parameter of type "
                            + (p.type() == null ? "string" : p.type().wireName())));
                }
            }
        }
        return params;
    }

    /**
     * Parameter values larger than {@code PW_MAX_PARAM_BYTES} each or {@code PW_MAX_PARAMS_BYTES}
     * together, measured as the UTF-8 JSON they are stored and sent as: refused before anything is
     * written, rather than stored whole in the job and handed to every attempt.
     */
    static List<Problem> parameterSizes(Map<String, Object> params, int maxOne, int maxAll) {
        List<Problem> problems = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, Object> e : params.entrySet()) {
            long size = jsonSize(e.getValue());
            total += size;
            if (size > maxOne) {
                problems.add(new Problem("parameters." + e.getKey(), "the value is " + size + " bytes as JSON; one parameter may be at most "
                        + maxOne + " (PW_MAX_PARAM_BYTES): pass data as a job input (inputs) or a data node's source instead"));
            }
        }
        if (total > maxAll) {
            problems.add(new Problem("parameters", "the parameters are " + total + " bytes as JSON together; a job's may be at most "
                    + maxAll + " (PW_MAX_PARAMS_BYTES)"));
        }
        return problems;
    }

    /** A job runs at most {@code max} tasks ({@code PW_MAX_JOB_TASKS}): one per process node its plan runs. */
    static List<Problem> taskCount(int tasks, int max) {
        if (tasks <= max) {
            return List.of();
        }
        return List.of(new Problem("outputs", "the job would run " + tasks + " tasks; a job may run at most " + max
                + " (PW_MAX_JOB_TASKS): ask for fewer outputs, or split the pipeline"));
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The value's size as JSON, counted without holding the text. */
    private static long jsonSize(Object value) {
        long[] n = {0};
        java.io.OutputStream counter = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                n[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                n[0] += len;
            }
        };
        try {
            JSON.writeValue(counter, value);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return n[0];
    }

    private static String describe(Object v) {
        if (v instanceof String s) return "text '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        if (v instanceof Number n && !Double.isFinite(n.doubleValue())) return "a number out of range (" + v + ")";
        if (v instanceof Number) return "the number " + v;
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Map) return "a mapping";
        if (v instanceof List) return "a list";
        return v.getClass().getSimpleName();
    }
}
