package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code pipewright queues}: per pool, ready and unacked messages, consumers, oldest message age. */
@Command(name = "queues", mixinStandardHelpOptions = true,
        description = {"Show each pool's queue: messages ready, deliveries unacked (from worker heartbeats), attempts in flight,",
                "consumers, live workers, the oldest dispatched-but-unclaimed task's age, and whether the pool is paused."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the server refused", "2:usage error or server unreachable"})
public final class QueuesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        JsonNode answer = server.client().getJson("/api/v1/admin/queues", "queues");
        if (json) {
            AdminOutput.printJson(out, answer);
            return 0;
        }
        out.print(render(answer));
        out.flush();
        return 0;
    }

    static String render(JsonNode answer) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"POOL", "READY", "UNACKED", "IN-FLIGHT", "CONSUMERS", "WORKERS", "OLDEST", "PAUSED"});
        for (JsonNode q : answer.path("queues")) {
            rows.add(new String[] {q.path("pool").asText(), AdminOutput.text(q.get("ready")), AdminOutput.text(q.get("unacked")),
                    AdminOutput.text(q.get("in_flight")), AdminOutput.text(q.get("consumers")), AdminOutput.text(q.get("workers")),
                    AdminOutput.age(q.get("oldest_age_ms")), q.path("paused").asBoolean() ? "yes" : "no"});
        }
        return AdminOutput.table(rows);
    }
}
