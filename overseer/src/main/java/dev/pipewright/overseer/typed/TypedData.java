package dev.pipewright.overseer.typed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.schema.JsonSchemas;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.NodeConfig;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed data nodes and config schemas on the overseer: the schemas of a new pipeline checked as
 * draft 2020-12 schemas (and its static config against its config schema), and the job inputs of a
 * submit checked against their data node's {@code type} and {@code schema}. A pipeline without
 * {@code type}, {@code schema} or {@code configSchema} costs one look at each node.
 */
public final class TypedData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TypedData() {
    }

    /** What is wrong with a new pipeline's schemas, each at its place ({@code dataNodes.x.schema: /properties/a/type: ...}). */
    public static List<Problem> pipelineProblems(Pipeline pipeline) {
        List<Problem> problems = new ArrayList<>();
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.schema() != null) {
                for (String p : JsonSchemas.problems(d.schema())) {
                    problems.add(new Problem("dataNodes." + d.name() + ".schema", p));
                }
            }
        }
        for (ProcessNode node : pipeline.processNodes().values()) {
            if (node.configSchema() == null) {
                continue;
            }
            String at = "processNodes." + node.name();
            List<String> schemaProblems = JsonSchemas.problems(node.configSchema());
            schemaProblems.forEach(p -> problems.add(new Problem(at + ".configSchema", p)));
            // a config with placeholders is checked at submit, once the parameters are known
            if (schemaProblems.isEmpty() && !NodeConfig.hasPlaceholders(node.config())) {
                for (String p : JsonSchemas.violations(node.configSchema(), JSON.valueToTree(node.config()))) {
                    problems.add(new Problem(at + ".config", p));
                }
            }
        }
        return problems;
    }

    /**
     * Whether a job input's value fits its data node's {@code type} and {@code schema}; each problem at
     * {@code at} ({@code inputs.x}, or the source it was read from). A value kept in the object store
     * (larger than {@code PW_INLINE_MAX}) is not read back to be checked: its check is skipped.
     */
    public static void checkInput(DataNode node, byte[] value, String at, String prefix, List<Problem> problems) {
        if (node == null || (node.type() == null && node.schema() == null) || ObjectRef.isRef(value)) {
            return;
        }
        boolean json = node.schema() != null || JsonSchemas.isJsonType(node.type());
        if (json) {
            String notJson = JsonSchemas.notJson(value);
            if (notJson != null) {
                problems.add(new Problem(at, prefix + "the value is not JSON" + (node.type() == null ? "" : " (type " + node.type() + ")")
                        + ": " + notJson));
                return;
            }
        } else if (node.type().toLowerCase(Locale.ROOT).startsWith("text/") && ContentTypes.BINARY.equals(ContentTypes.sniff(value))) {
            problems.add(new Problem(at, prefix + "the value is not text (type " + node.type() + ")"));
            return;
        }
        if (node.schema() != null) {
            for (String v : JsonSchemas.violations(node.schema(), value)) {
                problems.add(new Problem(at, prefix + v));
            }
        }
    }

    /** The content type a consumable of this node is recorded with: its declared {@code type}, else {@code sniffed}. */
    public static String contentType(DataNode node, String sniffed) {
        return node == null || node.type() == null ? sniffed : node.type();
    }

    /** Whether any check at all applies to this pipeline's job inputs (most pipelines: no). */
    public static boolean typed(Pipeline pipeline) {
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.type() != null || d.schema() != null) {
                return true;
            }
        }
        return false;
    }

    /** The schema of the effective config, applied to {@code config}; each violation at {@code at}. */
    static void checkConfig(JsonNode schema, java.util.Map<String, Object> config, String at, List<Problem> problems) {
        for (String v : JsonSchemas.violations(schema, JSON.valueToTree(config == null ? java.util.Map.of() : config))) {
            problems.add(new Problem(at, v));
        }
    }
}
