package dev.pipewright.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.pipewright.protocol.pipeline.ParamType;
import dev.pipewright.protocol.pipeline.Parameter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns {@code --param k=v} and {@code --input node=@path|node=value} into the job request's values. */
public final class JobArgs {
    private JobArgs() {
    }

    public record KeyValue(String key, String value) {
    }

    /** Splits {@code key=value} at the first {@code =}; a missing {@code =} or key is a usage error (exit 2). */
    public static KeyValue split(String option, String spec) {
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw CliException.usage(option + " '" + spec + "': expected NAME=VALUE");
        }
        String key = spec.substring(0, eq).trim();
        if (key.isEmpty()) {
            throw CliException.usage(option + " '" + spec + "': the name before '=' is empty");
        }
        return new KeyValue(key, spec.substring(eq + 1));
    }

    /**
     * Converts each {@code --param} to the type its declaration names (integer, number, boolean,
     * JSON for object and array); undeclared parameters stay text so the server reports them.
     * Values that do not convert are a failure (exit 1) listing every one of them.
     */
    public static Map<String, Object> parameters(List<String> specs, Map<String, Parameter> declared) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String spec : specs == null ? List.<String>of() : specs) {
            KeyValue kv = split("--param", spec);
            Parameter p = declared == null ? null : declared.get(kv.key());
            try {
                out.put(kv.key(), convert(p == null ? null : p.type(), kv.value()));
            } catch (IllegalArgumentException e) {
                problems.add("--param " + kv.key() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw CliException.failure(String.join("\n", problems));
        }
        return out;
    }

    /** One value converted to {@code type} (null: text as it is). */
    public static Object convert(ParamType type, String text) {
        if (type == null || type == ParamType.STRING) {
            return text;
        }
        if (type == ParamType.OBJECT || type == ParamType.ARRAY) {
            Object value;
            try {
                value = ApiClient.JSON.readValue(text, Object.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("expected " + type.wireName() + " as JSON (for example "
                        + (type == ParamType.OBJECT ? "{\"a\": 1}" : "[1, 2]") + "), got '" + abbreviate(text) + "'");
            }
            if (!type.accepts(value)) {
                throw new IllegalArgumentException("expected " + type.wireName() + " as JSON, got '" + abbreviate(text) + "'");
            }
            return value;
        }
        Object value = type.fromText(text);
        if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
            value = null;
        }
        if (value == null) {
            throw new IllegalArgumentException("expected " + type.wireName() + ", got '" + abbreviate(text) + "'");
        }
        return value;
    }

    /**
     * {@code node=@path} becomes {@code {"base64": <the file's bytes>}}; {@code node=value} the
     * text. A file that cannot be read is a usage error (exit 2).
     */
    public static Map<String, Object> inputs(List<String> specs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String spec : specs == null ? List.<String>of() : specs) {
            KeyValue kv = split("--input", spec);
            if (kv.value().startsWith("@")) {
                String path = kv.value().substring(1);
                if (path.isEmpty()) {
                    throw CliException.usage("--input " + kv.key() + ": '@' must be followed by a file path");
                }
                byte[] bytes = PipelineFiles.readBytes(Path.of(path), "--input " + kv.key() + ": " + path);
                out.put(kv.key(), Map.of("base64", Base64.getEncoder().encodeToString(bytes)));
            } else {
                out.put(kv.key(), kv.value());
            }
        }
        return out;
    }

    /** {@code --tag k=v} or {@code --context k=v} options as a map, in the order given. */
    static Map<String, String> texts(String option, List<String> specs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String spec : specs) {
            KeyValue kv = split(option, spec);
            out.put(kv.key(), kv.value());
        }
        return out;
    }

    /** Puts an optional request field: one not given (null) is left out, so the server's default holds. */
    static void putGiven(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
