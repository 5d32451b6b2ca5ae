package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pipewright set-aside}: what the shards set aside because it kept failing (GET /api/v1/admin/set-aside). */
@Command(name = "set-aside", mixinStandardHelpOptions = true,
        description = {"What the shards set aside because it kept failing, newest first.",
                "An event, timer or lease expiry out of retries, or outputs the data store refused; each one's job failed with the reason."})
public final class SetAsideCommand extends AnswerCommand {
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("AT", r -> r.path("at").asText())
            .column("SHARD", r -> r.path("shard").asText())
            .column("KIND", r -> r.path("kind").asText())
            .column("JOB", r -> r.path("job").asText(""))
            .column("NODE", r -> r.path("node").asText(""))
            .column("JOB NOW", r -> r.path("effect").asText(""))
            .column("REASON", r -> r.path("reason").asText())
            .ifEmpty("nothing set aside\n");

    @Option(names = "--shard", paramLabel = "N", description = "One shard only.")
    Integer shard;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N records (default 100).")
    int limit;

    @Override
    public Integer call() {
        String path = "/api/v1/admin/set-aside?limit=" + limit + (shard == null ? "" : "&shard=" + shard);
        return getAndShow(path, "cannot list what was set aside", a -> TABLE.render(a.path("set_aside")));
    }
}
