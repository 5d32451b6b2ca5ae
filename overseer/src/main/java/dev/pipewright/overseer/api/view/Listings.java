package dev.pipewright.overseer.api.view;

import dev.pipewright.overseer.admin.PoolViews;
import dev.pipewright.overseer.admin.QueueView;
import dev.pipewright.overseer.admin.WorkerRow;
import dev.pipewright.overseer.auth.TokenView;
import dev.pipewright.overseer.limits.LimitViews;

import java.util.List;
import java.util.Map;

/** The unpaged listings: the whole list under one key. */
public final class Listings {
    private Listings() {
    }

    public record Tokens(List<TokenView> tokens) {
    }

    /**
     * {@code GET /workers}: each live worker's registration as the worker wrote it, plus its
     * {@code id}. The fields are the worker's to choose (per-pool figures among them), so each
     * stays a map.
     */
    public record Workers(List<Map<String, String>> workers) {
    }

    /** {@code GET /admin/workers}. */
    public record WorkerRows(List<WorkerRow> workers) {
    }

    public record Pools(List<PoolViews.Row> pools) {
    }

    public record Queues(List<QueueView> queues) {
    }

    public record Limits(List<LimitViews.Row> limits) {
    }
}
