package dev.pipewright.worker.processor;

import dev.pipewright.protocol.message.ModuleRef;
import dev.pipewright.protocol.message.TaskSpec;

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

    /** What runs an uploaded module (set when {@code PW_MODULES=on}). */
    public interface ModuleSource {
        Processor processorFor(ModuleRef module);
    }

    private volatile ModuleSource modules;

    /** Lets this worker run uploaded modules. */
    public void enableModules(ModuleSource modules) {
        this.modules = modules;
    }

    public boolean modulesEnabled() {
        return modules != null;
    }

    /** What runs this task: its module when it names one (null when modules are off here), else its processor. */
    public Processor find(TaskSpec spec) {
        if (spec.module() != null) {
            ModuleSource m = modules;
            return m == null ? null : m.processorFor(spec.module());
        }
        return find(spec.processor());
    }

    public Processor find(String name) {
        return byName.get(name);
    }

    public Collection<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(byName.keySet()));
    }
}
