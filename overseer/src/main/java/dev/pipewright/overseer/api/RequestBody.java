package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.job.Infra;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the fields of a JSON request body, collecting every problem (unknown field, wrong type,
 * bad value) with its path, so that one 400 lists them all; {@link #check} throws it.
 */
public final class RequestBody {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final int MAX_TEXT = 200;

    private final JsonNode body;
    private final String prefix;
    private final List<Problem> problems;

    public RequestBody(JsonNode body, Set<String> allowed) {
        this(body, "", allowed, new ArrayList<>());
    }

    private RequestBody(JsonNode body, String prefix, Set<String> allowed, List<Problem> problems) {
        this.body = body;
        this.prefix = prefix;
        this.problems = problems;
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                problems.add(new Problem(prefix + f, "unknown field; expected one of " + new TreeSet<>(allowed)));
            }
        }
    }

    public List<Problem> problems() {
        return problems;
    }

    public void problem(String field, String message) {
        problems.add(new Problem(prefix + field, message));
    }

    /** Throws a 400 {@code invalid_request} listing every problem, if there is any. */
    public void check(String what) {
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", what + " has " + problems.size() + " problem(s): "
                    + problems.stream().map(p -> p.path() + ": " + p.message()).reduce((a, b) -> a + "; " + b).orElse(""), problems);
        }
    }

    private JsonNode present(String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }

    /** A text field of 1..{@link #MAX_TEXT} characters, or null when absent (a problem when required). */
    public String text(String field, boolean required) {
        JsonNode v = present(field);
        if (v == null) {
            if (required) {
                problem(field, "missing: required text");
            }
            return null;
        }
        if (!v.isTextual()) {
            problem(field, "expected text, got " + kind(v));
            return null;
        }
        String s = v.asText();
        if (s.isBlank() || s.length() > MAX_TEXT) {
            problem(field, "expected 1 to " + MAX_TEXT + " characters, got " + s.length());
            return null;
        }
        return s;
    }

    /** One of the given lower-case words; absent gives the fallback. */
    public String oneOf(String field, List<String> values, String fallback) {
        JsonNode v = present(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isTextual() || !values.contains(v.asText())) {
            problem(field, "expected one of " + values + ", got " + (v.isTextual() ? "'" + v.asText() + "'" : kind(v)));
            return fallback;
        }
        return v.asText();
    }

    /** Like {@link #oneOf}, matching in any case (as the listings' filters do) and answering the value as listed. */
    public String oneOfAnyCase(String field, List<String> values, String fallback) {
        JsonNode v = present(field);
        if (v == null) {
            return fallback;
        }
        String match = v.isTextual() ? values.stream().filter(a -> a.equalsIgnoreCase(v.asText().trim())).findFirst().orElse(null) : null;
        if (match == null) {
            problem(field, "expected one of " + values + " (any case), got " + (v.isTextual() ? "'" + v.asText() + "'" : kind(v)));
            return fallback;
        }
        return match;
    }

    public Boolean bool(String field) {
        JsonNode v = present(field);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            problem(field, "expected true or false, got " + kind(v));
            return null;
        }
        return v.asBoolean();
    }

    /** A JSON object as a map of plain values (empty when absent). */
    public Map<String, Object> object(String field) {
        JsonNode v = present(field);
        Map<String, Object> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!v.isObject()) {
            problem(field, "expected an object, got " + kind(v));
            return out;
        }
        v.fields().forEachRemaining(e -> out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        return out;
    }

    /** An object of text values (tags): keys and values 1..{@link #MAX_TEXT} characters, empty values allowed. */
    public Map<String, String> textMap(String field) {
        JsonNode v = present(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!v.isObject()) {
            problem(field, "expected an object of text values, got " + kind(v));
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().isEmpty() || e.getKey().length() > MAX_TEXT) {
                problem(field, "tag names must have 1 to " + MAX_TEXT + " characters");
            } else if (e.getKey().indexOf(':') >= 0 || e.getKey().indexOf('=') >= 0) {
                problem(field, "the tag name '" + e.getKey() + "' cannot hold ':' or '=' (the tag filter splits NAME:VALUE at them)");
            } else if (!e.getValue().isTextual() && !e.getValue().isNumber() && !e.getValue().isBoolean()) {
                problem(field + "." + e.getKey(), "expected text, got " + kind(e.getValue()));
            } else if (e.getValue().asText().length() > MAX_TEXT) {
                problem(field + "." + e.getKey(), "expected at most " + MAX_TEXT + " characters");
            } else {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return out;
    }

    /** A nested object read with its own allowed fields (null when absent). */
    public RequestBody nested(String field, Set<String> allowed) {
        JsonNode v = present(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            problem(field, "expected an object, got " + kind(v));
            return null;
        }
        return new RequestBody(v, prefix + field + ".", allowed, problems);
    }

    /** {@code infra: {cpu, memory, storage}} of a job's config, validated; null when absent or bad. */
    public Infra infra(String field) {
        RequestBody infra = nested(field, Set.copyOf(Infra.FIELDS));
        if (infra == null) {
            return null;
        }
        int before = problems.size();
        java.math.BigDecimal cpu = null;
        JsonNode c = infra.present("cpu");
        if (c != null) {
            if (!c.isNumber() || c.decimalValue().signum() <= 0) {
                infra.problem("cpu", "expected a number above 0 (cores), got " + (c.isNumber() ? c.asText() : kind(c)));
            } else {
                cpu = c.decimalValue();
            }
        }
        String memory = infra.quantity("memory");
        String storage = infra.quantity("storage");
        return problems.size() > before ? null : new Infra(cpu, memory, storage);
    }

    private String quantity(String field) {
        JsonNode v = present(field);
        if (v == null) {
            return null;
        }
        if (v.isNumber()) {
            // seed 002's shape ({"memory": 2, "storage": 120}): a bare number means GiB
            if (v.decimalValue().signum() <= 0) {
                problem(field, "expected a number of GiB above 0 or a quantity such as \"512Mi\", got " + v.asText());
                return null;
            }
            String q = Infra.gib(v.decimalValue());
            try {
                Infra.bytes(q);
                return q;
            } catch (IllegalArgumentException e) {
                problem(field, e.getMessage());
                return null;
            }
        }
        if (!v.isTextual()) {
            problem(field, "expected a number of GiB or a quantity such as \"512Mi\" or \"2Gi\", got " + kind(v));
            return null;
        }
        try {
            Infra.bytes(v.asText());
            return v.asText();
        } catch (IllegalArgumentException e) {
            problem(field, e.getMessage());
            return null;
        }
    }

    /**
     * {@code nodes: {<process node>: {<config key>: value}}} of a job's config: per node, the override
     * merged into its config for this run (a {@code null} value removes a key). Empty when absent.
     */
    public Map<String, Map<String, Object>> nodeConfigs(String field) {
        JsonNode v = present(field);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!v.isObject()) {
            problem(field, "expected an object of process node names to config overrides, got " + kind(v));
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isObject()) {
                problem(field + "." + e.getKey(), "expected an object of config keys and values, got " + kind(e.getValue()));
                continue;
            }
            Map<String, Object> override = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(c -> override.put(c.getKey(), JSON.convertValue(c.getValue(), Object.class)));
            out.put(e.getKey(), override);
        }
        return out;
    }

    static String kind(JsonNode v) {
        if (v.isTextual()) return "text";
        if (v.isNumber()) return "the number " + v.asText();
        if (v.isBoolean()) return "a boolean";
        if (v.isArray()) return "a list";
        if (v.isObject()) return "an object";
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
