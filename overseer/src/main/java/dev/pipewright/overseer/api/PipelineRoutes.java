package dev.pipewright.overseer.api;

import dev.pipewright.overseer.api.view.Pages;
import dev.pipewright.overseer.api.view.PipelineDetail;
import dev.pipewright.overseer.api.view.Validation;
import dev.pipewright.overseer.config.InputLimits;
import dev.pipewright.overseer.graph.Graphs;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.PipelineViews;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.typed.TypedData;
import dev.pipewright.protocol.data.DataPaths;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Durations;
import dev.pipewright.protocol.pipeline.Parameter;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.render.GraphFormat;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.overseer.api.Requests.bodyText;
import static dev.pipewright.overseer.api.Requests.cursor;
import static dev.pipewright.overseer.api.Requests.drawing;
import static dev.pipewright.overseer.api.Requests.filterValues;
import static dev.pipewright.overseer.api.Requests.graphFormat;
import static dev.pipewright.overseer.api.Requests.intParam;
import static dev.pipewright.overseer.api.Requests.json;
import static dev.pipewright.overseer.api.Requests.listParam;
import static dev.pipewright.overseer.api.Requests.owner;
import static dev.pipewright.overseer.api.Requests.pageAfter;
import static dev.pipewright.overseer.api.Requests.pageSize;
import static dev.pipewright.overseer.api.Requests.versionParam;

/** Pipelines: validate, store, list, show (with its schedule), version, delete, plan and draw. */
final class PipelineRoutes implements Routes {
    private final PipelineParser parser;
    private final PipelineStore pipelines;
    private final ScheduleRoutes schedules;

    /** Prefixes full s3:// sources may name (PW_S3_SOURCES). */
    private List<S3Uri> allowedSources = List.of();

    /** Memoisation, when stores are behind the routes (null: none): the cache rule at create and the plan's cache view. */
    private CacheRoutes cache;

    void cache(CacheRoutes cache) {
        this.cache = cache;
    }

    void allowedSources(List<S3Uri> allowed) {
        this.allowedSources = List.copyOf(allowed);
    }

    PipelineRoutes(PipelineParser parser, PipelineStore pipelines, ScheduleRoutes schedules) {
        this.parser = parser;
        this.pipelines = pipelines;
        this.schedules = schedules;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("validatePipeline", this::validate);
        ops.put("createPipeline", this::createPipeline);
        ops.put("listPipelines", this::listPipelines);
        ops.put("getPipeline", this::getPipeline);
        ops.put("deletePipeline", this::deletePipeline);
        ops.put("listPipelineVersions", this::pipelineVersions);
        ops.put("planPipeline", this::plan);
        ops.put("drawPipeline", this::pipelineGraph);
        return ops;
    }

    private void validate(RoutingContext ctx) {
        PipelineParser.Result r = parse(ctx, bodyText(ctx));
        json(ctx, 200, Validation.of(r.valid(), r.problems(), HttpApi.limits(ctx).maxProblems()));
    }

    /**
     * The document parsed, and refused when it has more process nodes than one job may run
     * ({@code PW_MAX_JOB_TASKS}): no job of it could run whole, and storing it is what the limit spares.
     */
    private PipelineParser.Result parse(RoutingContext ctx, String source) {
        PipelineParser.Result r = parser.parse(source);
        if (!r.valid()) {
            return r;
        }
        InputLimits limits = HttpApi.limits(ctx);
        List<Problem> over = new ArrayList<>();
        for (DataNode d : r.pipeline().dataNodes().values()) {
            // a full s3:// source outside every allowed prefix could never be used: said now, as text
            String problem = d.source() == null ? null : DataPaths.allowedProblem(d.source(), allowedSources);
            if (problem != null) {
                over.add(new Problem("dataNodes." + d.name() + ".source", problem));
            }
        }
        // each schema is a valid draft 2020-12 schema, and a static config fits its config schema
        over.addAll(TypedData.pipelineProblems(r.pipeline()));
        if (cache != null) {
            // cache: on a node whose processor the workers announced non-deterministic (none announced yet: checked at submit)
            over.addAll(cache.refusals(r.pipeline()));
        }
        if (r.pipeline().processNodes().size() > limits.maxJobTasks()) {
            over.add(new Problem("processNodes", "the pipeline has " + r.pipeline().processNodes().size()
                    + " process nodes; a job may run at most " + limits.maxJobTasks() + " tasks (PW_MAX_JOB_TASKS): split the pipeline"));
        }
        // a default over the parameter caps would refuse every job that takes it (a scheduled one included)
        long total = 0;
        for (Parameter p : r.pipeline().parameters().values()) {
            if (p.defaultValue() != null) {
                int size = jsonSize(p.defaultValue());
                total += size;
                if (size > limits.maxParamBytes()) {
                    over.add(new Problem("parameters." + p.name() + ".default", "the default is " + size
                            + " bytes as JSON; one parameter may be at most " + limits.maxParamBytes() + " (PW_MAX_PARAM_BYTES)"));
                }
            }
        }
        if (total > limits.maxParamsBytes()) {
            over.add(new Problem("parameters", "the defaults are " + total + " bytes as JSON together; a job's parameters may be at most "
                    + limits.maxParamsBytes() + " (PW_MAX_PARAMS_BYTES)"));
        }
        return over.isEmpty() ? r : new PipelineParser.Result(null, List.copyOf(over));
    }

    private static int jsonSize(Object value) {
        try {
            return Requests.JSON.writeValueAsBytes(value).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void createPipeline(RoutingContext ctx) throws Exception {
        String source = bodyText(ctx);
        PipelineParser.Result r = parse(ctx, source);
        if (!r.valid()) {
            throw ApiException.badRequest("invalid_pipeline", "the pipeline has " + r.problems().size() + " problem(s)", r.problems());
        }
        String name = ctx.queryParams().get("name");
        if (name != null && !PipelineParser.NAME.matcher(name).matches()) {
            throw ApiException.badRequest("bad pipeline name '" + name + "'", "name");
        }
        String id = PipelineStore.idFor(name != null ? name : r.pipeline().name(), source);
        PipelineStore.Saved saved = pipelines.saveVersion(id, r, source, owner(ctx), AuthHandler.principal(ctx).isAdmin());
        StoredPipeline stored = saved.pipeline();
        // the name as GET shows it; ?name= sets the id. 200: the latest version already had this source
        json(ctx, saved.added() ? 201 : 200, new PipelineViews.Created(stored.id(), stored.version(), r.pipeline().name() != null ? r.pipeline().name() : id));
    }

    private void listPipelines(RoutingContext ctx) throws Exception {
        int size = pageSize(ctx);
        String after = pageAfter(ctx);
        Set<String> owners = filterValues(ctx, "owner", null);
        IndexScan.Position from = cursor(after);
        IndexScan.Page<PipelineViews.Row> page = IndexScan.page(List.of(pipelines.index()), from, size, IndexScan.BUDGET, ids -> {
            List<PipelineViews.Row> out = new ArrayList<>();
            for (PipelineStore.Summary s : pipelines.summaries(ids)) {
                out.add(s == null || !(owners.isEmpty() || owners.contains(s.owner())) ? null : PipelineViews.Row.of(s));
            }
            return out;
        });
        json(ctx, 200, Pages.of(page, Pages.Pipelines::new));
    }

    private void pipelineVersions(RoutingContext ctx) throws Exception {
        StoredPipeline latest = pipeline(ctx, null);
        List<PipelineViews.Version> out = new ArrayList<>();
        for (PipelineStore.Version v : pipelines.versions(latest.id())) {
            out.add(PipelineViews.Version.of(v));
        }
        json(ctx, 200, new PipelineViews.Versions(latest.id(), latest.version(), out));
    }

    private void deletePipeline(RoutingContext ctx) throws Exception {
        StoredPipeline latest = pipeline(ctx, null);
        PipelineStore.Deleted d = pipelines.delete(latest.id(), owner(ctx), AuthHandler.principal(ctx).isAdmin());
        if (d == null) {
            throw ApiException.notFound("no pipeline '" + latest.id() + "'");
        }
        json(ctx, 200, new PipelineViews.Deleted(latest.id(), true, d.versions(), d.latestVersion()));
    }

    StoredPipeline pipeline(RoutingContext ctx, Integer version) throws Exception {
        String id = ctx.pathParam("id");
        if (!PipelineParser.NAME.matcher(id).matches()) {
            throw ApiException.notFound("no pipeline '" + id + "'");
        }
        StoredPipeline p = pipelines.find(id, version);
        if (p == null) {
            throw ApiException.notFound(version == null ? "no pipeline '" + id + "'" : "pipeline '" + id + "' has no version " + version);
        }
        return p;
    }

    /** The version of a pipeline known to exist, or null when it has no such version. */
    StoredPipeline pipelineVersion(String id, int version) throws Exception {
        return pipelines.find(id, version);
    }

    private void getPipeline(RoutingContext ctx) throws Exception {
        StoredPipeline p = pipeline(ctx, ctx.queryParams().contains("version") ? intParam(ctx, "version", 1, 1, Integer.MAX_VALUE) : null);
        PipelineStore.Summary summary = pipelines.summary(p.id());
        json(ctx, 200, new PipelineDetail(p.id(), p.version(), p.pipeline().name() != null ? p.pipeline().name() : p.id(),
                p.pipeline().description(), java.time.Instant.ofEpochMilli(p.createdAt()).toString(),
                summary == null ? p.version() : summary.latestVersion(), summary == null ? null : summary.owner(),
                summary == null ? null : java.time.Instant.ofEpochMilli(summary.updatedAt()).toString(),
                p.pipeline().dataNodes().keySet(), p.pipeline().processNodes().keySet(), p.pipeline().parameters().keySet(), p.source(),
                schedules.view(p.id()), p.pipeline().retention() == null ? null : Durations.format(p.pipeline().retention())));
    }

    private void plan(RoutingContext ctx) throws Exception {
        StoredPipeline p = pipeline(ctx, versionParam(ctx));
        List<String> outputs = listParam(ctx, "outputs");
        List<String> available = listParam(ctx, "available");
        checkPlan(p, outputs, available);
        PlanView view = PlanView.of(p.graph(), outputs, available);
        json(ctx, 200, cache == null ? view : cache.withCacheView(p, view, new dev.pipewright.overseer.jobs.SubmitRequest(Map.of(), Map.of(),
                outputs, true), available, false, Requests.owner(ctx)));
    }

    private void pipelineGraph(RoutingContext ctx) throws Exception {
        GraphFormat format = graphFormat(ctx);
        StoredPipeline p = pipeline(ctx, versionParam(ctx));
        List<String> outputs = listParam(ctx, "outputs");
        List<String> available = listParam(ctx, "available");
        checkPlan(p, outputs, available);
        drawing(ctx, format, Graphs.pipeline(p, outputs, available));
    }

    private static void checkPlan(StoredPipeline p, List<String> outputs, List<String> available) {
        List<Problem> problems = PlanView.check(p.graph(), outputs, available);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_plan_request", "the plan request has " + problems.size() + " problem(s)", problems);
        }
    }
}
