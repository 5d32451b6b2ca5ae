package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code pipewright workers}: workers from their heartbeats. */
@Command(name = "workers", mixinStandardHelpOptions = true,
        description = "List workers from their heartbeats: pools, concurrency, attempts in flight, version, last seen, alive.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the server refused", "2:usage error or server unreachable"})
public final class WorkersCommand extends AnswerCommand {
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("ID", w -> w.path("id").asText())
            .column("ALIVE", w -> Cells.yesNo(w.get("alive")))
            .column("POOLS", w -> Cells.text(w.get("pools")))
            .column("CONCURRENCY", w -> Cells.text(w.get("concurrency")))
            .column("IN-FLIGHT", w -> Cells.text(w.get("in_flight")))
            .column("PAUSED", w -> Cells.text(w.get("paused_pools")))
            .column("VERSION", w -> Cells.text(w.get("version")))
            .column("HOST", w -> Cells.text(w.get("host")))
            .column("LAST SEEN", w -> Cells.age(w.get("last_seen_ago_ms")) + " ago")
            .ifEmpty("no workers\n");

    @Override
    public Integer call() {
        return getAndShow("/api/v1/admin/workers", "workers", WorkersCommand::render);
    }

    static String render(JsonNode answer) {
        return TABLE.render(answer.path("workers"));
    }
}
