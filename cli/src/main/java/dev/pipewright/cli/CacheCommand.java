package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pipewright cache list|show|delete}: memoised results of nodes with {@code cache:}. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "List, show and delete memoised results (process nodes with cache:). A job takes a stored result instead of "
                + "running the node when the cache key matches (its task is CACHED); 'pipewright plan --pipeline P --input ..' "
                + "shows which results a job would take. Deleting needs the pipeline's owner or an admin.",
        subcommands = {CacheCommand.ListEntries.class, CacheCommand.Show.class, CacheCommand.Delete.class})
public final class CacheCommand extends GroupCommand {

    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("KEY", 16, v -> v.path("key").asText().substring(0, Math.min(12, v.path("key").asText().length())) + "..")
            .column("PIPELINE", 18, v -> v.path("pipeline").asText())
            .column("NODE", 16, v -> v.path("node").asText())
            .column("JOB", 22, v -> v.path("job").asText())
            .column("PROCESSOR", 16, v -> v.path("processor").asText())
            .column("EXPIRES", v -> v.path("expires_at").asText());

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List live entries (by key), of one pipeline or node.")
    static final class ListEntries extends AnswerCommand {
        @Option(names = "--pipeline", paramLabel = "P", description = "Only entries of this pipeline.")
        String pipeline;

        @Option(names = "--node", paramLabel = "N", description = "Only entries of this process node.")
        String node;

        @Option(names = "--page-size", paramLabel = "N", description = "Entries per page (default 50).")
        Integer pageSize;

        @Option(names = "--page-after", paramLabel = "CURSOR", description = "next_page_after of the page before.")
        String pageAfter;

        @Override
        public Integer call() throws Exception {
            StringBuilder q = new StringBuilder("/api/v1/cache");
            PlanCommand.query(q, "pipeline", pipeline == null ? java.util.List.of() : java.util.List.of(pipeline));
            PlanCommand.query(q, "node", node == null ? java.util.List.of() : java.util.List.of(node));
            if (pageSize != null) {
                q.append(q.indexOf("?") < 0 ? '?' : '&').append("page_size=").append(pageSize);
            }
            PlanCommand.query(q, "page_after", pageAfter == null ? java.util.List.of() : java.util.List.of(pageAfter));
            return getAndShow(q.toString(), "cannot list the cache", a -> TABLE.render(a.path("entries"))
                    + (a.path("next_page_after").isNull() ? "" : "more: --page-after " + a.path("next_page_after").asText() + "\n"));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one entry: where it came from and its outputs.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:shown", "1:no such entry", "2:usage error or server unreachable"})
    static final class Show extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "The cache key (64 hex digits).")
        String key;

        @Override
        public Integer call() throws Exception {
            return getAndShow("/api/v1/cache/" + ApiClient.encode(key), "cannot show cache entry " + key, a -> {
                StringBuilder sb = new StringBuilder("entry " + a.path("key").asText() + "\n  pipeline " + a.path("pipeline").asText()
                        + ", node " + a.path("node").asText() + ", from job " + a.path("job").asText() + "\n  processor "
                        + a.path("processor").asText() + " version " + a.path("version").asText() + "\n  created "
                        + a.path("created_at").asText() + ", expires " + a.path("expires_at").asText() + "\n");
                for (JsonNode o : a.path("outputs")) {
                    sb.append("  output ").append(o.path("data_node").asText()).append(": ").append(o.path("size").asLong())
                            .append(" bytes, ").append(o.path("content_type").asText()).append(", sha256 ").append(o.path("digest").asText())
                            .append('\n');
                }
                return sb.toString();
            });
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete one entry (KEY), or every entry of --pipeline P (optionally of one --node N).",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:deleted", "1:no such entry, or refused", "2:usage error or server unreachable"})
    static final class Delete extends AnswerCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "KEY", description = "The cache key.")
        String key;

        @Option(names = "--pipeline", paramLabel = "P", description = "Delete every entry of this pipeline.")
        String pipeline;

        @Option(names = "--node", paramLabel = "N", description = "With --pipeline: only this process node's entries.")
        String node;

        @Override
        public Integer call() throws Exception {
            if ((key == null) == (pipeline == null)) {
                throw CliException.usage("give either KEY or --pipeline P");
            }
            if (key != null) {
                ApiClient.Response r = client().delete("/api/v1/cache/" + ApiClient.encode(key));
                if (!r.ok()) {
                    throw CliException.failure(r.refusal("cannot delete cache entry " + key));
                }
                out().println("cache entry " + key + " deleted");
                return 0;
            }
            StringBuilder q = new StringBuilder("/api/v1/cache");
            PlanCommand.query(q, "pipeline", java.util.List.of(pipeline));
            PlanCommand.query(q, "node", node == null ? java.util.List.of() : java.util.List.of(node));
            JsonNode r = ApiClient.expectOneLine(client().delete(q.toString()), "cannot delete the cache of " + pipeline);
            Output.showPrinted(out(), json, r, a -> out().println("deleted " + a.path("deleted").asInt() + " cache entr"
                    + (a.path("deleted").asInt() == 1 ? "y" : "ies")));
            return 0;
        }
    }
}
