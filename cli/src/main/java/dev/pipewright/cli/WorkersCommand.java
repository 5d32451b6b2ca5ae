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

/** {@code pipewright workers}: workers from their heartbeats. */
@Command(name = "workers", mixinStandardHelpOptions = true,
        description = "List workers from their heartbeats: pools, concurrency, attempts in flight, version, last seen, alive.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:the server refused", "2:usage error or server unreachable"})
public final class WorkersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        JsonNode answer = server.client().getJson("/api/v1/admin/workers", "workers");
        if (json) {
            AdminOutput.printJson(out, answer);
            return 0;
        }
        out.print(render(answer));
        out.flush();
        return 0;
    }

    static String render(JsonNode answer) {
        if (answer.path("workers").isEmpty()) {
            return "no workers\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "ALIVE", "POOLS", "CONCURRENCY", "IN-FLIGHT", "PAUSED", "VERSION", "HOST", "LAST SEEN"});
        for (JsonNode w : answer.path("workers")) {
            rows.add(new String[] {w.path("id").asText(), w.path("alive").asBoolean() ? "yes" : "no", AdminOutput.text(w.get("pools")),
                    AdminOutput.text(w.get("concurrency")), AdminOutput.text(w.get("in_flight")), AdminOutput.text(w.get("paused_pools")),
                    AdminOutput.text(w.get("version")), AdminOutput.text(w.get("host")),
                    AdminOutput.age(w.get("last_seen_ago_ms")) + " ago"});
        }
        return AdminOutput.table(rows);
    }
}
