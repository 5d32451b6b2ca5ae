package dev.pipewright.protocol.module;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of uploaded modules and how a process node's {@code processor} names one: a module
 * name is {@code [a-z][a-z0-9_]{0,63}} (it becomes a Python-friendly file and directory name and
 * never needs quoting), and a processor may pin a version as {@code my_module@3}.
 */
public final class ModuleNames {
    /** What a module name may be. */
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    /** A processor naming a module version: {@code name@N}, N a positive integer. */
    private static final Pattern PINNED = Pattern.compile("([A-Za-z_][A-Za-z0-9_.-]{0,127})@([1-9][0-9]{0,8})");
    /** The processor name a worker with modules enabled announces for each of its pools. */
    public static final String MODULES_PROCESSOR = "@modules";

    private ModuleNames() {
    }

    /** Why a module name is refused, or null when it is a valid one. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "missing: a module name";
        }
        if (!NAME.matcher(name).matches()) {
            return "'" + name + "' is not a module name: a lower-case letter, then up to 63 lower-case letters, digits or '_'";
        }
        return null;
    }

    /** A processor as a pipeline writes it: a name, with a pinned module version or not. */
    public record ProcessorRef(String name, Integer version) {
        public boolean pinned() {
            return version != null;
        }

        @Override
        public String toString() {
            return version == null ? name : name + "@" + version;
        }
    }

    /** The processor text as a reference, or null when it is neither a name nor {@code name@N}. */
    public static ProcessorRef parse(String processor) {
        if (processor == null) {
            return null;
        }
        Matcher m = PINNED.matcher(processor);
        if (m.matches()) {
            return new ProcessorRef(m.group(1), Integer.parseInt(m.group(2)));
        }
        return processor.contains("@") ? null : new ProcessorRef(processor, null);
    }

    /** Whether a processor text is a pinned module reference ({@code name@N}). */
    public static boolean isPinned(String processor) {
        return processor != null && PINNED.matcher(processor).matches();
    }
}
