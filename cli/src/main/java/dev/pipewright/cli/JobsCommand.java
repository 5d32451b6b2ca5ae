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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright jobs list|get|start}. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = "List, show and start jobs.",
        subcommands = {JobsCommand.ListJobs.class, JobsCommand.Get.class, JobsCommand.Start.class})
public final class JobsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: list, get or start");
    }

    static final String[] HEADER = {"ID", "NAME", "STATUS", "PROGRESS", "STAGE", "PRIORITY", "RUN", "PIPELINE", "CREATED"};

    static String[] row(JsonNode j) {
        List<String> stage = new java.util.ArrayList<>();
        j.path("stage").forEach(n -> stage.add(n.asText()));
        return new String[] {j.path("id").asText(), Listing.dash(j.get("name")), Listing.dash(j.get("status")),
                Listing.dash(j.get("progress")), stage.isEmpty() ? "-" : String.join(",", stage), Listing.dash(j.get("priority")),
                Listing.dash(j.get("run_id")), j.path("pipeline_id").asText() + " v" + j.path("pipeline_version").asText(),
                Listing.dash(j.get("created_at"))};
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
    static final class ListJobs implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Mixin
        Listing listing = new Listing();
        @Option(names = "--status", paramLabel = "STATUS", description = "READY, PENDING, RUNNING, CANCELLING, SUCCESS, FAILED or CANCELLED (comma-separated).")
        String status;
        @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium or high (comma-separated).")
        String priority;
        @Option(names = "--pipeline", paramLabel = "PIPELINE")
        String pipeline;
        @Option(names = "--run", paramLabel = "RUN")
        String run;
        @Option(names = "--owner", paramLabel = "OWNER")
        String owner;
        @Option(names = "--trigger", paramLabel = "TRIGGER", description = "manual or schedule (jobs a pipeline's schedule fired).")
        String trigger;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("status", status);
            f.put("priority", priority);
            f.put("pipeline", pipeline);
            f.put("run", run);
            f.put("owner", owner);
            f.put("trigger", trigger);
            listing.print(server.client(), "/api/v1/jobs", f, "jobs", "listing jobs", spec.commandLine().getOut(),
                    spec.commandLine().getErr(), HEADER, JobsCommand::row);
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Show a job and up to its first " + StatusCommand.DEFAULT_MAX_TASKS + " tasks (as 'pipewright status JOB'; it has options for more).")
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Parameters(index = "0", paramLabel = "JOB")
        String job;
        @Option(names = "--json", description = "Print the server's job view as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode view = StatusCommand.view(server.client(), job, List.of(), StatusCommand.DEFAULT_MAX_TASKS);
            if (json) {
                Listing.printJson(out, view);
            } else {
                out.print(StatusCommand.render(view));
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a built job (submitted with --no-start); starting it again changes nothing.")
    static final class Start implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ServerOptions server = new ServerOptions();
        @Parameters(index = "0", paramLabel = "JOB")
        String job;
        @Option(names = "--wait", description = "Wait until the job ends, showing its progress on stderr.")
        boolean await;
        @Option(names = "--timeout", paramLabel = "DURATION", description = "With --wait: stop waiting after this long.")
        String timeout;
        @Option(names = "--json", description = "Print the server's answer (with --wait: the ended job's view) as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Duration limit = Jobs.duration("--timeout", timeout);
            ApiClient client = server.client();
            JsonNode r = ApiClient.expect(client.postJson(Jobs.path(job) + "/run", Map.of()), "cannot start job " + job);
            if (!await) {
                if (json) {
                    Listing.printJson(out, r);
                } else {
                    out.println("job " + job + ": " + r.path("status").asText() + (r.path("started").asBoolean() ? "" : " (already started)"));
                    out.flush();
                }
                return 0;
            }
            JsonNode done = Jobs.await(client, job, limit, 50, 1000, line -> {
                err.println(line);
                err.flush();
            });
            if (json) {
                Listing.printJson(out, done);
            } else {
                out.println(job + " " + done.path("status").asText());
                out.flush();
            }
            return "SUCCESS".equals(done.path("status").asText()) ? 0 : CliException.FAILURE;
        }
    }
}
