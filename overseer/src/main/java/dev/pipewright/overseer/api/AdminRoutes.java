package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.overseer.admin.DeadLetterSelector;
import dev.pipewright.overseer.admin.DeadLetterViews;
import dev.pipewright.overseer.admin.DeadLetters;
import dev.pipewright.overseer.admin.PoolAdmin;
import dev.pipewright.overseer.admin.PoolName;
import dev.pipewright.overseer.admin.PoolViews;
import dev.pipewright.overseer.admin.QueueInspector;
import dev.pipewright.overseer.admin.SetAside;
import dev.pipewright.overseer.admin.WorkerRow;
import dev.pipewright.overseer.admin.Workers;
import dev.pipewright.overseer.api.view.Listings;
import dev.pipewright.overseer.limits.Limits;
import dev.pipewright.overseer.workers.WorkerDirectory;
import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pipewright.overseer.api.Requests.json;

/**
 * The operator endpoints under {@code /api/v1/admin} (docs/api.md): queues, workers, pools (pause,
 * resume, drain) and dead letters (list, show, replay, purge). Each method reads its request and
 * answers the JSON body. Also concurrency limits and the list of live workers.
 */
public final class AdminRoutes implements Routes {
    private static final Set<String> SELECTOR_FIELDS = Set.of("id", "job", "processor", "reason", "all", "dry_run");

    private final QueueInspector queues;
    private final DeadLetters deadLetters;
    private final PoolAdmin pools;
    private final Workers workers;
    private final Limits limits;
    private final WorkerDirectory directory;
    private final SetAside setAside;

    public AdminRoutes(QueueInspector queues, DeadLetters deadLetters, PoolAdmin pools, Workers workers, Limits limits,
                       WorkerDirectory directory, SetAside setAside) {
        this.setAside = setAside;
        this.limits = limits;
        this.directory = directory;
        this.queues = queues;
        this.deadLetters = deadLetters;
        this.pools = pools;
        this.workers = workers;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("listWorkers", ctx -> json(ctx, 200, new Listings.Workers(directory.alive())));
        ops.put("listQueues", ctx -> json(ctx, 200, queues(ctx)));
        ops.put("listWorkerViews", ctx -> json(ctx, 200, workers(ctx)));
        ops.put("listPools", ctx -> json(ctx, 200, pools(ctx)));
        ops.put("pausePool", ctx -> json(ctx, 200, pause(ctx)));
        ops.put("resumePool", ctx -> json(ctx, 200, resume(ctx)));
        ops.put("drainPool", ctx -> json(ctx, 200, drain(ctx)));
        ops.put("listDeadLetters", ctx -> json(ctx, 200, deadLetters(ctx)));
        ops.put("replayDeadLetters", ctx -> json(ctx, 200, replay(Requests.jsonBody(ctx))));
        ops.put("purgeDeadLetters", ctx -> json(ctx, 200, purge(Requests.jsonBody(ctx))));
        ops.put("getDeadLetter", ctx -> json(ctx, 200, deadLetter(ctx)));
        ops.put("listSetAside", ctx -> json(ctx, 200, setAside(ctx)));
        ops.put("listLimits", ctx -> json(ctx, 200, new Listings.Limits(limits.list())));
        ops.put("setLimit", ctx -> json(ctx, 200, limits.set(ctx.pathParam("kind"), ctx.pathParam("name"), Requests.jsonBody(ctx))));
        ops.put("removeLimit", ctx -> json(ctx, 200, limits.remove(ctx.pathParam("kind"), ctx.pathParam("name"))));
        return ops;
    }

    /** What the shards set aside, newest first: {@code ?shard=} one shard, {@code ?limit=} how many (default 100). */
    public SetAside.Listing setAside(RoutingContext ctx) throws Exception {
        String shard = ctx.request().getParam("shard");
        String limit = ctx.request().getParam("limit");
        int n = limit == null ? 100 : Integer.parseInt(limit);
        Integer s = null;
        if (shard != null) {
            s = Integer.parseInt(shard);
            if (s < 0 || s >= setAside.shards()) {
                throw ApiException.badRequest("no shard " + s + "; this installation has " + setAside.shards() + " (0 to "
                        + (setAside.shards() - 1) + ")", "shard");
            }
        }
        return setAside.list(s, n);
    }

    public Listings.Queues queues(RoutingContext ctx) throws Exception {
        return new Listings.Queues(queues.queues());
    }

    public Listings.WorkerRows workers(RoutingContext ctx) throws Exception {
        long now = System.currentTimeMillis();
        return new Listings.WorkerRows(workers.all().stream().map(w -> WorkerRow.of(w, now)).toList());
    }

    public Listings.Pools pools(RoutingContext ctx) throws Exception {
        return new Listings.Pools(pools.rows());
    }

    public PoolViews.State pause(RoutingContext ctx) throws Exception {
        return pools.pause(ctx.pathParam("pool"));
    }

    public PoolViews.State resume(RoutingContext ctx) throws Exception {
        return pools.resume(ctx.pathParam("pool"));
    }

    /** {@code ?timeout=S} (seconds, default 60): how long to wait for the pool's attempts to end. */
    public PoolViews.Drain drain(RoutingContext ctx) throws Exception {
        String pool = PoolName.check(ctx.pathParam("pool"));
        return pools.drain(pool, PoolAdmin.drainTimeout(ctx.queryParams().get("timeout")));
    }

    public DeadLetterViews.Listing deadLetters(RoutingContext ctx) throws Exception {
        DeadLetterSelector selector = new DeadLetterSelector(null, blankToNull(ctx.queryParams().get("job")),
                blankToNull(ctx.queryParams().get("processor")), blankToNull(ctx.queryParams().get("reason")));
        int limit = 100;
        String l = ctx.queryParams().get("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
                if (limit < 1 || limit > 10_000) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("limit must be a whole number from 1 to 10000", "limit");
            }
        }
        return deadLetters.list(selector, limit);
    }

    public JsonNode deadLetter(RoutingContext ctx) throws Exception {
        return deadLetters.show(ctx.pathParam("id"));
    }

    /**
     * Body: {@code {id, job, processor, reason, all, dry_run}}: at least one selector, or {@code all: true}
     * for every record (so that an empty body never touches them all by mistake).
     */
    public DeadLetterViews.Replay replay(JsonNode body) throws Exception {
        return deadLetters.replay(selector(body), dryRun(body));
    }

    public DeadLetterViews.Purge purge(JsonNode body) throws Exception {
        return deadLetters.purge(selector(body), dryRun(body));
    }

    private static DeadLetterSelector selector(JsonNode body) {
        List<Problem> problems = new ArrayList<>();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!SELECTOR_FIELDS.contains(f)) {
                problems.add(new Problem(f, "unknown field; expected one of " + SELECTOR_FIELDS.stream().sorted().toList()));
            } else if (!f.equals("dry_run") && !f.equals("all") && !body.get(f).isNull() && !body.get(f).isTextual()) {
                problems.add(new Problem(f, "expected text"));
            }
        }
        for (String flag : List.of("dry_run", "all")) {
            if (body.has(flag) && !body.get(flag).isBoolean() && !body.get(flag).isNull()) {
                problems.add(new Problem(flag, "expected true or false"));
            }
        }
        DeadLetterSelector selector = new DeadLetterSelector(text(body, "id"), text(body, "job"), text(body, "processor"), text(body, "reason"));
        boolean all = body.path("all").asBoolean(false);
        if (problems.isEmpty() && !all && selector.equals(new DeadLetterSelector(null, null, null, null))) {
            problems.add(new Problem("$", "give a selector (id, job, processor or reason), or all: true for every dead letter"));
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", "the selector has " + problems.size() + " problem(s)", problems);
        }
        return selector;
    }

    private static boolean dryRun(JsonNode body) {
        return body.path("dry_run").asBoolean(false);
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : blankToNull(n.asText());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
