package dev.pipewright.protocol.branch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.pipeline.Problem;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule of the built-in {@code branch} processor, read from its node's {@code config}: which
 * value to look at and which output each value routes the single input to.
 * <pre>
 * config:
 *   on: "${size}"          # a job parameter ...
 *   # on: {json: /kind}    # ... or the value at a JSON pointer in the input
 *   cases: {large: big, small: small}   # value -> output
 *   default: other         # optional: the output for any other value
 * </pre>
 * Values are compared as text (a JSON number or boolean by its JSON text). Every output of a branch
 * is declared {@code optional: true}: the outputs not chosen are left unproduced, and the tasks
 * that need them are skipped.
 *
 * @param parameter the job parameter the rule reads, or null
 * @param literal   the value itself, when {@code on} was a placeholder already resolved (null otherwise)
 * @param pointer   the JSON pointer into the input the rule reads, or null
 * @param cases     value → output, in declared order
 * @param fallback  the output for a value no case names, or null (then such a value fails the task)
 */
public record BranchRule(String parameter, String literal, String pointer, Map<String, String> cases, String fallback) {
    /** The name pipelines give the processor. */
    public static final String PROCESSOR = "branch";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Set<String> FIELDS = Set.of("on", "cases", "default");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A rule that could not be read: its problems, located under {@code path} (the node's {@code config}). */
    public static final class Invalid extends Exception {
        private final List<Problem> problems;

        Invalid(List<Problem> problems) {
            super(String.join("; ", problems.stream().map(Problem::toString).toList()));
            this.problems = List.copyOf(problems);
        }

        public List<Problem> problems() {
            return problems;
        }
    }

    /** The value matched no case and the rule has no default. */
    public static final class NoRoute extends Exception {
        NoRoute(String message) {
            super(message);
        }
    }

    /**
     * Reads a rule, reporting every problem with its location under {@code path}; {@code outputs} are
     * the node's outputs (a case or the default naming another is a problem) and {@code parameters} the
     * pipeline's declared parameter names (null: not checked, as on a worker whose config may have been
     * resolved already).
     */
    /**
     * A node's config without a branch's {@code on} rule, which the worker resolves itself from the
     * job's parameters (an unset parameter matches no case and takes the default), so the submit
     * leaves it as written; any other node's config as it is.
     */
    public static Map<String, Object> withoutRule(dev.pipewright.protocol.pipeline.ProcessNode node) {
        if (!PROCESSOR.equals(node.processor()) || node.config() == null || !node.config().containsKey("on")) {
            return node.config();
        }
        Map<String, Object> rest = new LinkedHashMap<>(node.config());
        rest.remove("on");
        return rest;
    }

    /** {@code config} with a branch node's {@code on} rule put back as written (see {@link #withoutRule}). */
    public static Map<String, Object> withRule(dev.pipewright.protocol.pipeline.ProcessNode node, Map<String, Object> config) {
        if (!PROCESSOR.equals(node.processor()) || node.config() == null || !node.config().containsKey("on")) {
            return config;
        }
        Map<String, Object> whole = new LinkedHashMap<>();
        whole.put("on", node.config().get("on"));
        whole.putAll(config);
        return whole;
    }

    public static BranchRule parse(Map<String, Object> config, String path, Collection<String> outputs, Set<String> parameters)
            throws Invalid {
        List<Problem> problems = new ArrayList<>();
        Map<String, Object> c = config == null ? Map.of() : config;
        for (String key : c.keySet()) {
            if (!FIELDS.contains(key)) {
                problems.add(new Problem(path + "." + key, "unknown setting of the branch processor (it takes on, cases and default)"));
            }
        }
        String parameter = null;
        String literal = null;
        String pointer = null;
        Object on = c.get("on");
        if (on == null) {
            problems.add(new Problem(path + ".on", "missing: what to branch on, \"${parameter}\" or {json: /pointer}"));
        } else if (on instanceof String text) {
            Matcher m = PLACEHOLDER.matcher(text);
            if (m.matches()) {
                parameter = m.group(1);
                if (parameters != null && !parameters.contains(parameter)) {
                    problems.add(new Problem(path + ".on", "placeholder ${" + parameter + "} names no declared parameter"));
                }
            } else if (parameters != null) {
                problems.add(new Problem(path + ".on", "expected \"${parameter}\" or {json: /pointer}, got '" + text + "'"));
            } else {
                // a placeholder the overseer already resolved (per-run configuration)
                literal = text;
            }
        } else if (parameters == null && (on instanceof Number || on instanceof Boolean)) {
            // a number or boolean parameter the overseer already resolved, compared by its JSON text
            literal = on.toString();
        } else if (on instanceof Map<?, ?> m && m.size() == 1 && m.get("json") instanceof String p) {
            if (!p.isEmpty() && !p.startsWith("/")) {
                problems.add(new Problem(path + ".on.json", "a JSON pointer starts with '/' (or is empty for the whole input), got '" + p + "'"));
            }
            pointer = p;
        } else {
            problems.add(new Problem(path + ".on", "expected \"${parameter}\" or {json: /pointer}, got " + describe(on)));
        }
        Map<String, String> cases = new LinkedHashMap<>();
        Object rawCases = c.get("cases");
        if (rawCases == null) {
            problems.add(new Problem(path + ".cases", "missing: which output each value goes to, e.g. {large: big_path}"));
        } else if (!(rawCases instanceof Map<?, ?> m) || m.isEmpty()) {
            problems.add(new Problem(path + ".cases", "expected a mapping of value to output, got " + describe(rawCases)));
        } else {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String where = path + ".cases." + e.getKey();
                if (!(e.getValue() instanceof String out)) {
                    problems.add(new Problem(where, "expected the name of an output, got " + describe(e.getValue())));
                } else if (outputs != null && !outputs.contains(out)) {
                    problems.add(new Problem(where, "'" + out + "' is not an output of this node (outputs: " + String.join(", ", outputs) + ")"));
                } else {
                    cases.put(String.valueOf(e.getKey()), out);
                }
            }
        }
        String fallback = null;
        Object rawDefault = c.get("default");
        if (rawDefault != null) {
            if (!(rawDefault instanceof String out)) {
                problems.add(new Problem(path + ".default", "expected the name of an output, got " + describe(rawDefault)));
            } else if (outputs != null && !outputs.contains(out)) {
                problems.add(new Problem(path + ".default", "'" + out + "' is not an output of this node (outputs: " + String.join(", ", outputs) + ")"));
            } else {
                fallback = out;
            }
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new BranchRule(parameter, literal, pointer, cases, fallback);
    }

    /**
     * The output the input goes to, given the job's parameters and the input's bytes.
     *
     * @throws NoRoute when the value matches no case and there is no default
     */
    public String route(Map<String, Object> parameters, byte[] input) throws NoRoute {
        String value = valueOf(parameters, input);
        String out = value == null ? null : cases.get(value);
        if (out == null) {
            out = fallback;
        }
        if (out == null) {
            throw new NoRoute("branch: " + what() + " is " + (value == null ? "absent" : "'" + value + "'")
                    + ", which matches no case (" + String.join(", ", cases.keySet()) + ") and there is no default");
        }
        return out;
    }

    private String what() {
        return parameter != null ? "parameter '" + parameter + "'" : pointer != null ? "the input's '" + pointer + "'" : "the value";
    }

    /** The value the rule compares: a parameter's text, or the JSON text at the pointer (null when absent or not a scalar). */
    private String valueOf(Map<String, Object> parameters, byte[] input) throws NoRoute {
        if (literal != null) {
            return literal;
        }
        if (parameter != null) {
            Object v = parameters == null ? null : parameters.get(parameter);
            return v == null ? null : String.valueOf(v);
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(input == null ? new byte[0] : input);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new NoRoute("branch: the input is not JSON, so '" + pointer + "' cannot be read: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new NoRoute("branch: the input cannot be read as JSON: " + e.getMessage());
        }
        JsonNode v = doc == null ? null : doc.at(pointer);
        return v == null || !v.isValueNode() || v.isNull() ? null : v.asText();
    }

    private static String describe(Object v) {
        return v instanceof Map ? "a mapping" : v instanceof List ? "a list" : v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }
}
