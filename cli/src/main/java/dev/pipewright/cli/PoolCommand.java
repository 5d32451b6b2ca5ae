package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** {@code pipewright pool pause|resume|drain POOL}. */
@Command(name = "pool", mixinStandardHelpOptions = true,
        description = {"Pause, resume or drain a pool. Paused: workers stop taking its messages (they wait in the queue);",
                "running attempts are never interrupted. Drain: pause, then wait until none of its attempts runs."},
        subcommands = {PoolCommand.Pause.class, PoolCommand.Resume.class, PoolCommand.Drain.class})
public final class PoolCommand extends GroupCommand {
    /** What every pool command takes: the pool and --json. */
    abstract static class OnePool extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "POOL", description = "The pool.")
        String pool;


        JsonNode post(ApiClient client, String action, String query) {
            return ApiClient.expectAllProblems(client.postJson("/api/v1/admin/pools/" + ApiClient.encode(pool) + "/" + action + query, Map.of()),
                    "cannot " + action + " pool " + pool);
        }
    }

    /**
     * What pause and resume share: the call and the line that reports it. The action is the
     * command's own name (pause, resume): the CLI names these changes as the API does.
     */
    abstract static class Change extends OnePool {
        @Override
        public Integer call() {
            JsonNode r = post(client(), spec.name(), "");
            Output.showPrinted(out(), json, r, a -> out().println("pool " + pool + ": " + (a.path("paused").asBoolean() ? "paused" : "consuming")
                    + (a.path("broadcast").asBoolean(true) ? "" : " (workers apply it at their next heartbeat)")));
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Workers stop consuming the pool's queue.")
    static final class Pause extends Change {
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Workers consume the pool's queue again.")
    static final class Resume extends Change {
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Pause the pool, then wait (up to --timeout) until none of its attempts is in flight.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:drained", "1:attempts still in flight at the timeout (listed), or the server refused",
                    "2:usage error or server unreachable"})
    static final class Drain extends OnePool {
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "How long to wait, e.g. 90s, 5m (default: ${DEFAULT-VALUE}, at most 1h).")
        String timeout;

        @Override
        public Integer call() {
            long seconds = seconds(timeout);
            PrintWriter out = out();
            // the server waits up to the timeout before it answers
            ApiClient client = new ApiClient(server.url(), server.token(), Duration.ofSeconds(seconds + 60));
            JsonNode r = post(client, "drain", "?timeout=" + seconds);
            boolean drained = r.path("drained").asBoolean();
            if (json) {
                Output.json(out, r);
            } else if (drained) {
                out.println("pool " + pool + ": paused and drained (waited " + Cells.age(r.get("waited_ms")) + ")");
            } else {
                out.println("pool " + pool + ": paused, NOT drained after " + Cells.age(r.get("waited_ms")) + ": "
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

    /** --timeout in seconds, from "90", "90s", "2m" or "1h": whole seconds up to an hour. */
    static long seconds(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("ms")) {
            throw CliException.usage("--timeout: give whole seconds, minutes or hours (e.g. 90s, 2m), not '" + s + "'");
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = 3600;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t) * unit;
            if (v < 0 || v > 3600) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw CliException.usage("--timeout: expected a duration from 0s to 1h such as 90s or 2m, got '" + s + "'");
        }
    }
}
