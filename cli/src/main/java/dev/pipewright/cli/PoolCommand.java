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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright pool pause|resume|drain POOL}. */
@Command(name = "pool", mixinStandardHelpOptions = true,
        description = {"Pause, resume or drain a pool. Paused: workers stop taking its messages (they wait in the queue);",
                "running attempts are never interrupted. Drain: pause, then wait until none of its attempts runs."},
        subcommands = {PoolCommand.Pause.class, PoolCommand.Resume.class, PoolCommand.Drain.class})
public final class PoolCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: pause, resume or drain");
    }

    abstract static class Change implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Parameters(index = "0", paramLabel = "POOL", description = "The pool.")
        String pool;

        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        abstract String action();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode r = AdminOutput.post(server.client(), "/api/v1/admin/pools/" + ApiClient.encode(pool) + "/" + action(), Map.of(),
                    "cannot " + action() + " pool " + pool);
            if (json) {
                AdminOutput.printJson(out, r);
            } else {
                out.println("pool " + pool + ": " + (r.path("paused").asBoolean() ? "paused" : "consuming")
                        + (r.path("broadcast").asBoolean(true) ? "" : " (workers apply it at their next heartbeat)"));
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Workers stop consuming the pool's queue.")
    static final class Pause extends Change {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Workers consume the pool's queue again.")
    static final class Resume extends Change {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Pause the pool, then wait (up to --timeout) until none of its attempts is in flight.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:drained", "1:attempts still in flight at the timeout (listed), or the server refused",
                    "2:usage error or server unreachable"})
    static final class Drain implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Parameters(index = "0", paramLabel = "POOL", description = "The pool.")
        String pool;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "How long to wait, e.g. 90s, 5m (default: ${DEFAULT-VALUE}, at most 1h).")
        String timeout;

        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        @Override
        public Integer call() {
            long seconds = AdminOutput.seconds(timeout);
            PrintWriter out = spec.commandLine().getOut();
            ApiClient client = new ApiClient(server.url(), server.token(), Duration.ofSeconds(seconds + 60));
            JsonNode r = AdminOutput.post(client, "/api/v1/admin/pools/" + ApiClient.encode(pool) + "/drain?timeout=" + seconds,
                    Map.of(), "cannot drain pool " + pool);
            boolean drained = r.path("drained").asBoolean();
            if (json) {
                AdminOutput.printJson(out, r);
            } else if (drained) {
                out.println("pool " + pool + ": paused and drained (waited " + AdminOutput.age(r.get("waited_ms")) + ")");
            } else {
                out.println("pool " + pool + ": paused, NOT drained after " + AdminOutput.age(r.get("waited_ms")) + ": "
                        + r.path("in_flight").asInt() + " attempt(s) in flight, " + r.path("unacked").asInt() + " delivery(ies) unacked");
                for (JsonNode w : r.path("remaining_workers")) {
                    out.println("  worker " + w.path("id").asText() + ": in flight " + w.path("in_flight").asInt() + ", unacked "
                            + w.path("unacked").asInt() + (w.path("paused").asBoolean() ? "" : ", has not applied the pause yet"));
                }
            }
            out.flush();
            return drained ? 0 : CliException.FAILURE;
        }
    }
}
