package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** {@code pipewright jobs list|get|start|delete}. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = "List, show, start and delete jobs.",
        subcommands = {JobsCommand.ListJobs.class, JobsCommand.Get.class, JobsCommand.Start.class, JobsCommand.Delete.class})
public final class JobsCommand extends GroupCommand {
    /** The jobs table of {@code jobs list} and {@code runs jobs}. */
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("ID", j -> j.path("id").asText())
            .column("NAME", j -> Cells.text(j.get("name")))
            .column("STATUS", j -> Cells.text(j.get("status")))
            .column("PROGRESS", j -> Cells.text(j.get("progress")))
            .column("STAGE", j -> Cells.text(j.get("stage")))
            .column("PRIORITY", j -> Cells.text(j.get("priority")))
            .column("RUN", j -> Cells.text(j.get("run_id")))
            .column("PIPELINE", Cells::pipelineVersion)
            .column("CREATED", j -> Cells.text(j.get("created_at")));

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
    static final class ListJobs extends ListCommand {
        @Option(names = "--status", paramLabel = "STATUS", description = "READY, PENDING, RUNNING, CANCELLING, SUCCESS, FAILED or CANCELLED (comma-separated).")
        String status;
        @Mixin
        PriorityPipelineOwner by = new PriorityPipelineOwner();
        @Option(names = "--run", paramLabel = "RUN")
        String run;
        @Option(names = "--trigger", paramLabel = "TRIGGER", description = "manual or schedule (jobs a pipeline's schedule fired).")
        String trigger;

        @Override
        public Integer call() {
            return listing.print(this, "/api/v1/jobs", Listing.filters("status", status, "priority", by.priority, "pipeline", by.pipeline,
                    "run", run, "owner", by.owner, "trigger", trigger), "jobs", "listing jobs", TABLE);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Show a job and up to its first " + StatusCommand.DEFAULT_MAX_TASKS + " tasks (as 'pipewright status JOB'; it has options for more).")
    static final class Get extends ServerCommand {
        @Parameters(index = "0", paramLabel = "JOB")
        String job;
        @Option(names = "--json", description = "Print the server's job view as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode view = StatusCommand.view(client(), job, List.of(), StatusCommand.DEFAULT_MAX_TASKS);
            Output.show(out(), json, view, StatusCommand::render);
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a built job (submitted with --no-start); starting it again changes nothing.")
    static final class Start extends ServerCommand {
        @Parameters(index = "0", paramLabel = "JOB")
        String job;
        @Mixin
        WaitOptions wait = new WaitOptions();

        @Override
        public Integer call() {
            Duration limit = wait.limit();
            ApiClient client = client();
            JsonNode r = ApiClient.expect(client.postJson(Jobs.path(job) + "/start", Map.of()), "cannot start job " + job);
            return wait.printOrAwait(client, job, limit, r, out(), err(), a -> out().println("job " + job + ": "
                    + a.path("status").asText() + (a.path("started").asBoolean() ? "" : " (already started)")));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete an ended job at once (its owner or an admin; refused while it has not ended: cancel it first).",
                    "Its tasks, consumables and logs go as when its retention period passes; its run still counts it;"
                            + " outputs written to the data store stay."})
    static final class Delete extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "JOB")
        String job;

        @Override
        public Integer call() {
            JsonNode r = ApiClient.expect(client().delete(Jobs.path(job)), "cannot delete job " + job);
            Output.showPrinted(out(), json, r, a -> out().println("job " + job + " deleted"));
            return 0;
        }
    }
}
