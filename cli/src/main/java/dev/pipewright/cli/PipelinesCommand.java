package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** {@code pipewright pipelines create|list|get|versions|delete|schedule}. */
@Command(name = "pipelines", mixinStandardHelpOptions = true,
        description = "Register, list, show and delete stored pipelines; pause and resume their schedules.",
        subcommands = {PipelinesCommand.Create.class, PipelinesCommand.ListPipelines.class, PipelinesCommand.Get.class,
                PipelinesCommand.Versions.class, PipelinesCommand.Delete.class, PipelinesCommand.ScheduleCommand.class})
public final class PipelinesCommand extends GroupCommand {
    static String path(String id) {
        return "/api/v1/pipelines/" + ApiClient.encode(id);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Register a pipeline file (YAML or JSON) without running a job: its first version, or a new one.",
                    "Prints the pipeline id and version. Refused when the file has problems (each printed with its location)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:registered", "1:invalid, or refused by the server", "2:usage error, unreadable file or server unreachable"})
    static final class Create extends ServerCommand {
        @Parameters(index = "0", paramLabel = "FILE", description = "The pipeline file.")
        String file;
        @Mixin
        PipelineNames.NameOption naming = new PipelineNames.NameOption();
        @Option(names = "--json", description = "Print the server's answer ({id, version, name}) as JSON.")
        boolean json;

        @Override
        public Integer call() {
            String text = PipelineFiles.read(java.nio.file.Path.of(file), file);
            String id = naming.id(PipelineFiles.parseValid(file, text), file);
            JsonNode r = ApiClient.expect(PipelineFiles.register(client(), id, file, text), "cannot register pipeline '" + id + "'");
            Output.showPrinted(out(), json, r, a -> out().println(a.path("id").asText() + " v" + a.path("version").asText()));
            return 0;
        }
    }

    /** What the commands about one stored pipeline take: its id and --json. */
    abstract static class OnePipeline extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "PIPELINE")
        String id;
    }

    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("ID", p -> p.path("id").asText())
            .column("LATEST", p -> "v" + p.path("latest_version").asText())
            .column("OWNER", p -> Cells.text(p.get("owner")))
            .column("UPDATED", p -> Cells.text(p.get("updated_at")));

    static final Table<JsonNode> VERSIONS = new Table<JsonNode>()
            .column("VERSION", v -> "v" + v.path("version").asText())
            .column("OWNER", v -> Cells.text(v.get("owner")))
            .column("CREATED", v -> Cells.text(v.get("created_at")));

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List pipelines, most recently updated first.")
    static final class ListPipelines extends ListCommand {
        @Option(names = "--owner", description = "Only this owner's pipelines.")
        String owner;

        @Override
        public Integer call() {
            return listing.print(this, "/api/v1/pipelines", Listing.filters("owner", owner), "pipelines", "listing pipelines", TABLE);
        }
    }

    @Command(name = "get", description = "Show a pipeline (latest version, or --version).")
    static final class Get extends OnePipeline {
        @Mixin
        HelpOption help = new HelpOption();

        @Option(names = "--version", paramLabel = "V")
        Integer version;
        @Option(names = "--source", description = "Print only the pipeline's source text.")
        boolean source;

        @Override
        public Integer call() {
            PrintWriter out = out();
            JsonNode pipeline = ApiClient.expect(client().get(path(id) + (version == null ? "" : "?version=" + version)), "pipeline " + id);
            Output.showPrinted(out, json, pipeline, p -> {
                if (source) {
                    out.print(p.path("source").asText());
                    return;
                }
                Output.line(out, "pipeline", p.path("id").asText() + " v" + p.path("version").asText()
                        + " (latest v" + p.path("latest_version").asText() + ")");
                Output.line(out, "owner", Cells.text(p.get("owner")));
                Output.line(out, "created", Cells.text(p.get("created_at")));
                Output.line(out, "updated", Cells.text(p.get("updated_at")));
                Output.line(out, "process", join(p.path("process_nodes")));
                Output.line(out, "data", join(p.path("data_nodes")));
                Output.line(out, "parameters", join(p.path("parameters")));
                if (p.hasNonNull("retention")) {
                    // only when the pipeline sets one: otherwise the installation's PW_JOB_RETENTION applies
                    Output.line(out, "retention", p.path("retention").asText() + " (ended jobs are then removed)");
                }
                Output.line(out, "schedule", schedule(p.path("schedule")));
                JsonNode s = p.path("schedule");
                if (s.isObject()) {
                    Output.line(out, "next run", nextRun(s));
                    if (s.hasNonNull("last_run_at")) {
                        Output.line(out, "last run", s.path("last_run_at").asText() + " job " + Cells.text(s.get("last_job_id"))
                                + (s.hasNonNull("last_error") ? " refused: " + s.path("last_error").asText() : ""));
                    }
                }
            });
            return 0;
        }

        /** {@code 5 10 * * * (Europe/Paris), from 2022-01-01 00:00 to 2022-12-31 00:00}, or {@code -}. */
        static String schedule(JsonNode s) {
            if (!s.isObject()) {
                return "-";
            }
            StringBuilder b = new StringBuilder(s.path("cron").asText()).append(" (").append(s.path("timezone").asText()).append(")");
            if (s.hasNonNull("start_date")) {
                b.append(", from ").append(s.path("start_date").asText());
            }
            if (s.hasNonNull("end_date")) {
                b.append(s.hasNonNull("start_date") ? " to " : ", until ").append(s.path("end_date").asText());
            }
            return b.toString();
        }

        static String nextRun(JsonNode s) {
            if (s.path("paused").asBoolean()) {
                return "- (paused: pipewright pipelines schedule resume)";
            }
            return s.hasNonNull("next_run_at") ? s.path("next_run_at").asText() : "- (the end date has passed)";
        }

        private static String join(JsonNode list) {
            List<String> out = new ArrayList<>();
            list.forEach(n -> out.add(n.asText()));
            return out.isEmpty() ? "-" : String.join(", ", out);
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true, description = "List a pipeline's versions.")
    static final class Versions extends OnePipeline {

        @Override
        public Integer call() {
            JsonNode v = ApiClient.expect(client().get(path(id) + "/versions"), "versions of pipeline " + id);
            Output.show(out(), json, v, a -> VERSIONS.render(a.path("versions")));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete a pipeline (its owner or an admin; refused while any of its jobs has not ended).",
                    "Its ended jobs stay readable; posting the same id again starts a new pipeline whose versions number on."})
    static final class Delete extends OnePipeline {

        @Override
        public Integer call() {
            JsonNode r = ApiClient.expect(client().delete(path(id)), "cannot delete pipeline " + id);
            Output.showPrinted(out(), json, r, a -> out().println("pipeline " + id + " deleted (" + a.path("versions").asText() + " version(s))"));
            return 0;
        }
    }

    @Command(name = "schedule", mixinStandardHelpOptions = true, description = "Pause or resume a pipeline's schedule.",
            subcommands = {PauseSchedule.class, ResumeSchedule.class})
    static final class ScheduleCommand extends GroupCommand {
    }

    /**
     * What pause and resume share: the call and what is printed. The action is the command's own
     * name (pause, resume): the CLI names these changes as the API does.
     */
    abstract static class ScheduleChange extends OnePipeline {
        @Override
        public Integer call() {
            String action = spec.name();
            JsonNode r = ApiClient.expect(client().post(path(id) + "/schedule/" + action, "application/json", new byte[0]),
                    "cannot " + action + " the schedule of pipeline " + id);
            Output.showPrinted(out(), json, r, a -> {
                JsonNode s = a.path("schedule");
                out().println("pipeline " + id + ": schedule " + Get.schedule(s) + (s.path("paused").asBoolean() ? " paused" : " running")
                        + "; next run " + Get.nextRun(s));
            });
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Stop firing the pipeline's schedule (its owner or an admin).")
    static final class PauseSchedule extends ScheduleChange {
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Fire the pipeline's schedule again, from its next cron time after now (nothing missed while paused runs).")
    static final class ResumeSchedule extends ScheduleChange {
    }
}
