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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright runs create|list|get|jobs}: runs are named collections of jobs of one pipeline. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "Create, list and show runs (collections of jobs of one pipeline).",
        subcommands = {RunsCommand.Create.class, RunsCommand.ListRuns.class, RunsCommand.Get.class, RunsCommand.RunJobs.class})
public final class RunsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: create, list, get or jobs");
    }

    static String path(String id) {
        return "/api/v1/runs/" + ApiClient.encode(id);
    }

    static final String[] HEADER = {"ID", "NAME", "STATUS", "PRIORITY", "JOBS", "OK", "FAILED", "PIPELINE", "CREATED"};

    static String[] row(JsonNode r) {
        return new String[] {r.path("id").asText(), Listing.dash(r.get("name")), Listing.dash(r.get("status")),
                Listing.dash(r.get("priority")), r.path("num_jobs").asText(), r.path("num_successful_jobs").asText(),
                r.path("num_failed_jobs").asText(), r.path("pipeline_id").asText() + " v" + r.path("pipeline_version").asText(),
                Listing.dash(r.get("created_at"))};
    }

    @Command(name = "create", description = "Create an empty run of a pipeline; prints its id.")
    static final class Create implements Callable<Integer> {
        @Mixin
        HelpOption help = new HelpOption();

        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Parameters(index = "0", paramLabel = "PIPELINE")
        String pipeline;
        @Option(names = "--name", paramLabel = "NAME")
        String name;
        @Option(names = "--priority", paramLabel = "low|medium|high", description = "Default: low.")
        String priority;
        @Option(names = "--tag", paramLabel = "NAME=VALUE", description = "A tag. Repeatable.")
        List<String> tags = new ArrayList<>();
        @Option(names = "--context", paramLabel = "NAME=VALUE", description = "A domain_context entry (text). Repeatable.")
        List<String> context = new ArrayList<>();
        @Option(names = "--version", paramLabel = "V", description = "Pipeline version (default: latest).")
        Integer version;
        @Option(names = "--json", description = "Print the created run as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("pipeline_id", pipeline);
            if (name != null) {
                body.put("name", name);
            }
            if (priority != null) {
                body.put("priority", priority);
            }
            if (version != null) {
                body.put("version", version);
            }
            Map<String, String> t = new LinkedHashMap<>();
            tags.forEach(s -> {
                JobArgs.KeyValue kv = JobArgs.split("--tag", s);
                t.put(kv.key(), kv.value());
            });
            body.put("tags", t);
            Map<String, String> c = new LinkedHashMap<>();
            context.forEach(s -> {
                JobArgs.KeyValue kv = JobArgs.split("--context", s);
                c.put(kv.key(), kv.value());
            });
            body.put("domain_context", c);
            JsonNode run = ApiClient.expect(server.client().postJson("/api/v1/runs", body), "run refused");
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Listing.printJson(out, run);
            } else {
                out.println(run.path("id").asText());
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.")
    static final class ListRuns implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Mixin
        Listing listing = new Listing();
        @Option(names = "--status", paramLabel = "STATUS", description = "PENDING, RUNNING, COMPLETED, PARTIALLY_COMPLETED, ERRORED or CANCELLED (comma-separated).")
        String status;
        @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium or high (comma-separated).")
        String priority;
        @Option(names = "--pipeline", paramLabel = "PIPELINE")
        String pipeline;
        @Option(names = "--owner", paramLabel = "OWNER")
        String owner;
        @Option(names = "--tag", paramLabel = "NAME[:VALUE]", description = "Only runs with this tag (and value).")
        String tag;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("status", status);
            f.put("priority", priority);
            f.put("pipeline", pipeline);
            f.put("owner", owner);
            f.put("tag", tag);
            listing.print(server.client(), "/api/v1/runs", f, "runs", "listing runs", spec.commandLine().getOut(),
                    spec.commandLine().getErr(), HEADER, RunsCommand::row);
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a run with its job counters and status.")
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Parameters(index = "0", paramLabel = "RUN")
        String id;
        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode r = ApiClient.expect(server.client().get(path(id)), "run " + id);
            if (json) {
                Listing.printJson(out, r);
                return 0;
            }
            out.printf("%-11s %s%n", "run:", r.path("id").asText() + " (" + r.path("name").asText() + ")");
            out.printf("%-11s %s%n", "pipeline:", r.path("pipeline_id").asText() + " v" + r.path("pipeline_version").asText());
            out.printf("%-11s %s%n", "status:", r.path("status").asText());
            out.printf("%-11s %s%n", "priority:", r.path("priority").asText());
            out.printf("%-11s %s total, %s succeeded, %s failed, %s running%n", "jobs:", r.path("num_jobs").asText(),
                    r.path("num_successful_jobs").asText(), r.path("num_failed_jobs").asText(), r.path("num_running_jobs").asText());
            out.printf("%-11s %s%n", "tags:", r.path("tags").toString());
            out.printf("%-11s %s%n", "context:", r.path("domain_context").toString());
            out.printf("%-11s %s%n", "owner:", Listing.dash(r.get("owner")));
            out.printf("%-11s %s%n", "created:", Listing.dash(r.get("created_at")));
            out.printf("%-11s %s%n", "updated:", Listing.dash(r.get("last_updated_at")));
            out.flush();
            return 0;
        }
    }

    @Command(name = "jobs", mixinStandardHelpOptions = true, description = "List a run's jobs, newest first.")
    static final class RunJobs implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Mixin
        Listing listing = new Listing();
        @Parameters(index = "0", paramLabel = "RUN")
        String id;
        @Option(names = "--status", paramLabel = "STATUS", description = "Job status filter (comma-separated).")
        String status;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("status", status);
            listing.print(server.client(), path(id) + "/jobs", f, "jobs", "jobs of run " + id, spec.commandLine().getOut(),
                    spec.commandLine().getErr(), JobsCommand.HEADER, JobsCommand::row);
            return 0;
        }
    }
}
