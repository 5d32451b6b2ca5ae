package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright limits list|set|unset}: cluster-wide concurrency limits. */
@Command(name = "limits", mixinStandardHelpOptions = true,
        description = {"Cluster-wide concurrency limits: a processor's running tasks, a pipeline's running jobs.",
                "Beyond a limit, tasks wait held and jobs PENDING, highest priority first."},
        subcommands = {LimitsCommand.ListLimits.class, LimitsCommand.Set.class, LimitsCommand.Unset.class})
public final class LimitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: list, set or unset");
    }

    static String path(String kind, String name) {
        return "/api/v1/admin/limits/" + ApiClient.encode(kind) + "/" + ApiClient.encode(name);
    }

    static JsonNode check(ApiClient.Response r, String what) {
        if (!r.ok()) {
            StringBuilder msg = new StringBuilder(what + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
            r.problems().forEach(p -> msg.append("\n  ").append(p));
            throw CliException.failure(msg.toString());
        }
        return r.json();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The limits, their slots in use and what waits.")
    static final class ListLimits implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode r = server.client().getJson("/api/v1/admin/limits", "cannot list limits");
            if (json) {
                AdminOutput.printJson(out, r);
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"KIND", "NAME", "MAX", "IN USE", "WAITING"});
            for (JsonNode l : r.path("limits")) {
                rows.add(new String[] {l.path("kind").asText(), l.path("name").asText(), l.path("max").asText(),
                        l.path("in_use").asText(), l.path("waiting").asText()});
            }
            out.print(rows.size() == 1 ? "no limits\n" : AdminOutput.table(rows));
            out.flush();
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Set a limit: limits set processor http_fetch 5")
    static final class Set implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Parameters(index = "0", paramLabel = "KIND", description = "processor or pipeline")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME", description = "The processor or pipeline id.")
        String name;

        @Parameters(index = "2", paramLabel = "MAX", description = "Most running tasks (processor) or jobs (pipeline).")
        int max;

        @Override
        public Integer call() {
            JsonNode r = check(server.client().putJson(path(kind, name), Map.of("max", max)), "cannot set the limit");
            spec.commandLine().getOut().println(kind + " " + name + ": at most " + r.path("max").asInt() + " running"
                    + (r.path("dispatched").asInt() > 0 ? "; " + r.path("dispatched").asInt() + " waiting task(s) dispatched" : ""));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove a limit (what waited for it runs).")
    static final class Unset implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Parameters(index = "0", paramLabel = "KIND", description = "processor or pipeline")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME", description = "The processor or pipeline id.")
        String name;

        @Override
        public Integer call() {
            JsonNode r = check(server.client().delete(path(kind, name)), "cannot remove the limit");
            spec.commandLine().getOut().println(kind + " " + name + ": no limit"
                    + (r.path("dispatched").asInt() > 0 ? "; " + r.path("dispatched").asInt() + " waiting task(s) dispatched" : ""));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
