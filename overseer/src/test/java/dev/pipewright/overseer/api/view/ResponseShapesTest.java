package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.admin.DeadLetterViews;
import dev.pipewright.overseer.admin.PoolViews;
import dev.pipewright.overseer.auth.TokenView;
import dev.pipewright.overseer.jobs.ConsumableRow;
import dev.pipewright.overseer.jobs.JobAnswers;
import dev.pipewright.overseer.jobs.JobLogs;
import dev.pipewright.overseer.jobs.JobView;
import dev.pipewright.overseer.jobs.LogLineView;
import dev.pipewright.overseer.jobs.TaskRow;
import dev.pipewright.overseer.schedule.ScheduleView;
import dev.pipewright.protocol.pipeline.Problem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The answers' records write the JSON the maps they replaced wrote, to the byte: keys in the
 * contract's order and spelling, unknown values as JSON null, and only the keys that are shown
 * when they apply ever left out.
 */
class ResponseShapesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String json(Object o) throws Exception {
        return JSON.writeValueAsString(o);
    }

    @Test
    void aTaskRowKeepsNullsAndShowsTheOptionalKeysOnlyWhenTheyApply() throws Exception {
        assertEquals("{\"node\":\"t\",\"processor\":null,\"pool\":null,\"status\":\"PENDING\",\"attempts\":0,\"worker\":null,"
                        + "\"started_at\":null,\"ended_at\":null,\"started_us\":null,\"ended_us\":null,\"error\":null}",
                json(new TaskRow("t", null, null, "PENDING", 0, null, null, null, null, null, null, null, null, null, null)));
        assertEquals("{\"node\":\"t\",\"processor\":\"p\",\"pool\":\"default\",\"status\":\"READY\",\"attempts\":1,\"worker\":\"w\","
                        + "\"started_at\":\"s\",\"ended_at\":null,\"started_us\":1700000000000001,\"ended_us\":null,\"error\":null,"
                        + "\"waiting_for\":\"a slot\",\"reused_from\":\"j0\"}",
                json(new TaskRow("t", "p", "default", "READY", 1, "w", "s", null, 1700000000000001L, null, null, "a slot", "j0", null, null)));
    }

    @Test
    void aConsumableShowsItsValueOneWayOrNotAtAll() throws Exception {
        assertEquals("{\"node\":\"d\",\"content_type\":\"text/plain\",\"size\":2,\"value\":\"hi\"}",
                json(new ConsumableRow("d", "text/plain", 2, "hi", null)));
        assertEquals("{\"node\":\"b\",\"content_type\":null,\"size\":1,\"value_base64\":\"AA==\"}",
                json(new ConsumableRow("b", null, 1, null, "AA==")));
        assertEquals("{\"node\":\"l\",\"content_type\":\"text/plain\",\"size\":5000}", json(new ConsumableRow("l", "text/plain", 5000, null, null)));
    }

    @Test
    void aJobListsItsKeysInTheContractsOrder() throws Exception {
        JobView job = new JobView("j", "j", null, "medium", "ann", new JobView.Config(null), "p", 1, "FAILED", "1/2", true, true,
                new JobView.Counts(2, 0, 1, 1, 0, 0, 0, 0, 0), "c", "s", "f", 1L, 2L, 3L, "f", 0.002, Map.of(), List.of(), List.of("x"),
                "boom", null, null, "manual", null, null, List.of(), "e");
        assertEquals("{\"id\":\"j\",\"name\":\"j\",\"run_id\":null,\"priority\":\"medium\",\"owner\":\"ann\",\"config\":{},"
                + "\"pipeline_id\":\"p\",\"pipeline_version\":1,\"status\":\"FAILED\",\"progress\":\"1/2\",\"finished\":true,\"errored\":true,"
                + "\"counts\":{\"total\":2,\"succeeded\":0,\"failed\":1,\"skipped\":1,\"cancelled\":0,\"pending\":0,\"ready\":0,\"running\":0,"
                + "\"retry_wait\":0},\"created_at\":\"c\",\"started_at\":\"s\",\"finished_at\":\"f\",\"created_us\":1,\"started_us\":2,"
                + "\"finished_us\":3,\"last_updated_at\":\"f\",\"duration_ms\":0.002,\"parameters\":{},\"outputs\":[],\"pruned\":[\"x\"],"
                + "\"reason\":\"boom\",\"trigger\":\"manual\",\"scheduled_for\":null,\"stage\":[],\"expires_at\":\"e\"}", json(job));
        assertEquals("{\"infra\":{\"cpu\":0.5}}", json(new JobView.Config(Map.of("cpu", 0.5))));
    }

    @Test
    void theShortAnswersOfJobsAndLogs() throws Exception {
        assertEquals("{\"id\":\"j\",\"status\":\"RUNNING\"}", json(new JobAnswers.Accepted("j", "RUNNING", null)));
        assertEquals("{\"id\":\"j\",\"status\":\"READY\",\"run_id\":\"r\"}", json(new JobAnswers.Accepted("j", "READY", "r")));
        assertEquals("{\"id\":\"k\",\"status\":\"RUNNING\",\"retry_of\":\"j\"}", json(new JobAnswers.Retried("k", "RUNNING", "j")));
        assertEquals("{\"attempt\":1,\"line\":\"x\"}", json(new LogLineView(1, "x", null)));
        assertEquals("{\"attempt\":1,\"line\":\"x\",\"at\":\"1970-01-01T00:00:00.001Z\"}",
                json(LogLineView.of(new JobLogs.LogLine(1, "x", 1L))));
        assertEquals("{\"status\":\"GONE\"}", json(new LogEvents.End("GONE", null)));
        assertEquals("{\"status\":\"SUCCESS\",\"progress\":\"2/2\"}", json(new LogEvents.End("SUCCESS", "2/2")));
    }

    @Test
    void envelopes() throws Exception {
        assertEquals("{\"error\":{\"code\":\"bad_request\",\"message\":\"m\",\"problems\":[{\"path\":\"p\",\"message\":\"m\"}]}}",
                json(ErrorBody.of("bad_request", "m", List.of(new Problem("p", "m")))));
        assertEquals("{\"jobs\":[],\"next_page_after\":null}", json(new Pages.Jobs(List.of(), null)));
        assertEquals("{\"status\":\"UP\",\"pid\":7}", json(new Probes.Health("UP", 7)));
    }

    @Test
    void adminTokenAndScheduleAnswers() throws Exception {
        assertEquals("{\"id\":\"d\",\"job\":null,\"node\":null,\"action\":\"skip\",\"detail\":\"why\"}",
                json(new DeadLetterViews.Replayed("d", null, null, "skip", null, "why")));
        assertEquals("{\"id\":\"d\",\"job\":\"j\",\"node\":\"n\",\"action\":\"rerun\",\"new_job\":\"k\",\"detail\":\"d\"}",
                json(new DeadLetterViews.Replayed("d", "j", "n", "rerun", "k", "d")));
        assertEquals("{\"pool\":\"p\",\"paused\":false,\"paused_at\":null,\"broadcast\":true}", json(new PoolViews.State("p", false, null, true)));
        assertEquals("{\"id\":\"t\",\"name\":\"n\",\"owner\":\"o\",\"role\":\"read\",\"created_at\":null,\"created_by\":null,"
                + "\"last_used_at\":null,\"source\":\"setting\"}", json(new TokenView("t", "n", "o", "read", null, null, null, "setting", null)));
        assertEquals("{\"cron\":\"* * * * *\",\"start_date\":null,\"end_date\":null,\"timezone\":\"UTC\",\"next_run_at\":null,\"paused\":true,"
                + "\"last_run_at\":null,\"last_job_id\":null,\"last_error\":null}",
                json(new ScheduleView("* * * * *", null, null, "UTC", null, true, null, null, null)));
    }
}
