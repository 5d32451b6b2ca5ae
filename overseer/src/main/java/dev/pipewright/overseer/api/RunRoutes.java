package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.overseer.api.view.Pages;
import dev.pipewright.overseer.jobs.JobMeta;
import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.runs.RunStore;
import dev.pipewright.protocol.keys.RunId;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Priority;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.state.RunStatus;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.overseer.api.Requests.cursor;
import static dev.pipewright.overseer.api.Requests.filterValues;
import static dev.pipewright.overseer.api.Requests.json;
import static dev.pipewright.overseer.api.Requests.jsonBody;
import static dev.pipewright.overseer.api.Requests.owner;
import static dev.pipewright.overseer.api.Requests.ownerFilter;
import static dev.pipewright.overseer.api.Requests.pageAfter;
import static dev.pipewright.overseer.api.Requests.pageSize;

/** Runs: create, list (filtered by the run store), show, submit a job into one, list its jobs. */
final class RunRoutes implements Routes {
    private static final Set<String> RUN_SUBMIT_FIELDS = Set.of("parameters", "inputs", "outputs", "start", "config", "job_name");
    private static final Set<String> RUN_FIELDS = Set.of("pipeline_id", "name", "priority", "tags", "domain_context", "version");
    private static final List<String> RUN_STATUSES = java.util.Arrays.stream(RunStatus.values()).map(Enum::name).toList();

    private final RunStore runs;
    private final PipelineStore pipelines;
    private final JobReader jobs;
    private final JobRoutes jobRoutes;

    RunRoutes(RunStore runs, PipelineStore pipelines, JobReader jobs, JobRoutes jobRoutes) {
        this.runs = runs;
        this.pipelines = pipelines;
        this.jobs = jobs;
        this.jobRoutes = jobRoutes;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("createRun", this::createRun);
        ops.put("listRuns", this::listRuns);
        ops.put("getRun", this::getRun);
        ops.put("submitRunJob", this::submitToRun);
        ops.put("listRunJobs", this::listRunJobs);
        return ops;
    }

    // ---------------------------------------------------------------- runs

    private void createRun(RoutingContext ctx) throws Exception {
        RequestBody b = new RequestBody(jsonBody(ctx), RUN_FIELDS);
        String pipelineId = b.text("pipeline_id", true);
        String name = b.text("name", false);
        Priority priority = Priority.parse(b.oneOfAnyCase("priority", Priority.NAMES, Priority.RUN_DEFAULT));
        Map<String, String> tags = b.textMap("tags");
        Map<String, Object> domain = b.object("domain_context");
        Integer version = null;
        JsonNode v = jsonBody(ctx).get("version");
        if (v != null && !v.isNull()) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
                b.problem("version", "expected a version number (1 or more)");
            } else {
                version = v.asInt();
            }
        }
        if (pipelineId != null && !PipelineParser.NAME.matcher(pipelineId).matches()) {
            b.problem("pipeline_id", "no pipeline '" + pipelineId + "'");
        }
        b.check("the run");
        StoredPipeline p = pipelines.find(pipelineId, version);
        if (p == null) {
            StoredPipeline latest = version == null ? null : pipelines.find(pipelineId, null);
            if (latest != null) {
                // the same answer as a submit naming a version its pipeline lacks
                throw ApiException.badRequest("invalid_request", "pipeline '" + pipelineId + "' has no version " + version,
                        List.of(new Problem("version", "pipeline '" + pipelineId + "' has no version " + version
                                + " (its latest is " + latest.version() + ")")));
            }
            throw ApiException.badRequest("invalid_request", "no pipeline '" + pipelineId + "'",
                    List.of(new Problem("pipeline_id", "no pipeline '" + pipelineId + "'")));
        }
        RunId id = runs.create(new RunStore.NewRun(name, p.id(), p.version(), priority, tags, domain, owner(ctx)));
        json(ctx, 201, runs.view(runs.find(id)));
    }

    private RunStore.Run run(RoutingContext ctx) throws Exception {
        String id = ctx.pathParam("id");
        RunStore.Run run = RunId.isValid(id) ? runs.find(new RunId(id)) : null;
        if (run == null || !AuthHandler.principal(ctx).canSee(run.owner())) {
            // someone else's run looks like no run at all (below admin)
            throw ApiException.notFound("no run '" + id + "'");
        }
        return run;
    }

    private void getRun(RoutingContext ctx) throws Exception {
        json(ctx, 200, runs.view(run(ctx)));
    }

    private void submitToRun(RoutingContext ctx) throws Exception {
        RunStore.Run run = run(ctx);
        JobRoutes.JobRequest r = JobRoutes.parseJobRequest(jsonBody(ctx), RUN_SUBMIT_FIELDS);
        StoredPipeline stored = pipelines.find(run.pipelineId(), run.pipelineVersion());
        if (stored == null) {
            throw ApiException.conflict("the run's pipeline '" + run.pipelineId() + "' v" + run.pipelineVersion() + " no longer exists");
        }
        jobRoutes.createJob(ctx, stored, r.request().withMeta(JobMeta.NONE.withName(r.name()).withRun(run.id().value())
                .withPriority(run.priority()).withOwner(owner(ctx)).withInfra(r.infra())), run.id());
    }

    private void listRuns(RoutingContext ctx) throws Exception {
        int size = pageSize(ctx);
        String after = pageAfter(ctx);
        Set<String> statuses = filterValues(ctx, "status", RUN_STATUSES);
        Set<String> priorities = filterValues(ctx, "priority", Priority.NAMES);
        Set<String> pipelineIds = filterValues(ctx, "pipeline", null);
        pipelineIds.addAll(filterValues(ctx, "pipeline_id", null));
        Set<String> owners = ownerFilter(ctx);
        Map<String, String> tags = new LinkedHashMap<>();
        for (String t : ctx.queryParams().getAll("tag")) {
            int sep = t.indexOf(':') >= 0 ? t.indexOf(':') : t.indexOf('=');
            if (t.isBlank() || sep == 0) {
                throw ApiException.badRequest("query parameter tag must be NAME or NAME:VALUE, got '" + t + "'", "tag");
            }
            tags.put(sep < 0 ? t : t.substring(0, sep), sep < 0 ? null : t.substring(sep + 1));
        }
        IndexScan.Position from = cursor(after);
        RunStore.Filter filter = new RunStore.Filter(statuses, priorities, pipelineIds, owners, tags);
        json(ctx, 200, Pages.of(runs.page(filter, from, size), Pages.Runs::new));
    }

    private void listRunJobs(RoutingContext ctx) throws Exception {
        RunStore.Run run = run(ctx);
        JobReader.Filter f = JobRoutes.jobFilter(ctx);
        // as GET /jobs/{id}: below admin, a job someone else (an admin) submitted into your run is not shown
        JobReader.Filter inRun = f.withRuns(Set.of(run.id().value())).withOwners(ownerFilter(ctx));
        json(ctx, 200, Pages.of(jobs.page(inRun, pageAfter(ctx), pageSize(ctx)), Pages.Jobs::new));
    }
}
