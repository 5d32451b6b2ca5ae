package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.overseer.cache.CachePlanner;
import dev.pipewright.overseer.cache.CacheStore;
import dev.pipewright.overseer.jobs.JobMeta;
import dev.pipewright.overseer.jobs.SubmitRequest;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.cache.CacheKey;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.overseer.api.Requests.json;
import static dev.pipewright.overseer.api.Requests.jsonBody;

/**
 * Memoised results ({@code /api/v1/cache}, docs/api.md "Memoised results"): list (paged, filtered by
 * pipeline and node), read and delete entries, one or all of a pipeline (or of one of its nodes);
 * and the plan with job input values ({@code POST /pipelines/{id}/plan}), whose cache view says per
 * node whether a result is available and whether the node will run. Reading needs {@code read};
 * deleting is for an admin or the owner of the entry's pipeline.
 */
public final class CacheRoutes implements Routes {
    /** The plan's legend, seed 001's wording with Pipewright's terms. */
    public static final String LEGEND = "Result availability: [*] available - [ ] n/a - [x] no cache. "
            + "Scheduled execution: (H) head - (>) will run - ( ) no run required.";
    private static final Set<String> PLAN_FIELDS = Set.of("parameters", "inputs", "outputs", "available", "cache", "refresh");

    private final PipelineRoutes pipelineRoutes;
    private final PipelineStore pipelines;
    private final JobSubmitter submitter;

    CacheRoutes(PipelineRoutes pipelineRoutes, PipelineStore pipelines, JobSubmitter submitter) {
        this.pipelineRoutes = pipelineRoutes;
        this.pipelines = pipelines;
        this.submitter = submitter;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("listCache", this::list);
        ops.put("deleteCache", this::deleteMatching);
        ops.put("getCacheEntry", this::get);
        ops.put("deleteCacheEntry", this::delete);
        ops.put("planPipelineWithInputs", this::plan);
        return ops;
    }

    private CacheStore store() {
        return submitter.cacheStore();
    }

    /** {@code cache:} on nodes whose processor workers announced as non-deterministic; nothing when Redis cannot say now (submit checks again). */
    List<Problem> refusals(Pipeline pipeline) {
        if (!CachePlanner.anyCached(pipeline, pipeline.processNodes().keySet())) {
            return List.of();
        }
        try {
            return CachePlanner.nonDeterministic(pipeline, store().processors());
        } catch (Exception e) {
            return List.of();
        }
    }

    /** The plan document with its cache view ({@code cache}) added, when the pipeline has nodes with {@code cache:}. */
    Object withCacheView(StoredPipeline p, PlanView view, SubmitRequest request, List<String> available, boolean strict, String owner)
            throws Exception {
        // the plan reads sources as a job of the caller would: from its owner's area or the shared one
        CachePlanner.Resolution r = submitter.planCache(p, request.withMeta(JobMeta.NONE.withOwner(owner)), available, strict);
        if (r == null) {
            return view;
        }
        ObjectNode doc = Requests.JSON.valueToTree(view);
        ObjectNode cache = doc.putObject("cache");
        cache.put("legend", LEGEND);
        ArrayNode nodes = cache.putArray("nodes");
        for (CachePlanner.NodeView n : r.view()) {
            ObjectNode o = nodes.addObject();
            o.put("node", n.node());
            o.put("availability", n.availability());
            o.put("execution", n.execution());
            o.put("marks", CachePlanner.marks(n.availability(), n.execution()));
            o.put("key", n.key());
            o.put("cached_from", n.cachedFrom());
        }
        return doc;
    }

    private void plan(RoutingContext ctx) throws Exception {
        StoredPipeline p = pipelineRoutes.pipeline(ctx, Requests.versionParam(ctx));
        JsonNode body = jsonBody(ctx);
        JobRoutes.JobRequest parsed = JobRoutes.parseJobRequest(withoutAvailable(body), PLAN_FIELDS);
        List<String> available = new ArrayList<>();
        JsonNode a = body.get("available");
        if (a != null && a.isArray()) {
            a.forEach(v -> available.add(v.asText()));
        }
        List<Problem> problems = PlanView.check(p.graph(), parsed.request().outputs(), available);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_plan_request", "the plan request has " + problems.size() + " problem(s)", problems);
        }
        List<String> have = new ArrayList<>(available);
        parsed.request().inputs().keySet().forEach(in -> {
            if (!have.contains(in)) {
                have.add(in);
            }
        });
        PlanView view = PlanView.of(p.graph(), parsed.request().outputs(), have);
        json(ctx, 200, withCacheView(p, view, parsed.request(), have, true, Requests.owner(ctx)));
    }

    private static JsonNode withoutAvailable(JsonNode body) {
        if (body instanceof ObjectNode o && o.has("available")) {
            ObjectNode copy = o.deepCopy();
            JsonNode a = copy.remove("available");
            if (!a.isArray()) {
                throw ApiException.badRequest("expected a list of job input names", "available");
            }
            return copy;
        }
        return body;
    }

    /** One row of the listing: what an entry is, without its values. */
    record Row(String key, String pipeline, String node, String job, String processor, String created_at, String expires_at) {
        static Row of(CacheEntry.Meta m) {
            return new Row(m.key(), m.pipeline(), m.node(), m.job(), m.processor(), Instant.ofEpochMilli(m.created()).toString(),
                    Instant.ofEpochMilli(m.expires()).toString());
        }
    }

    private void list(RoutingContext ctx) throws Exception {
        int size = Requests.pageSize(ctx);
        String after = Requests.pageAfter(ctx);
        if (after != null && !CacheKey.isKey(after)) {
            throw ApiException.badRequest("page_after: '" + after + "' is not a cursor of this listing (use next_page_after of the page before)",
                    "page_after");
        }
        List<CacheEntry.Meta> all = store().list(ctx.queryParams().get("pipeline"), ctx.queryParams().get("node"));
        List<Row> page = new ArrayList<>();
        String next = null;
        for (CacheEntry.Meta m : all) {
            if (after != null && m.key().compareTo(after) <= 0) {
                continue;
            }
            if (page.size() == size) {
                next = page.get(size - 1).key();
                break;
            }
            page.add(Row.of(m));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("entries", page);
        out.put("next_page_after", next);
        json(ctx, 200, out);
    }

    private String key(RoutingContext ctx) {
        String key = ctx.pathParam("key");
        if (!CacheKey.isKey(key)) {
            throw ApiException.badRequest("a cache key is 64 lower-case hex digits (SHA-256)", "key");
        }
        return key;
    }

    private void get(RoutingContext ctx) throws Exception {
        CacheEntry e = store().get(key(ctx));
        if (e == null) {
            throw ApiException.notFound("no cache entry " + ctx.pathParam("key"));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", e.key());
        out.put("pipeline", e.pipeline());
        out.put("node", e.node());
        out.put("job", e.job());
        out.put("processor", e.processor());
        out.put("version", e.version());
        out.put("created_at", Instant.ofEpochMilli(e.created()).toString());
        out.put("expires_at", Instant.ofEpochMilli(e.expires()).toString());
        List<Map<String, Object>> outputs = new ArrayList<>();
        for (CacheEntry.Output o : e.outputs()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("data_node", o.dataNode());
            row.put("content_type", o.contentType());
            row.put("size", o.value().length);
            row.put("digest", o.digest());
            outputs.add(row);
        }
        out.put("outputs", outputs);
        json(ctx, 200, out);
    }

    /** Deleting is for an admin, or the owner of the entry's pipeline (a pipeline without an owner: admins only). */
    private void mayDelete(RoutingContext ctx, String pipeline) throws Exception {
        var principal = AuthHandler.principal(ctx);
        if (principal.isAdmin()) {
            return;
        }
        PipelineStore.Summary s = pipeline == null ? null : pipelines.summary(pipeline);
        if (s == null || !principal.canSee(s.owner())) {
            throw ApiException.forbidden("only an admin or the owner of pipeline '" + pipeline + "' deletes its cache entries", "pipeline");
        }
    }

    private void delete(RoutingContext ctx) throws Exception {
        String key = key(ctx);
        CacheEntry.Meta m = store().meta(key);
        CacheEntry e = m == null ? store().get(key) : null;
        if (m == null && e == null) {
            throw ApiException.notFound("no cache entry " + key);
        }
        mayDelete(ctx, m != null ? m.pipeline() : e.pipeline());
        store().delete(key);
        ctx.response().setStatusCode(204).end();
    }

    private void deleteMatching(RoutingContext ctx) throws Exception {
        String pipeline = ctx.queryParams().get("pipeline");
        if (pipeline == null || pipeline.isEmpty()) {
            throw ApiException.badRequest("name the pipeline whose entries to delete (?pipeline=, optionally &node=)", "pipeline");
        }
        mayDelete(ctx, pipeline);
        int deleted = 0;
        for (CacheEntry.Meta m : store().list(pipeline, ctx.queryParams().get("node"))) {
            if (store().delete(m.key())) {
                deleted++;
            }
        }
        json(ctx, 200, Map.of("deleted", deleted));
    }
}
