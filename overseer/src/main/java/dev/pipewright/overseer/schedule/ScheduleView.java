package dev.pipewright.overseer.schedule;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/**
 * A pipeline's active schedule as the API shows it. Times are ISO-8601 in the schedule's zone;
 * {@code next_run_at} is null while paused and once the end date has passed; every key is always
 * there, null when it does not apply.
 */
public record ScheduleView(
        String cron, @JsonProperty("start_date") String startDate, @JsonProperty("end_date") String endDate, String timezone,
        @JsonProperty("next_run_at") String nextRunAt, boolean paused, @JsonProperty("last_run_at") String lastRunAt,
        @JsonProperty("last_job_id") String lastJobId, @JsonProperty("last_error") String lastError) {

    public static ScheduleView of(ScheduleStore.Active a) {
        CronSchedule cron = a.cron();
        return new ScheduleView(a.schedule().cron(), a.schedule().startDate(), a.schedule().endDate(), cron.zone().getId(),
                a.nextMs() == null ? null : cron.local(Instant.ofEpochMilli(a.nextMs())), a.paused(),
                a.lastFireMs() == null ? null : cron.local(Instant.ofEpochMilli(a.lastFireMs())), a.lastJob(), a.lastError());
    }

    /** {@code POST /pipelines/{id}/schedule/pause} and {@code resume}: the pipeline and its schedule now. */
    public record Changed(String id, ScheduleView schedule) {
    }
}
