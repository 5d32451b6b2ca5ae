package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code pipewright runs create|list|get|jobs}: runs are named collections of jobs of one pipeline. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "Create, list and show runs (collections of jobs of one pipeline).",
        subcommands = {RunsCommand.Create.class, RunsCommand.ListRuns.class, RunsCommand.Get.class, RunsCommand.RunJobs.class})
public final class RunsCommand extends GroupCommand {
    static String path(String id) {
        return "/api/v1/runs/" + ApiClient.encode(id);
    }

    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("ID", r -> r.path("id").asText())
            .column("NAME", r -> Cells.text(r.get("name")))
            .column("STATUS", r -> Cells.text(r.get("status")))
            .column("PRIORITY", r -> Cells.text(r.get("priority")))
            .column("JOBS", r -> r.path("num_jobs").asText())
            .column("OK", r -> r.path("num_successful_jobs").asText())
            .column("FAILED", r -> r.path("num_failed_jobs").asText())
            .column("PIPELINE", Cells::pipelineVersion)
            .column("CREATED", r -> Cells.text(r.get("created_at")));

    @Command(name = "create", description = "Create an empty run of a pipeline; prints its id.")
    static final class Create extends ServerCommand {
        @Mixin
        HelpOption help = new HelpOption();

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
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("pipeline_id", pipeline);
            JobArgs.putGiven(body, "name", name);
            JobArgs.putGiven(body, "priority", priority);
            JobArgs.putGiven(body, "version", version);
            body.put("tags", JobArgs.texts("--tag", tags));
            body.put("domain_context", JobArgs.texts("--context", context));
            JsonNode run = ApiClient.expect(client().postJson("/api/v1/runs", body), "run refused");
            Output.showPrinted(out(), json, run, r -> out().println(r.path("id").asText()));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.")
    static final class ListRuns extends ListCommand {
        @Option(names = "--status", paramLabel = "STATUS", description = "PENDING, RUNNING, COMPLETED, PARTIALLY_COMPLETED, ERRORED or CANCELLED (comma-separated).")
        String status;
        @Mixin
        PriorityPipelineOwner by = new PriorityPipelineOwner();
        @Option(names = "--tag", paramLabel = "NAME[:VALUE]", description = "Only runs with this tag (and value).")
        String tag;

        @Override
        public Integer call() {
            return listing.print(this, "/api/v1/runs", Listing.filters("status", status, "priority", by.priority, "pipeline", by.pipeline,
                    "owner", by.owner, "tag", tag), "runs", "listing runs", TABLE);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a run with its job counters and status.")
    static final class Get extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "RUN")
        String id;

        @Override
        public Integer call() {
            PrintWriter out = out();
            JsonNode run = ApiClient.expect(client().get(path(id)), "run " + id);
            Output.showPrinted(out, json, run, r -> {
                Output.line(out, "run", r.path("id").asText() + " (" + r.path("name").asText() + ")");
                Output.line(out, "pipeline", Cells.pipelineVersion(r));
                Output.line(out, "status", r.path("status").asText());
                Output.line(out, "priority", r.path("priority").asText());
                Output.line(out, "jobs", r.path("num_jobs").asText() + " total, " + r.path("num_successful_jobs").asText() + " succeeded, "
                        + r.path("num_failed_jobs").asText() + " failed, " + r.path("num_running_jobs").asText() + " running");
                Output.line(out, "tags", r.path("tags").toString());
                Output.line(out, "context", r.path("domain_context").toString());
                Output.line(out, "owner", Cells.text(r.get("owner")));
                Output.line(out, "created", Cells.text(r.get("created_at")));
                Output.line(out, "updated", Cells.text(r.get("last_updated_at")));
            });
            return 0;
        }
    }

    @Command(name = "jobs", mixinStandardHelpOptions = true, description = "List a run's jobs, newest first.")
    static final class RunJobs extends ListCommand {
        @Parameters(index = "0", paramLabel = "RUN")
        String id;
        @Option(names = "--status", paramLabel = "STATUS", description = "Job status filter (comma-separated).")
        String status;

        @Override
        public Integer call() {
            return listing.print(this, path(id) + "/jobs", Listing.filters("status", status), "jobs", "jobs of run " + id, JobsCommand.TABLE);
        }
    }
}
