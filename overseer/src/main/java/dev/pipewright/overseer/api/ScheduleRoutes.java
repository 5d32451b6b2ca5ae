package dev.pipewright.overseer.api;

import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.schedule.ScheduleStore;
import dev.pipewright.overseer.schedule.ScheduleView;
import dev.pipewright.protocol.parse.PipelineParser;
import io.vertx.ext.web.RoutingContext;

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

    /** The pipeline's active schedule, or null when it has none. */
    public ScheduleView view(String pipelineId) throws Exception {
        ScheduleStore.Active a = schedules.find(pipelineId);
        return a == null ? null : ScheduleView.of(a);
    }

    /** {@code POST /api/v1/pipelines/{id}/schedule/pause}: {@code {id, schedule}}. */
    public ScheduleView.Changed pause(RoutingContext ctx) throws Exception {
        String id = permitted(ctx, "pause");
        schedules.pause(id);
        return answer(id);
    }

    /** {@code POST /api/v1/pipelines/{id}/schedule/resume}: {@code {id, schedule}}; the next fire is the first cron time after now. */
    public ScheduleView.Changed resume(RoutingContext ctx) throws Exception {
        String id = permitted(ctx, "resume");
        schedules.resume(id);
        return answer(id);
    }

    private ScheduleView.Changed answer(String id) throws Exception {
        ScheduleView view = view(id);
        if (view == null) {
            throw ApiException.conflict("pipeline '" + id + "' has no schedule (its latest version declares none)");
        }
        return new ScheduleView.Changed(id, view);
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
