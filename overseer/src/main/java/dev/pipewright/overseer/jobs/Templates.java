package dev.pipewright.overseer.jobs;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Resolves {@code ${parameter}} placeholders in data node sources. */
public final class Templates {
    private static final Pattern PLACEHOLDER = dev.pipewright.protocol.graph.PipelineValidator.PLACEHOLDER;

    private Templates() {
    }

    /** The resolved text, or throws IllegalArgumentException naming an unknown placeholder. */
    public static String resolve(String template, Map<String, Object> parameters) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = parameters.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("placeholder ${" + m.group(1) + "} names no parameter with a value");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
