package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Map;

/** {@code pipewright limits list|set|unset}: cluster-wide concurrency limits. */
@Command(name = "limits", mixinStandardHelpOptions = true,
        description = {"Cluster-wide concurrency limits: a processor's running tasks, a pipeline's running jobs.",
                "Beyond a limit, tasks wait held and jobs PENDING, highest priority first."},
        subcommands = {LimitsCommand.ListLimits.class, LimitsCommand.Set.class, LimitsCommand.Unset.class})
public final class LimitsCommand extends GroupCommand {
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("KIND", l -> l.path("kind").asText())
            .column("NAME", l -> l.path("name").asText())
            .column("MAX", l -> l.path("max").asText())
            .column("IN USE", l -> l.path("in_use").asText())
            .column("WAITING", l -> l.path("waiting").asText())
            .ifEmpty("no limits\n");

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The limits, their slots in use and what waits.")
    static final class ListLimits extends AnswerCommand {
        @Override
        public Integer call() {
            return getAndShow("/api/v1/admin/limits", "cannot list limits", a -> TABLE.render(a.path("limits")));
        }
    }

    /** What set and unset share: the limit named and the line that reports the change. */
    abstract static class Change extends ServerCommand {
        @Parameters(index = "0", paramLabel = "KIND", description = "processor or pipeline")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME", description = "The processor or pipeline id.")
        String name;

        String path() {
            return "/api/v1/admin/limits/" + ApiClient.encode(kind) + "/" + ApiClient.encode(name);
        }

        /** {@code processor http_fetch: <what>}, and how many waiting tasks the change let go. */
        int report(JsonNode r, String what) {
            int dispatched = r.path("dispatched").asInt();
            out().println(kind + " " + name + ": " + what + (dispatched > 0 ? "; " + dispatched + " waiting task(s) dispatched" : ""));
            out().flush();
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Set a limit: limits set processor http_fetch 5")
    static final class Set extends Change {
        @Parameters(index = "2", paramLabel = "MAX", description = "Most running tasks (processor) or jobs (pipeline).")
        int max;

        @Override
        public Integer call() {
            JsonNode r = ApiClient.expectAllProblems(client().putJson(path(), Map.of("max", max)), "cannot set the limit");
            return report(r, "at most " + r.path("max").asInt() + " running");
        }
    }

    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove a limit (what waited for it runs).")
    static final class Unset extends Change {
        @Override
        public Integer call() {
            return report(ApiClient.expectAllProblems(client().delete(path()), "cannot remove the limit"), "no limit");
        }
    }
}
