package dev.pipewright.worker.processor;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** The processors this worker serves: those on the class path (ServiceLoader) plus registered commands. */
public final class ProcessorRegistry {
    private final Map<String, Processor> byName = new LinkedHashMap<>();

    public ProcessorRegistry(Collection<? extends Processor> extra) {
        for (Processor p : ServiceLoader.load(Processor.class)) {
            byName.put(p.name(), p);
        }
        for (Processor p : extra) {
            if (byName.containsKey(p.name())) {
                throw new IllegalArgumentException("processor '" + p.name() + "' is registered twice");
            }
            byName.put(p.name(), p);
        }
    }

    public static ProcessorRegistry builtIns() {
        return new ProcessorRegistry(List.of());
    }

    public Processor find(String name) {
        return byName.get(name);
    }

    public Collection<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(byName.keySet()));
    }
}
