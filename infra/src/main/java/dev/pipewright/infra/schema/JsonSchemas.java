package dev.pipewright.infra.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON Schema, draft 2020-12, for typed data nodes ({@code schema:}) and process nodes' config
 * schemas ({@code configSchema:}), shared by the overseer (at pipeline create and at submit) and the
 * worker (on produced outputs). Backed by networknt's json-schema-validator.
 *
 * <p>A schema is a pipeline author's document, checked on servers: it may reference only itself
 * ({@code #/$defs/...}) and the draft's own meta-schemas, which the library ships. Any other
 * {@code $ref} (a URL, {@code classpath:}, a file) is refused, so no schema makes a server fetch
 * anything. {@code format} is an annotation, as the draft says, not an assertion.
 */
public final class JsonSchemas {
    /** The dialect every schema is read as; a schema may name it in {@code $schema}, or leave it out. */
    public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
    /** At most this many violations are reported for one value (a list of a million bad items is not a million lines). */
    public static final int MAX_VIOLATIONS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaLoader(loader -> loader.allow(JsonSchemas::isDraftMetaSchema)));
    private static final Schema META = REGISTRY.getSchema(SchemaLocation.of(DIALECT));
    /** Compiled schemas by their JSON text: a pipeline's few schemas are compiled once per process, not per value. */
    private static final Map<String, Schema> COMPILED = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Schema> eldest) {
            return size() > 256;
        }
    });

    private JsonSchemas() {
    }

    private static boolean isDraftMetaSchema(com.networknt.schema.AbsoluteIri iri) {
        String s = iri.toString();
        return s.startsWith("https://json-schema.org/draft/2020-12/") || s.startsWith("http://json-schema.org/draft/2020-12/");
    }

    /**
     * What makes {@code schema} not a usable draft 2020-12 schema: another {@code $schema}, a keyword
     * of the wrong shape (checked against the draft's meta-schema, each with its place in the schema
     * document), or a reference that cannot be resolved. Empty when it is usable.
     */
    public static List<String> problems(JsonNode schema) {
        List<String> problems = new ArrayList<>();
        if (schema == null || schema.isBoolean()) {
            return problems;
        }
        if (!schema.isObject()) {
            problems.add("expected a JSON Schema (a mapping or true/false)");
            return problems;
        }
        JsonNode dialect = schema.get("$schema");
        if (dialect != null && !(dialect.isTextual() && stripHash(dialect.asText()).equals(DIALECT))) {
            problems.add("/$schema: only draft 2020-12 is supported (" + DIALECT + "), got " + dialect);
            return problems;
        }
        // one problem per place: the meta-schema's anyOf (type is a name or a list of names) would
        // otherwise report each branch it tried, and the first is the one that explains
        java.util.Set<String> places = new java.util.HashSet<>();
        for (Error e : first(META.validate(schema))) {
            if (places.add(pointer(e))) {
                problems.add(describe(e));
            }
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        try {
            Schema compiled = REGISTRY.getSchema(schema);
            compiled.initializeValidators();
        } catch (RuntimeException e) {
            problems.add("cannot be used: " + e.getMessage());
        }
        return problems;
    }

    /** The compiled schema (it must have passed {@link #problems}); compiled once per process per distinct schema. */
    public static Schema compile(JsonNode schema) {
        String key = schema.toString();
        Schema compiled = COMPILED.get(key);
        if (compiled == null) {
            compiled = REGISTRY.getSchema(schema);
            compiled.initializeValidators();
            COMPILED.put(key, compiled);
        }
        return compiled;
    }

    /**
     * How {@code value} breaks {@code schema}: each violation as {@code <instance location>: <message>}
     * (the JSON Pointer of the offending part, {@code /items/0/price}, or {@code /} for the whole
     * value), at most {@link #MAX_VIOLATIONS} and then a count of the rest. Empty when it conforms.
     */
    public static List<String> violations(JsonNode schema, JsonNode value) {
        List<Error> errors = compile(schema).validate(value);
        List<String> out = new ArrayList<>();
        for (Error e : first(errors)) {
            out.add(describe(e));
        }
        if (errors.size() > MAX_VIOLATIONS) {
            out.add("… and " + (errors.size() - MAX_VIOLATIONS) + " more");
        }
        return out;
    }

    /** Like {@link #violations(JsonNode, JsonNode)} for a value given as JSON bytes; a value that is not JSON is one violation. */
    public static List<String> violations(JsonNode schema, byte[] json) {
        JsonNode value;
        try {
            value = JSON.readTree(json);
        } catch (java.io.IOException e) {
            return List.of("not JSON: " + firstLine(e.getMessage()));
        }
        if (value == null || value.isMissingNode()) {
            return List.of("not JSON: empty");
        }
        return violations(schema, value);
    }

    /** Whether the bytes are one JSON document; null when they are, else why not. */
    public static String notJson(byte[] bytes) {
        try {
            JsonNode value = JSON.readTree(bytes);
            return value == null || value.isMissingNode() ? "empty" : null;
        } catch (java.io.IOException e) {
            return firstLine(e.getMessage());
        }
    }

    /** Whether a content type is JSON ({@code application/json}, or any {@code +json} type). */
    public static boolean isJsonType(String contentType) {
        return dev.pipewright.protocol.graph.TypedRules.isJsonType(contentType);
    }

    private static List<Error> first(List<Error> errors) {
        return errors.size() <= MAX_VIOLATIONS ? errors : errors.subList(0, MAX_VIOLATIONS);
    }

    private static String pointer(Error e) {
        String at = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
        return at.isEmpty() || at.equals("$") ? "/" : at;
    }

    private static String describe(Error e) {
        return pointer(e) + ": " + e.getMessage();
    }

    private static String stripHash(String iri) {
        return iri.endsWith("#") ? iri.substring(0, iri.length() - 1) : iri;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
