package dev.pipewright.protocol.pipeline;

import dev.pipewright.protocol.graph.PipelineValidator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;

/**
 * A process node's effective config for one job: its pipeline {@code config} with
 * {@code ${parameter}} placeholders resolved (the syntax sources use), then a submit's override
 * merged in. Pure.
 *
 * <p>A string value that is exactly one placeholder ({@code epochs: ${epochs}}) becomes the
 * parameter's value with its type (an integer stays an integer, a list a list); a placeholder inside
 * a longer string is replaced by the value as text. Keys are never substituted.
 *
 * <p>The override is merged as a JSON Merge Patch (RFC 7386): a mapping merges into the mapping it
 * meets, key by key, at every depth; any other value (a number, a string, a list) replaces what was
 * there; {@code null} removes the key.
 */
public final class NodeConfig {
    private NodeConfig() {
    }

    /** Whether any string value in the config, at any depth, holds a placeholder. */
    public static boolean hasPlaceholders(Map<String, Object> config) {
        boolean[] found = {false};
        strings(config, "", (at, text) -> found[0] |= PipelineValidator.PLACEHOLDER.matcher(text).find());
        return found[0];
    }

    /**
     * Every placeholder in the config, as (location under {@code path}, parameter name): for the
     * validator to say which name no parameter declares, and where.
     */
    public static void placeholders(Map<String, Object> config, String path, BiConsumer<String, String> each) {
        strings(config, path, (at, text) -> {
            Matcher m = PipelineValidator.PLACEHOLDER.matcher(text);
            while (m.find()) {
                each.accept(at, m.group(1));
            }
        });
    }

    /**
     * The config with its placeholders resolved from {@code params}; a placeholder whose parameter
     * has no value is a problem at its location under {@code path} (and stays as it was).
     */
    public static Map<String, Object> resolve(Map<String, Object> config, Map<String, Object> params, String path, List<Problem> problems) {
        if (config == null || !hasPlaceholders(config)) {
            return config;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> resolved = (Map<String, Object>) resolveValue(config, params, path, problems);
        return resolved;
    }

    /** {@code base} with {@code override} merged in (RFC 7386); neither is changed. */
    public static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> out = new LinkedHashMap<>(base == null ? Map.of() : base);
        for (Map.Entry<String, Object> e : override.entrySet()) {
            Object patch = e.getValue();
            if (patch == null) {
                out.remove(e.getKey());
            } else if (patch instanceof Map<?, ?> patchMap && out.get(e.getKey()) instanceof Map<?, ?> current) {
                out.put(e.getKey(), merge(cast(current), cast(patchMap)));
            } else if (patch instanceof Map<?, ?> patchMap) {
                out.put(e.getKey(), merge(Map.of(), cast(patchMap)));
            } else {
                out.put(e.getKey(), patch);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    private static Object resolveValue(Object value, Map<String, Object> params, String at, List<Problem> problems) {
        if (value instanceof String text) {
            Matcher whole = PipelineValidator.PLACEHOLDER.matcher(text);
            if (whole.matches()) {
                Object v = params.get(whole.group(1));
                if (v == null) {
                    problems.add(new Problem(at, "placeholder ${" + whole.group(1) + "} names no parameter with a value"));
                    return text;
                }
                return v;
            }
            Matcher m = PipelineValidator.PLACEHOLDER.matcher(text);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                Object v = params.get(m.group(1));
                if (v == null) {
                    problems.add(new Problem(at, "placeholder ${" + m.group(1) + "} names no parameter with a value"));
                    return text;
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v.toString()));
            }
            m.appendTail(sb);
            return sb.toString();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put((String) k, resolveValue(v, params, at + "." + k, problems)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(resolveValue(list.get(i), params, at + "[" + i + "]", problems));
            }
            return out;
        }
        return value;
    }

    private static void strings(Object value, String at, BiConsumer<String, String> each) {
        if (value instanceof String text) {
            each.accept(at, text);
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> strings(v, at.isEmpty() ? String.valueOf(k) : at + "." + k, each));
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                strings(list.get(i), at + "[" + i + "]", each);
            }
        }
    }
}
