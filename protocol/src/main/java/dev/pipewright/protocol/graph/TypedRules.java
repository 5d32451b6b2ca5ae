package dev.pipewright.protocol.graph;

import dev.pipewright.protocol.branch.BranchRule;

import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.NodeConfig;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;

import java.util.List;
import java.util.Locale;

/**
 * The rules of typed data nodes and node config that need no JSON Schema library: a {@code schema}
 * only on a JSON {@code type}, and config placeholders naming declared parameters. (Whether a
 * schema is itself a valid one is checked where the library is, on the server.)
 */
public final class TypedRules {
    private TypedRules() {
    }

    /** Whether a content type is JSON: {@code application/json} or any {@code +json} type, parameters ignored. */
    public static boolean isJsonType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String base = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return base.equals("application/json") || base.endsWith("+json");
    }

    static void check(Pipeline pipeline, List<Problem> problems) {
        for (DataNode d : pipeline.dataNodes().values()) {
            if (d.schema() != null && d.type() != null && !isJsonType(d.type())) {
                problems.add(new Problem("dataNodes." + d.name() + ".schema", "a schema describes JSON, and type '" + d.type()
                        + "' is not JSON: use type application/json (or a +json type), or leave the type out"));
            }
        }
        for (ProcessNode node : pipeline.processNodes().values()) {
            if (node.config() == null || node.config().isEmpty()) {
                continue;
            }
            NodeConfig.placeholders(node.config(), "processNodes." + node.name() + ".config", (at, name) -> {
                if (!pipeline.parameters().containsKey(name)) {
                    problems.add(new Problem(at, "placeholder ${" + name + "} names no declared parameter"));
                }
            });
        }
    }

    /** A scheduled job takes the parameters' defaults: a config placeholder must name one that has a value then. */
    static void scheduledConfigsResolve(Pipeline pipeline, List<Problem> problems) {
        for (ProcessNode node : pipeline.processNodes().values()) {
            if (node.config() == null || node.config().isEmpty()) {
                continue;
            }
            NodeConfig.placeholders(BranchRule.withoutRule(node), "processNodes." + node.name() + ".config", (at, name) -> {
                dev.pipewright.protocol.pipeline.Parameter p = pipeline.parameters().get(name);
                if (p != null && !p.required() && p.defaultValue() == null) {
                    problems.add(new Problem(at, "placeholder ${" + name + "} names a parameter without a default: a scheduled job "
                            + "could not resolve it"));
                }
            });
        }
    }
}
