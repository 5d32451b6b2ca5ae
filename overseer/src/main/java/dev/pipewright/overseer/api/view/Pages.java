package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipewright.overseer.jobs.ConsumableRow;
import dev.pipewright.overseer.jobs.JobView;
import dev.pipewright.overseer.jobs.TaskRow;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.overseer.pipelines.PipelineViews;
import dev.pipewright.overseer.runs.RunView;

import java.util.List;
import java.util.function.BiFunction;

/**
 * The pages of the listings: the items under the listing's own name, then {@code next_page_after}
 * (null on the last page). One record per listing, since the items' key differs.
 */
public final class Pages {
    private Pages() {
    }

    /** The listing's answer to a page, e.g. {@code Pages.of(page, Pages.Jobs::new)}. */
    public static <T, R> R of(IndexScan.Page<T> page, BiFunction<List<T>, String, R> answer) {
        return answer.apply(page.items(), page.nextPageAfter());
    }

    public record Jobs(List<JobView> jobs, @JsonProperty("next_page_after") String nextPageAfter) {
    }

    public record Tasks(List<TaskRow> tasks, @JsonProperty("next_page_after") String nextPageAfter) {
    }

    public record Consumables(List<ConsumableRow> consumables, @JsonProperty("next_page_after") String nextPageAfter) {
    }

    public record Runs(List<RunView> runs, @JsonProperty("next_page_after") String nextPageAfter) {
    }

    public record Pipelines(List<PipelineViews.Row> pipelines, @JsonProperty("next_page_after") String nextPageAfter) {
    }
}
