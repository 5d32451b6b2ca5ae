package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A job's tasks and consumables read a page at a time ({@code GET /api/v1/jobs/{id}/tasks} and
 * {@code /consumables}), so watching a big job never asks the server for all of it at once.
 */
final class JobPages {
    /** The largest page the server gives. */
    static final int PAGE_SIZE = 1000;

    private JobPages() {
    }

    /** Task rows read, and the cursor to read on from when {@code max} stopped the reading first (else null). */
    record Tasks(List<JsonNode> rows, String more) {
    }

    /**
     * Up to {@code max} task rows in execution order, only those in one of {@code statuses} (empty:
     * all); pages are never larger than what is still wanted.
     */
    static Tasks tasks(ApiClient client, String jobId, Collection<String> statuses, int max) {
        List<JsonNode> rows = new ArrayList<>();
        String filter = statuses.isEmpty() ? "" : "&status=" + ApiClient.encode(String.join(",", statuses));
        String cursor = null;
        do {
            int size = Math.max(1, Math.min(PAGE_SIZE, max - rows.size()));
            JsonNode page = client.getJson(Jobs.path(jobId) + "/tasks?page_size=" + size + filter
                    + (cursor == null ? "" : "&page_after=" + ApiClient.encode(cursor)), "tasks of job " + jobId);
            page.path("tasks").forEach(rows::add);
            cursor = Jobs.text(page.get("next_page_after"));
        } while (cursor != null && rows.size() < max);
        return new Tasks(rows, cursor);
    }

    /** Calls {@code onEntry} for each consumable entry ({@code {node, content_type, size, value | value_base64}}). */
    static void consumables(ApiClient client, String jobId, java.util.function.Consumer<JsonNode> onEntry) {
        String base = Jobs.path(jobId) + "/consumables?page_size=" + PAGE_SIZE;
        String cursor = null;
        do {
            JsonNode page = client.getJson(base + (cursor == null ? "" : "&page_after=" + ApiClient.encode(cursor)), "consumables of job " + jobId);
            page.path("consumables").forEach(onEntry);
            cursor = Jobs.text(page.get("next_page_after"));
        } while (cursor != null);
    }
}
