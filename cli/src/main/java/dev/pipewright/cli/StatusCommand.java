package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code pipewright status JOB}: a job's status, progress, timings and tasks. The summary and the
 * tasks are read apart ({@code ?tasks=false}, then pages of {@code /tasks}), up to {@code --max-tasks}.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show a job: status, progress, timings and a table of its tasks (at most --max-tasks of them,",
                "read a page at a time)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:no such job or the server refused", "2:usage error or server unreachable"})
public final class StatusCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "JOB", description = "The job id.")
    String job;

    @Option(names = "--json", description = {"Print the job as JSON: the server's summary with the tasks read as 'tasks'",
            "(and 'tasks_next_page_after', the cursor of GET /api/v1/jobs/JOB/tasks, when more remain)."})
    boolean json;

    @Option(names = "--max-tasks", paramLabel = "N", defaultValue = "" + DEFAULT_MAX_TASKS,
            description = "Show at most N tasks (default: ${DEFAULT-VALUE}; 0: none).")
    int maxTasks;

    @Option(names = "--all-tasks", description = "Show every task, however many (read 1,000 a page).")
    boolean allTasks;

    @Option(names = "--task-status", paramLabel = "STATUS", split = ",",
            description = "Only tasks in these states, e.g. FAILED,SKIPPED (task states: PENDING, READY, RUNNING, RETRY_WAIT, "
                    + "SUCCESS, FAILED, TIMED_OUT, CANCELLED, SKIPPED).")
    List<String> taskStatuses = new ArrayList<>();

    static final int DEFAULT_MAX_TASKS = 1000;

    @Override
    public Integer call() {
        if (maxTasks < 0) {
            throw CliException.usage("--max-tasks " + maxTasks + ": expected 0 or more");
        }
        JsonNode view = view(client(), job, taskStatuses, allTasks ? Integer.MAX_VALUE : maxTasks);
        Output.show(out(), json, view, StatusCommand::render);
        return 0;
    }

    /**
     * The job's summary ({@code ?tasks=false}) with up to {@code maxTasks} of its tasks, in the
     * states asked for (none: all), read from {@code /tasks} a page at a time, as {@code tasks}; when
     * more remain, their cursor as {@code tasks_next_page_after}.
     */
    static final Table<JsonNode> TASKS = new Table<JsonNode>()
            .column("NODE", t -> t.path("node").asText())
            .column("PROCESSOR", t -> Cells.text(t.get("processor")))
            .column("STATUS", t -> Cells.text(t.get("status")))
            .column("ATTEMPTS", t -> Cells.text(t.get("attempts")))
            .column("TIME", StatusCommand::taskTime)
            .column("WORKER", t -> Cells.text(t.get("worker")))
            .column("ERROR", t -> firstLine(t.get("error")));

    static ObjectNode view(ApiClient client, String job, List<String> statuses, int maxTasks) {
        JsonNode summary = client.getJson(Jobs.path(job) + "?tasks=false", "job " + job);
        if (!(summary instanceof ObjectNode view)) {
            throw CliException.failure("job " + job + ": the server answered " + ApiClient.abbreviate(summary.toString()));
        }
        if (maxTasks > 0) {
            List<String> wanted = statuses.stream().map(String::trim).filter(x -> !x.isEmpty()).toList();
            JobPages.Tasks tasks = JobPages.tasks(client, job, wanted, maxTasks);
            ArrayNode rows = view.putArray("tasks");
            tasks.rows().forEach(rows::add);
            if (tasks.more() != null) {
                view.put("tasks_next_page_after", tasks.more());
            }
        }
        return view;
    }

    static String render(JsonNode v) {
        StringBuilder sb = new StringBuilder();
        JsonNode counts = v.path("counts");
        line(sb, "job", v.path("id").asText());
        line(sb, "pipeline", v.path("pipeline_id").asText("?") + " v" + v.path("pipeline_version").asText("?"));
        line(sb, "status", v.path("status").asText("?") + "  " + v.path("progress").asText("?")
                + "  (succeeded " + counts.path("succeeded").asInt() + ", failed " + counts.path("failed").asInt()
                + ", skipped " + counts.path("skipped").asInt() + ", total " + counts.path("total").asInt() + ")");
        if ("schedule".equals(v.path("trigger").asText())) {
            line(sb, "trigger", "schedule, for " + v.path("scheduled_for").asText());
        }
        line(sb, "created", Cells.text(v.get("created_at")));
        line(sb, "started", Cells.text(v.get("started_at")));
        line(sb, "finished", Cells.text(v.get("finished_at")));
        JsonNode d = v.get("duration_ms");
        line(sb, "duration", d == null || d.isNull() ? "-" : String.format(java.util.Locale.ROOT, "%.1f ms", d.asDouble()));
        if (v.path("parameters").size() > 0) {
            line(sb, "parameters", v.path("parameters").toString());
        }
        if (v.path("outputs").size() > 0) {
            line(sb, "outputs", v.path("outputs").toString());
        }
        if (v.path("pruned").size() > 0) {
            line(sb, "pruned", list(v.path("pruned")));
        }
        if (v.path("stage").size() > 0) {
            line(sb, "running", list(v.path("stage")));
        }
        JsonNode tasks = v.path("tasks");
        if (tasks.isArray() && !tasks.isEmpty()) {
            sb.append('\n');
            sb.append(TASKS.render(tasks));
        }
        if (v.hasNonNull("tasks_next_page_after")) {
            int total = counts.path("total").asInt();
            int shown = tasks.size();
            sb.append(total > shown ? "… up to " + (total - shown) + " more tasks" : "… more tasks")
                    .append(" (--all-tasks, --max-tasks N or --task-status S to see them)\n");
        }
        return sb.toString();
    }

    private static String taskTime(JsonNode t) {
        JsonNode s = t.get("started_us");
        JsonNode e = t.get("ended_us");
        if (s == null || e == null || !s.isNumber() || !e.isNumber()) {
            return "-";
        }
        return String.format(java.util.Locale.ROOT, "%.1f ms", (e.asLong() - s.asLong()) / 1000.0);
    }

    private static void line(StringBuilder sb, String label, String value) {
        sb.append(String.format("%-11s %s%n", label + ":", value));
    }

    private static String list(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(n.asText()));
        return String.join(", ", items);
    }

    private static String firstLine(JsonNode n) {
        String s = Jobs.text(n);
        if (s == null || s.isBlank()) {
            return "";
        }
        s = s.strip();
        int nl = s.indexOf('\n');
        if (nl >= 0) {
            s = s.substring(0, nl) + " …";
        }
        return s.length() > 120 ? s.substring(0, 120) + "…" : s;
    }
}
