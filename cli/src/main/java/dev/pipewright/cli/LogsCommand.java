package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;

/** {@code pipewright logs JOB [-f]}: a job's task logs; {@code -f} follows them live until the job ends. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Print a job's task log lines as '<node> #<attempt> <line>'.",
                "-f follows them live (Server-Sent Events) until the job ends, showing status changes on stderr."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:printed (with -f: the job succeeded)", "1:no such job, or it did not succeed", "2:usage error or server unreachable"})
public final class LogsCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "JOB")
    String job;

    @Option(names = {"-f", "--follow"}, description = "Follow the logs until the job ends.")
    boolean follow;

    @Option(names = "--node", paramLabel = "NODE", description = "Only this process node's lines.")
    String node;

    @Option(names = "--attempt", paramLabel = "N", description = "Only the lines of attempt N (1 is the first try).")
    Integer attempt;

    @Option(names = "--json", description = "Without -f: the server's answer; with -f: one JSON event per line ({event, data}).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        ApiClient client = client();
        if (attempt != null && attempt < 1) {
            throw CliException.usage("--attempt " + attempt + ": attempts are numbered from 1");
        }
        java.util.List<String> query = new java.util.ArrayList<>();
        if (node != null) {
            query.add("node=" + ApiClient.encode(node));
        }
        if (attempt != null) {
            query.add("attempt=" + attempt);
        }
        String nodeQuery = String.join("&", query);
        if (!follow) {
            JsonNode logs = ApiClient.expect(client.get(Jobs.path(job) + "/logs" + (nodeQuery.isEmpty() ? "" : "?" + nodeQuery)), "logs of job " + job);
            Output.showPrinted(out, json, logs, l -> {
                for (Iterator<Map.Entry<String, JsonNode>> it = l.path("logs").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    for (JsonNode line : e.getValue()) {
                        out.println(e.getKey() + " #" + line.path("attempt").asText() + " " + line.path("line").asText());
                    }
                }
            });
            return 0;
        }
        String[] end = {null};
        String[] lastStatus = {null};
        client.events(Jobs.path(job) + "/logs?follow=true" + (nodeQuery.isEmpty() ? "" : "&" + nodeQuery), "logs of job " + job,
                (event, data) -> {
                    JsonNode d;
                    try {
                        d = ApiClient.JSON.readTree(data);
                    } catch (Exception e) {
                        return true;
                    }
                    if (json) {
                        out.println(ApiClient.JSON.createObjectNode().put("event", event).set("data", d).toString());
                        out.flush();
                    } else if (event.equals("log")) {
                        out.println(d.path("node").asText() + " #" + d.path("attempt").asText() + " " + d.path("line").asText());
                        out.flush();
                    } else if (event.equals("status")) {
                        String line = d.path("status").asText() + " " + d.path("progress").asText();
                        if (!line.equals(lastStatus[0])) {
                            err.println("job " + job + ": " + line);
                            err.flush();
                            lastStatus[0] = line;
                        }
                    }
                    if (event.equals("end")) {
                        end[0] = d.path("status").asText();
                        return false;
                    }
                    return true;
                });
        if (end[0] == null) {
            throw CliException.failure("the server closed the log stream of job " + job + " before the job ended");
        }
        if (!json) {
            err.println("job " + job + " " + end[0]);
            err.flush();
        }
        return "SUCCESS".equals(end[0]) ? 0 : CliException.FAILURE;
    }
}
