package dev.pipewright.overseer.api;

import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.schedule.CronSchedule;
import dev.pipewright.overseer.schedule.ScheduleStore;
import dev.pipewright.protocol.parse.PipelineParser;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.pipewright.overseer.api.Requests.json;

/**
 * The schedule as the API shows it ({@code schedule} of a pipeline) and the pause and resume
 * operations. Pausing or resuming needs the pipeline's owner (its first version's, or the one
 * whose version set the schedule) or an admin.
 */
public final class ScheduleRoutes implements Routes {
    private final ScheduleStore schedules;
    private final PipelineStore pipelines;

    public ScheduleRoutes(ScheduleStore schedules, PipelineStore pipelines) {
        this.schedules = schedules;
        this.pipelines = pipelines;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("pauseSchedule", ctx -> json(ctx, 200, pause(ctx)));
        ops.put("resumeSchedule", ctx -> json(ctx, 200, resume(ctx)));
        return ops;
    }

    /**
     * {@code {cron, start_date, end_date, timezone, next_run_at, paused, last_run_at, last_job_id,
     * last_error}} of the pipeline's active schedule, or null when it has none. Times are ISO-8601
     * in the schedule's zone; {@code next_run_at} is null while paused and once the end date has passed.
     */
    public Map<String, Object> view(String pipelineId) throws Exception {
        ScheduleStore.Active a = schedules.find(pipelineId);
        return a == null ? null : view(a);
    }

    static Map<String, Object> view(ScheduleStore.Active a) {
        CronSchedule cron = a.cron();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cron", a.schedule().cron());
        out.put("start_date", a.schedule().startDate());
        out.put("end_date", a.schedule().endDate());
        out.put("timezone", cron.zone().getId());
        out.put("next_run_at", a.nextMs() == null ? null : cron.local(Instant.ofEpochMilli(a.nextMs())));
        out.put("paused", a.paused());
        out.put("last_run_at", a.lastFireMs() == null ? null : cron.local(Instant.ofEpochMilli(a.lastFireMs())));
        out.put("last_job_id", a.lastJob());
        out.put("last_error", a.lastError());
        return out;
    }

    /** {@code POST /api/v1/pipelines/{id}/schedule/pause}: {@code {id, schedule}}. */
    public Map<String, Object> pause(RoutingContext ctx) throws Exception {
        String id = permitted(ctx, "pause");
        schedules.pause(id);
        return answer(id);
    }

    /** {@code POST /api/v1/pipelines/{id}/schedule/resume}: {@code {id, schedule}}; the next fire is the first cron time after now. */
    public Map<String, Object> resume(RoutingContext ctx) throws Exception {
        String id = permitted(ctx, "resume");
        schedules.resume(id);
        return answer(id);
    }

    private Map<String, Object> answer(String id) throws Exception {
        Map<String, Object> view = view(id);
        if (view == null) {
            throw ApiException.conflict("pipeline '" + id + "' has no schedule (its latest version declares none)");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("schedule", view);
        return out;
    }

    /** The pipeline of the path, when it has a schedule and the caller may pause or resume it. */
    private String permitted(RoutingContext ctx, String what) throws Exception {
        String id = ctx.pathParam("id");
        PipelineStore.Summary pipeline = PipelineParser.NAME.matcher(id).matches() ? pipelines.summary(id) : null;
        if (pipeline == null) {
            throw ApiException.notFound("no pipeline '" + id + "'");
        }
        ScheduleStore.Active active = schedules.find(id);
        Principal who = AuthHandler.principal(ctx);
        if (!who.canSee(pipeline.owner()) && (active == null || !who.canSee(active.owner()))) {
            throw new ApiException(403, "forbidden", "only the pipeline's owner ('" + pipeline.owner() + "') or an admin may "
                    + what + " its schedule", List.of());
        }
        if (active == null) {
            throw ApiException.conflict("pipeline '" + id + "' has no schedule (its latest version declares none)");
        }
        return id;
    }
}
