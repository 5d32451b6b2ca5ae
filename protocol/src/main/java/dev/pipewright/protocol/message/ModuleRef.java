package dev.pipewright.protocol.message;

import java.util.List;

/**
 * The uploaded module a task runs, pinned when the job was submitted: a later upload or a delete
 * of the name never changes what a running job runs. The worker fetches the content by
 * {@code digest} (and checks it), unpacks it when {@code kind} is an archive, and runs
 * {@code entry} with Python; {@code requirements} (pip requirements, sorted; may be empty) name
 * the virtual environment it runs in.
 *
 * @param kind {@code python} (one file), {@code zip} or {@code tar.gz}
 */
public record ModuleRef(String name, int version, String digest, String kind, String entry, List<String> requirements) {
    public ModuleRef {
        requirements = requirements == null ? List.of() : List.copyOf(requirements);
    }
}
