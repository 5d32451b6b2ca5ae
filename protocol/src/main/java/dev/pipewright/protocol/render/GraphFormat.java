package dev.pipewright.protocol.render;

import java.util.Arrays;
import java.util.Locale;

/** The formats a graph is drawn in, with the content type each is served as. */
public enum GraphFormat {
    DOT("text/vnd.graphviz; charset=utf-8"),
    MERMAID("text/plain; charset=utf-8"),
    SVG("image/svg+xml");

    private final String contentType;

    GraphFormat(String contentType) {
        this.contentType = contentType;
    }

    public String contentType() {
        return contentType;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format named {@code name} (any case), or null when there is none. */
    public static GraphFormat parse(String name) {
        if (name == null) {
            return null;
        }
        return Arrays.stream(values()).filter(f -> f.id().equalsIgnoreCase(name.trim())).findFirst().orElse(null);
    }

    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(GraphFormat::id).toList());
    }
}
