package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code pipewright queues}: per pool, ready and unacked messages, consumers, oldest message age. */
@Command(name = "queues", mixinStandardHelpOptions = true,
        description = {"Show each pool's queue: messages ready, deliveries unacked (from worker heartbeats), attempts in flight,",
                "consumers, live workers, the oldest dispatched-but-unclaimed task's age, and whether the pool is paused."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the server refused", "2:usage error or server unreachable"})
public final class QueuesCommand extends AnswerCommand {
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("POOL", q -> q.path("pool").asText())
            .column("READY", q -> Cells.text(q.get("ready")))
            .column("UNACKED", q -> Cells.text(q.get("unacked")))
            .column("IN-FLIGHT", q -> Cells.text(q.get("in_flight")))
            .column("CONSUMERS", q -> Cells.text(q.get("consumers")))
            .column("WORKERS", q -> Cells.text(q.get("workers")))
            .column("OLDEST", q -> Cells.age(q.get("oldest_age_ms")))
            .column("PAUSED", q -> Cells.yesNo(q.get("paused")));

    @Override
    public Integer call() {
        return getAndShow("/api/v1/admin/queues", "queues", QueuesCommand::render);
    }

    static String render(JsonNode answer) {
        return TABLE.render(answer.path("queues"));
    }
}
