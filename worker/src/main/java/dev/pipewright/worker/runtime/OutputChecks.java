package dev.pipewright.worker.runtime;

import dev.pipewright.infra.schema.JsonSchemas;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.message.OutputType;
import dev.pipewright.worker.processor.TaskFailure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed outputs checked before they are committed: a value that is not of its declared type or
 * breaks its schema fails the task for good (running it again would produce the same), with the
 * schema's messages in the task's error. Only a node with typed outputs has {@code outputTypes} in
 * its spec; the others never come here. A value the processor already put in the object store
 * (an exec or module output larger than {@code PW_INLINE_MAX}) is not read back to be checked.
 */
final class OutputChecks {
    private OutputChecks() {
    }

    static void check(Map<String, OutputType> types, Map<String, byte[]> outputs) throws TaskFailure {
        for (Map.Entry<String, OutputType> e : types.entrySet()) {
            byte[] value = outputs.get(e.getKey());
            if (value == null || ObjectRef.isRef(value)) {
                continue;
            }
            OutputType t = e.getValue();
            String out = e.getKey();
            boolean json = t.schema() != null || JsonSchemas.isJsonType(t.type());
            if (json) {
                String notJson = JsonSchemas.notJson(value);
                if (notJson != null) {
                    throw TaskFailure.permanent("output '" + out + "' is not JSON" + (t.type() == null ? "" : " (declared " + t.type() + ")")
                            + ": " + notJson);
                }
            } else if (t.type() != null && t.type().toLowerCase(Locale.ROOT).startsWith("text/")
                    && ContentTypes.BINARY.equals(ContentTypes.sniff(value))) {
                throw TaskFailure.permanent("output '" + out + "' is not text (declared " + t.type() + ")");
            }
            if (t.schema() != null) {
                List<String> violations = JsonSchemas.violations(t.schema(), value);
                if (!violations.isEmpty()) {
                    throw TaskFailure.permanent("output '" + out + "' does not match its schema: " + String.join("; ", violations));
                }
            }
        }
    }

    /** The outputs with their declared content types in place of the sniffed ones. */
    static Map<String, StateGateway.Output> declared(Map<String, OutputType> types, Map<String, StateGateway.Output> outputs) {
        Map<String, StateGateway.Output> out = new LinkedHashMap<>(outputs);
        types.forEach((node, t) -> {
            StateGateway.Output o = out.get(node);
            if (o != null && t.type() != null) {
                out.put(node, new StateGateway.Output(o.value(), t.type()));
            }
        });
        return out;
    }
}
