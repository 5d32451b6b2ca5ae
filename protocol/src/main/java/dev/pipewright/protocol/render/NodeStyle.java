package dev.pipewright.protocol.render;

import dev.pipewright.protocol.state.TaskState;

import java.util.Map;

/**
 * How a node is painted in every format: fill, stroke and text colours ({@code #rrggbb}), a dashed
 * outline and a heavy one. A plan mark wins over the default; a task state wins over both.
 *
 * @param name a short class name for formats that style by class (Mermaid's {@code classDef})
 */
public record NodeStyle(String name, String fill, String stroke, String text, boolean dashed, boolean heavy) {
    public static final NodeStyle PROCESS = new NodeStyle("process", "#ffffff", "#37474f", "#000000", false, false);
    public static final NodeStyle DATA = new NodeStyle("data", "#ede7f6", "#5e35b1", "#000000", false, false);
    public static final NodeStyle PRUNED = new NodeStyle("pruned", "#f5f5f5", "#bdbdbd", "#9e9e9e", true, false);
    public static final NodeStyle MISSING = new NodeStyle("missing", "#fff3e0", "#d32f2f", "#b71c1c", true, true);
    public static final String EDGE = "#546e7a";
    public static final String FADED_EDGE = "#bdbdbd";

    private static final Map<TaskState, NodeStyle> BY_STATE = Map.of(
            TaskState.PENDING, new NodeStyle("pending", "#ffffff", "#757575", "#000000", false, false),
            TaskState.READY, new NodeStyle("ready", "#bbdefb", "#1565c0", "#000000", false, false),
            TaskState.RUNNING, new NodeStyle("running", "#fff59d", "#f9a825", "#000000", false, true),
            TaskState.RETRY_WAIT, new NodeStyle("retry_wait", "#ffe0b2", "#ef6c00", "#000000", false, false),
            TaskState.SUCCESS, new NodeStyle("success", "#c8e6c9", "#2e7d32", "#000000", false, false),
            TaskState.FAILED, new NodeStyle("failed", "#ffcdd2", "#c62828", "#000000", false, true),
            TaskState.TIMED_OUT, new NodeStyle("timed_out", "#f8bbd0", "#ad1457", "#000000", false, true),
            TaskState.CANCELLED, new NodeStyle("cancelled", "#cfd8dc", "#455a64", "#000000", false, false),
            TaskState.SKIPPED, new NodeStyle("skipped", "#eeeeee", "#9e9e9e", "#616161", true, false),
            TaskState.CACHED, new NodeStyle("cached", "#dcedc8", "#558b2f", "#000000", true, false));

    public static NodeStyle forState(TaskState state) {
        return BY_STATE.get(state);
    }

    public static NodeStyle of(GraphView.Node node) {
        if (node.status() != null) {
            return BY_STATE.get(node.status());
        }
        return switch (node.mark()) {
            case PRUNED -> PRUNED;
            case MISSING -> MISSING;
            case NONE -> node.kind() == GraphView.Kind.DATA ? DATA : PROCESS;
        };
    }
}
