package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code pipewright dlq list|show|replay|purge}: the dead letters the overseer keeps. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = {"Dead letters: task messages workers could not handle. List and show them; replay re-runs the work",
                "(a re-run from failure of the job once it has ended); purge deletes them."},
        subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Show.class, DlqCommand.Replay.class, DlqCommand.Purge.class})
public final class DlqCommand extends GroupCommand {
    /** --job, --processor, --reason (and --id for replay and purge). */
    static class Selector {
        @Option(names = "--job", paramLabel = "JOB", description = "Only dead letters of this job.")
        String job;

        @Option(names = "--processor", paramLabel = "NAME", description = "Only dead letters of tasks run by this processor.")
        String processor;

        @Option(names = "--reason", paramLabel = "TEXT",
                description = "Only dead letters whose reason is this code (rejected, delivery_limit, expired) or contains this text.")
        String reason;

        boolean any() {
            return job != null || processor != null || reason != null;
        }

        Map<String, Object> body() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("job", job);
            m.put("processor", processor);
            m.put("reason", reason);
            return m;
        }
    }

    static final Table<JsonNode> DEAD_LETTERS = new Table<JsonNode>()
            .column("ID", d -> d.path("id").asText())
            .column("AT", d -> Instant.ofEpochMilli(d.path("at").asLong()).toString())
            .column("JOB", d -> Cells.text(d.get("job")))
            .column("NODE", d -> Cells.text(d.get("node")))
            .column("PROCESSOR", d -> Cells.text(d.get("processor")))
            .column("POOL", d -> Cells.text(d.get("pool")))
            .column("REASON", d -> Cells.text(d.get("reason_code")))
            .column("TASK", d -> Cells.text(d.get("task")))
            .ifEmpty("no dead letters\n");

    /** What every dlq command but show takes: the server, the selector and --json. */
    abstract static class Selecting extends AnswerCommand {
        @Mixin
        Selector selector = new Selector();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List dead letters, newest first.")
    static final class ListDeadLetters extends Selecting {
        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder("/api/v1/admin/dlq?limit=" + limit);
            selector.body().forEach((k, v) -> {
                if (v != null) {
                    q.append('&').append(k).append('=').append(ApiClient.encode(v.toString()));
                }
            });
            return getAndShow(q.toString(), "dead letters", ListDeadLetters::render);
        }

        /** The table, and how many of all that match it shows when the limit cut it. */
        static String render(JsonNode r) {
            JsonNode shown = r.path("dead_letters");
            String table = DEAD_LETTERS.render(shown);
            int total = r.path("total").asInt();
            return !shown.isEmpty() && total > shown.size() ? table + "(" + shown.size() + " of " + total + " shown)\n" : table;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one dead letter with its message body.")
    static final class Show extends ServerCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The dead letter's id (from dlq list).")
        String id;

        @Override
        public Integer call() {
            Output.json(out(), client().getJson("/api/v1/admin/dlq/" + ApiClient.encode(id), "dead letter " + id));
            return 0;
        }
    }

    /**
     * What replay and purge share: which dead letters, --dry-run, and the call. The action is the
     * command's own name (replay, purge): the CLI names these changes as the API does.
     */
    abstract static class Change extends Selecting {
        @Option(names = "--id", paramLabel = "ID", description = "Only this dead letter.")
        String id;

        @Option(names = "--all", description = "Every dead letter (needed when no selector is given).")
        boolean all;

        @Option(names = "--dry-run", description = "Show what would be done, change nothing.")
        boolean dryRun;

        abstract int render(JsonNode r, PrintWriter out);

        @Override
        public Integer call() {
            String action = spec.name();
            if (!selector.any() && id == null && !all) {
                throw CliException.usage("dlq " + action + ": give --id, --job, --processor or --reason, or --all for every dead letter");
            }
            Map<String, Object> body = selector.body();
            body.put("id", id);
            if (all) {
                body.put("all", true);
            }
            body.put("dry_run", dryRun);
            JsonNode r = ApiClient.expectAllProblems(client().postJson("/api/v1/admin/dlq/" + action, body), "cannot " + action + " dead letters");
            if (json) {
                Output.json(out(), r);
                return 0;
            }
            int exit = render(r, out());
            out().flush();
            return exit;
        }
    }

    static final Table<JsonNode> RESULTS = new Table<JsonNode>()
            .column("ID", x -> x.path("id").asText())
            .column("JOB", x -> Cells.text(x.get("job")))
            .column("NODE", x -> Cells.text(x.get("node")))
            .column("ACTION", x -> x.path("action").asText())
            .column("NEW JOB", x -> Cells.text(x.get("new_job")))
            .column("DETAIL", x -> Cells.text(x.get("detail")))
            .ifEmpty("");

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Re-run what matching dead letters stopped: once a job has ended FAILED or CANCELLED because of one,",
                    "start a re-run from failure (reusing what succeeded) and remove its records. Prints the new job ids."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:done (skipped records are listed with the reason)", "1:a re-run could not be started", "2:usage error"})
    static final class Replay extends Change {
        @Override
        int render(JsonNode r, PrintWriter out) {
            boolean error = false;
            for (JsonNode x : r.path("results")) {
                error |= "error".equals(x.path("action").asText());
            }
            out.print(RESULTS.render(r.path("results")));
            out.println((r.path("dry_run").asBoolean() ? "dry run: " : "") + r.path("matched").asInt() + " matched, "
                    + r.path("replayed").asInt() + " replayed");
            return error ? CliException.FAILURE : 0;
        }
    }

    @Command(name = "purge", mixinStandardHelpOptions = true,
            description = "Delete matching dead letters (with --all also any message still on the dead-letter queue).")
    static final class Purge extends Change {
        @Override
        int render(JsonNode r, PrintWriter out) {
            if (r.path("dry_run").asBoolean()) {
                out.println("dry run: would purge " + r.path("matched").asInt() + " dead letter(s): " + Cells.text(r.get("ids")));
            } else {
                out.println("purged " + r.path("purged").asInt() + " dead letter(s)"
                        + (r.path("queue_messages_purged").asLong() > 0 ? " and " + r.path("queue_messages_purged").asLong()
                        + " message(s) from the dead-letter queue" : ""));
            }
            return 0;
        }
    }
}
