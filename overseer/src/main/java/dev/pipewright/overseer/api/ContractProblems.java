package dev.pipewright.overseer.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what the contract's validator found into the API's problems: one per wrong value, at its
 * location ({@code config.infra.cpu}, {@code outputs[1]}, a parameter's name), worded from the
 * schema that refused it ("expected a whole number from 1 to 500, got 0", "unknown field; expected
 * one of [...]"), naming the value that was sent.
 */
final class ContractProblems {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAMETER = Pattern.compile("(?:query|path|header|cookie) parameter (\\S+)");
    private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");
    /** Keywords that only say "something inside failed"; the inner failure is listed instead. */
    private static final Set<String> WRAPPERS = Set.of("properties", "items", "prefixItems", "$ref", "allOf", "anyOf", "oneOf",
            "dependentSchemas", "if", "then", "else", "contains", "propertyNames");

    private final Operation operation;
    private final JsonObject document;
    private final String body;
    private final Map<String, List<String>> query;

    /**
     * @param body  the request body as text (null when none), to name the values that were wrong
     * @param query the request's parameters by name, and its headers under {@link #headerKey}
     */
    ContractProblems(Operation operation, JsonObject document, String body, Map<String, List<String>> query) {
        this.operation = operation;
        this.document = document;
        this.body = body;
        this.query = query;
    }

    /** The refusal for a validation failure: 400, every problem listed. */
    ApiException refusal(ValidatorException e) {
        List<Problem> problems = problems(e);
        boolean fields = problems.stream().anyMatch(p -> !p.path().equals("$") && parameter(p.path()) == null);
        String summary = problems.stream().map(p -> p.path() + ": " + p.message()).reduce((a, b) -> a + "; " + b).orElse("invalid");
        return ApiException.badRequest(fields ? "invalid_request" : "bad_request",
                (fields ? "the request has " + problems.size() + " problem(s): " : "") + summary, problems);
    }

    List<Problem> problems(ValidatorException e) {
        String message = e.getMessage() == null ? "invalid" : e.getMessage();
        Matcher m = PARAMETER.matcher(message);
        Parameter param = m.find() ? parameter(m.group(1)) : null;
        if (param == null && (message.contains("body can't be decoded") || message.contains("not syntactically"))) {
            return List.of(new Problem("$", "the body is not valid JSON: " + jsonError()));
        }
        if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
            JsonObject root = param != null ? param.getOpenAPIModel().getJsonObject("schema") : bodySchema();
            Object value = param != null ? paramValue(param) : bodyValue();
            List<Leaf> leaves = new ArrayList<>();
            collect(schema.getOutputUnit(), root, value, param, leaves);
            Set<Problem> out = new LinkedHashSet<>();
            for (Leaf leaf : leaves) {
                if (leaf.generic() && leaves.stream().anyMatch(o -> !o.generic() && o.within(leaf.path()))) {
                    continue;
                }
                out.add(new Problem(leaf.path().isEmpty() ? "$" : leaf.path(), leaf.message()));
            }
            if (!out.isEmpty()) {
                return new ArrayList<>(out);
            }
        }
        if (param != null) {
            return List.of(new Problem(param.getName(), message.contains("required") ? "missing: this parameter is required" : message));
        }
        return List.of(new Problem("$", message));
    }

    private record Leaf(String path, String message, boolean generic) {
        boolean within(String outer) {
            return path.equals(outer) || outer.isEmpty() || path.startsWith(outer + ".") || path.startsWith(outer + "[");
        }
    }

    private void collect(OutputUnit unit, JsonObject root, Object value, Parameter param, List<Leaf> out) {
        if (unit.getErrors() != null && !unit.getErrors().isEmpty()) {
            for (OutputUnit inner : unit.getErrors()) {
                collect(inner, root, value, param, out);
            }
            return;
        }
        if (unit.getError() == null) {
            return;
        }
        String instance = fragment(unit.getInstanceLocation());
        String path = param != null ? param.getName() : path(instance);
        String keywordPointer = fragment(unit.getAbsoluteKeywordLocation() != null ? unit.getAbsoluteKeywordLocation() : unit.getKeywordLocation());
        int slash = keywordPointer.lastIndexOf('/');
        String keyword = slash < 0 ? keywordPointer : keywordPointer.substring(slash + 1);
        JsonObject owner = slash < 0 ? null : resolve(keywordPointer.substring(0, slash), root);
        Object v = param != null ? value : at(value, instance);
        if (WRAPPERS.contains(keyword)) {
            out.add(new Leaf(path, unit.getError(), true));
            return;
        }
        if (keywordPointer.contains("/propertyNames/") && owner != null) {
            // the instance is the offending name: report it on the object that holds it
            int cut = instance.lastIndexOf('/');
            String name = instance.substring(cut + 1).replace("~1", "/").replace("~0", "~");
            out.add(new Leaf(path(instance.substring(0, Math.max(cut, 0))), "the name " + kind(name) + ": expected " + expectation(owner), false));
            return;
        }
        switch (keyword) {
            case "required" -> {
                Matcher r = REQUIRED.matcher(unit.getError());
                out.add(new Leaf(r.find() ? join(path, r.group(1)) : path, "missing: this field is required", false));
            }
            case "additionalProperties", "unevaluatedProperties" -> {
                String field = instance.substring(instance.lastIndexOf('/') + 1);
                JsonObject props = owner == null ? null : owner.getJsonObject("properties");
                boolean closed = owner == null || Boolean.FALSE.equals(owner.getValue(keyword));
                if (!closed || props != null && props.containsKey(field)) {
                    out.add(new Leaf(path, unit.getError(), true)); // a declared field whose value failed: listed on its own
                } else {
                    out.add(new Leaf(path, "unknown field" + (props == null ? "" : "; expected one of " + new TreeSet<>(props.fieldNames())), false));
                }
            }
            case "type" -> {
                boolean nullBranch = owner != null && "null".equals(owner.getValue("type"));
                String expected = owner == null ? unit.getError() : expectation(owner);
                out.add(new Leaf(path, path.isEmpty() && !nullBranch ? "the body must be " + expected.replaceFirst("^an? ", "a JSON ")
                        + ", got " + kind(v) : "expected " + expected + ", got " + kind(v), nullBranch));
            }
            case "enum", "pattern" -> {
                String about = param == null ? null : param.getOpenAPIModel().getString("description");
                out.add(new Leaf(path, "expected " + (about != null ? about.strip().replaceAll("\\.$", "")
                        : owner != null ? expectation(owner) : unit.getError()) + ", got " + kind(v), false));
            }
            case "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                 "minItems", "maxItems", "format" ->
                    out.add(new Leaf(path, owner == null ? unit.getError() + ", got " + kind(v)
                            : "expected " + expectation(owner) + ", got " + kind(v), false));
            case "not" -> out.add(new Leaf(path, "expected a value, got " + kind(v) + " (leave the field out instead)", false));
            default -> out.add(new Leaf(path, unit.getError(), false));
        }
    }

    /** What a schema takes, in words: "a whole number from 1 to 500", "one of [low, medium, high]". */
    static String expectation(JsonObject schema) {
        if (schema.containsKey("enum")) {
            return "one of " + plainList(schema.getJsonArray("enum"));
        }
        if (schema.containsKey("const")) {
            return "" + schema.getValue("const");
        }
        String about = schema.getString("description");
        List<String> types = new ArrayList<>();
        Object type = schema.getValue("type");
        if (type instanceof String s) {
            types.add(s);
        } else if (type instanceof JsonArray a) {
            a.forEach(t -> types.add(String.valueOf(t)));
        }
        types.remove("null");
        List<String> words = new ArrayList<>();
        for (String t : types) {
            words.add(switch (t) {
                case "string" -> "text";
                case "integer" -> "a whole number";
                case "number" -> "a number";
                case "boolean" -> "true or false";
                case "object" -> "an object";
                case "array" -> "a list";
                default -> t;
            });
        }
        StringBuilder sb = new StringBuilder(words.isEmpty() ? "a value" : words.size() == 1 ? words.get(0)
                : String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1));
        Object min = schema.getValue("minimum");
        Object max = schema.getValue("maximum");
        Object above = schema.getValue("exclusiveMinimum");
        if (min != null && max != null) {
            sb.append(" from ").append(min).append(" to ").append(max);
        } else if (min != null) {
            sb.append(" of at least ").append(min);
        } else if (max != null) {
            sb.append(" of at most ").append(max);
        } else if (above != null) {
            sb.append(" above ").append(above);
        }
        Object minLength = schema.getValue("minLength");
        Object maxLength = schema.getValue("maxLength");
        if (maxLength != null) {
            sb.append(" of ").append(minLength == null ? 0 : minLength).append(" to ").append(maxLength).append(" characters");
        }
        if (about != null && (schema.containsKey("pattern") || words.isEmpty())) {
            sb.append(" (").append(about.strip().replaceAll("\\.$", "")).append(')');
        } else if (schema.containsKey("pattern") && about == null) {
            sb.append(" matching ").append(schema.getString("pattern"));
        }
        return sb.toString();
    }

    /** How a value is named back to the client. */
    static String kind(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return s.length() > 60 ? "text of " + s.length() + " characters" : "'" + s + "'";
        }
        if (v instanceof Number n) {
            return "the number " + n;
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof JsonArray || v instanceof List) {
            return "a list";
        }
        if (v instanceof JsonObject || v instanceof Map) {
            return "an object";
        }
        return String.valueOf(v);
    }

    private static String plainList(JsonArray values) {
        List<String> out = new ArrayList<>();
        values.forEach(v -> out.add(String.valueOf(v)));
        return out.toString();
    }

    private Parameter parameter(String name) {
        if (operation == null) {
            return null;
        }
        for (Parameter p : operation.getParameters()) {
            if (p.getName().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /** Where a request header's values are kept in the parameter map (header names ignore case). */
    static String headerKey(String name) {
        return "header:" + name.toLowerCase(java.util.Locale.ROOT);
    }

    private Object paramValue(Parameter p) {
        List<String> values = query.get(p.getIn() == io.vertx.openapi.contract.Location.HEADER ? headerKey(p.getName()) : p.getName());
        if (values == null || values.isEmpty()) {
            return null;
        }
        return values.size() == 1 ? values.get(0) : String.join("&", values);
    }

    private JsonObject bodySchema() {
        if (operation == null || operation.getRequestBody() == null) {
            return null;
        }
        JsonObject content = operation.getRequestBody().getOpenAPIModel().getJsonObject("content");
        JsonObject json = content == null ? null : content.getJsonObject("application/json");
        return json == null ? null : json.getJsonObject("schema");
    }

    private Object bodyValue() {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return io.vertx.core.json.Json.decodeValue(body);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private String jsonError() {
        try {
            JSON.readTree(body == null ? "" : body);
            return "unreadable";
        } catch (JsonProcessingException e) {
            return e.getOriginalMessage();
        }
    }

    /** The schema at a pointer: into the document for {@code /components/...}, else into {@code root}. */
    private JsonObject resolve(String pointer, JsonObject root) {
        Object at = pointer.startsWith("/components/") ? document : root;
        for (String part : pointer.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            at = step(at, part);
            if (at instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) map;
                at = new JsonObject(m);
            } else if (at instanceof List<?> list) {
                at = new JsonArray(new ArrayList<>(list));
            }
        }
        return at instanceof JsonObject o ? o : null;
    }

    /** The value at a JSON pointer of the request body. */
    private static Object at(Object value, String pointer) {
        Object at = value;
        for (String part : pointer.split("/")) {
            if (!part.isEmpty()) {
                at = step(at, part);
            }
        }
        return at;
    }

    /** One step of a JSON pointer: the member or element its (escaped) {@code part} names, or null. */
    private static Object step(Object at, String part) {
        String key = part.replace("~1", "/").replace("~0", "~");
        if (at instanceof JsonObject o) {
            return o.getValue(key);
        }
        if (at instanceof JsonArray a && key.chars().allMatch(Character::isDigit) && Integer.parseInt(key) < a.size()) {
            return a.getValue(Integer.parseInt(key));
        }
        return null;
    }

    private static String fragment(String location) {
        if (location == null) {
            return "";
        }
        int hash = location.indexOf('#');
        return hash < 0 ? location : location.substring(hash + 1);
    }

    /** A JSON pointer ({@code /config/infra/cpu}, {@code /outputs/0}) as the API writes locations. */
    static String path(String pointer) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<String> it = List.of(fragment(pointer).split("/")).iterator(); it.hasNext(); ) {
            String part = it.next();
            if (part.isEmpty()) {
                continue;
            }
            String name = part.replace("~1", "/").replace("~0", "~");
            if (name.chars().allMatch(Character::isDigit)) {
                sb.append('[').append(name).append(']');
            } else {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(name);
            }
        }
        return sb.toString();
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
