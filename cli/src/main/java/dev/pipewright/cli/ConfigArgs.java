package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.parse.DocumentException;
import dev.pipewright.protocol.parse.SafeDocumentReader;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-run config overrides from the command line, as the submit request's {@code config.nodes}:
 * {@code --config-file FILE} (YAML or JSON: {@code {train: {epochs: 5}}}, or the same under
 * {@code nodes:}), then each {@code --config NODE.KEY[.KEY..]=VALUE} on top. A value is read as JSON
 * when it is JSON ({@code 5}, {@code true}, {@code [1,2]}, {@code null} to remove a key), else taken
 * as text.
 */
final class ConfigArgs {
    private ConfigArgs() {
    }

    static Map<String, Object> nodes(String file, List<String> specs) {
        Map<String, Object> nodes = new LinkedHashMap<>();
        if (file != null) {
            String text = PipelineFiles.read(Path.of(file), file);
            JsonNode doc;
            try {
                doc = new SafeDocumentReader().read(text);
            } catch (DocumentException e) {
                throw CliException.usage("--config-file " + file + ": " + e.problem().message());
            }
            if (doc.isObject() && doc.size() == 1 && doc.has("nodes")) {
                doc = doc.get("nodes");
            }
            if (!doc.isObject()) {
                throw CliException.usage("--config-file " + file + ": expected a mapping of process nodes to their config overrides");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> read = ApiClient.JSON.convertValue(doc, LinkedHashMap.class);
            nodes.putAll(read);
        }
        for (String spec : specs == null ? List.<String>of() : specs) {
            JobArgs.KeyValue kv = JobArgs.split("--config", spec);
            String[] path = kv.key().split("\\.");
            if (path.length < 2 || java.util.Arrays.stream(path).anyMatch(String::isEmpty)) {
                throw CliException.usage("--config '" + spec + "': expected NODE.KEY=VALUE (for example train.epochs=5)");
            }
            Map<String, Object> at = nodes;
            for (int i = 0; i < path.length - 1; i++) {
                Object next = at.get(path[i]);
                if (!(next instanceof Map<?, ?>)) {
                    next = new LinkedHashMap<String, Object>();
                    at.put(path[i], next);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) next;
                at = m;
            }
            at.put(path[path.length - 1], value(kv.value()));
        }
        return nodes;
    }

    private static Object value(String text) {
        try {
            return ApiClient.JSON.readValue(text, Object.class);
        } catch (Exception e) {
            return text;
        }
    }
}
