package dev.pipewright.overseer.schedule;

import dev.pipewright.infra.log.LogSafe;
import dev.pipewright.overseer.jobs.JobMeta;
import dev.pipewright.overseer.jobs.JobSubmitter;
import dev.pipewright.overseer.jobs.SubmitRequest;
import dev.pipewright.overseer.loop.PeriodicLoop;
import dev.pipewright.overseer.metrics.OverseerMetrics;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.pipeline.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Fires pipelines' schedules: every interval it reads the schedules whose next fire time has come
 * (Redis's clock) and, for each, claims the fire, submits one job of the pipeline's latest version
 * with the parameters' defaults for the schedule's owner, and settles the fire with the next cron
 * time. Every overseer runs one; the claim makes them fire each time once between them.
 *
 * <p>Exactly once: the claim pins the fire time and a job id in Redis before anything is
 * submitted, and the job is created under that id by a script that refuses an id that exists. An
 * overseer that dies after the claim leaves the fire due and claimed; whoever looks next (itself
 * restarted, or another) submits the same id: a job that was created is not created again. Only
 * settling a fire moves the schedule on, so no fire is dropped by a crash either.
 *
 * <p>Missed fires (the overseers were down, or the fire's submission kept failing): one job for
 * the latest cron time that passed, then on from the next one after now, as Airflow's
 * {@code catchup=False}; a backfill of every missed time is not done.
 */
public final class Scheduler extends PeriodicLoop {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    private static final int BATCH = 100;

    private final ScheduleStore schedules;
    private final PipelineStore pipelines;
    private final JobSubmitter submitter;
    private final OverseerMetrics metrics;
    private final Clock clock;

    public Scheduler(ScheduleStore schedules, PipelineStore pipelines, JobSubmitter submitter, OverseerMetrics metrics, Clock clock,
                     Duration interval) {
        super(interval);
        this.schedules = schedules;
        this.pipelines = pipelines;
        this.submitter = submitter;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    protected void round() throws Exception {
        Instant now = clock.instant();
        for (ScheduleStore.Due due : schedules.due(now, BATCH)) {
            if (!running()) {
                return;
            }
            try {
                fire(due, now);
            } catch (Exception e) {
                // transient (Redis, the data store): the fire stays due and claimed; the next round retries it
                LOG.warn("schedule of pipeline {}: fire due at {} not settled ({}); retrying", due.pipelineId(),
                        Instant.ofEpochMilli(due.dueMs()), e.toString());
            }
        }
    }

    /** Fires one due schedule; returns the settled claim, or null when there was nothing to fire. */
    ScheduleStore.Claim fire(ScheduleStore.Due due, Instant now) throws Exception {
        ScheduleStore.Active active = schedules.find(due.pipelineId());
        if (active == null || active.paused()) {
            schedules.claim(due.pipelineId(), due.dueMs(), due.dueMs(), JobId.random()); // drops a stale entry
            return null;
        }
        CronSchedule cron = active.cron();
        CronSchedule.Fire planned = cron.fire(Instant.ofEpochMilli(due.dueMs()), now);
        ScheduleStore.Claim claim = schedules.claim(due.pipelineId(), due.dueMs(), planned.at().toEpochMilli(), JobId.random());
        if (claim == null) {
            return null; // settled by another overseer, paused or changed meanwhile
        }
        Instant at = Instant.ofEpochMilli(claim.fireMs());
        Instant next = cron.nextAfter(at.isAfter(now) ? at : now).orElse(null);
        String outcome;
        String error = null;
        StoredPipeline latest = pipelines.find(due.pipelineId(), null);
        if (latest == null) {
            schedules.deleted(due.pipelineId());
            return null;
        }
        JobMeta meta = JobMeta.NONE.withName(cron.jobName(latest.id(), at)).withOwner(active.owner())
                .withScheduledFor(at.atZone(cron.zone()).toOffsetDateTime());
        try {
            JobSubmitter.Submitted created = submitter.submitJob(latest, new SubmitRequest(Map.of(), Map.of(), List.of(), true).withMeta(meta),
                    claim.jobId(), active.owner());
            outcome = "submitted";
            metrics.scheduleFired(true); // the job itself is counted by the submitter
            LOG.info("schedule of pipeline {}: job {} ({}) for {}, {}", latest.id(), claim.jobId(), LogSafe.text(meta.name()), cron.local(at), created.status());
        } catch (Refusal e) {
            if (e instanceof Refusal.Conflict && JobSubmitter.JOB_EXISTS.equals(e.code())) {
                outcome = "submitted"; // created by an earlier try of this same claim
                LOG.info("schedule of pipeline {}: job {} for {} was already submitted", latest.id(), claim.jobId(), cron.local(at));
            } else if (!(e instanceof Refusal.Unavailable)) {
                outcome = "refused";
                error = e.getMessage() + (e.problems().isEmpty() ? ""
                        : ": " + e.problems().stream().map(Problem::toString).collect(Collectors.joining("; ")));
                metrics.scheduleFired(false);
                LOG.warn("schedule of pipeline {}: the job for {} was refused: {}", latest.id(), cron.local(at), LogSafe.text(error));
            } else {
                throw e;
            }
        }
        if (!schedules.advance(due.pipelineId(), due.dueMs(), claim, next == null ? null : next.toEpochMilli(), outcome, error)) {
            LOG.debug("schedule of pipeline {}: fire for {} settled elsewhere", latest.id(), cron.local(at));
        }
        if (next == null) {
            LOG.info("schedule of pipeline {}: its end date has passed; no more fires", latest.id());
        }
        return claim;
    }
}
