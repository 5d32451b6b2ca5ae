package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.overseer.jobs.JobControl;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The dead-letter records the overseer keeps ({@code <ns>:deadletters}, newest first): list, show,
 * replay and purge, by selector.
 *
 * <p>Replay re-runs the work a dead letter stopped. When the message was the task's current
 * dispatch, the dead letter failed the task, and so the job; once that job has ended FAILED (or
 * CANCELLED), replay starts a re-run from failure ({@link JobControl#rerun}): a new job that reuses
 * every output that succeeded and runs the dead-lettered task again, once per job whatever the
 * number of its records. A record whose job still runs is left alone (replay it once the job has
 * ended: reviving one failed task inside a running job would mean un-counting it and un-skipping its
 * descendants); one whose job succeeded or is gone, or that is no task message, has nothing to
 * re-run. A replayed record is removed.
 */
public final class DeadLetters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final Connection rabbit;
    private final JobControl jobs;

    public DeadLetters(Keys keys, RedisClusterAsyncCommands<String, String> redis, Connection rabbit, JobControl jobs) {
        this.keys = keys;
        this.redis = redis;
        this.rabbit = rabbit;
        this.jobs = jobs;
    }

    private record Stored(String raw, JsonNode record) {
    }

    private List<Stored> matching(DeadLetterSelector selector) throws Exception {
        List<Stored> out = new ArrayList<>();
        for (String raw : redis.lrange(keys.deadLetters(), 0, -1).get(30, TimeUnit.SECONDS)) {
            JsonNode record;
            try {
                record = JSON.readTree(raw);
            } catch (Exception e) {
                continue;
            }
            if (selector.matches(record)) {
                out.add(new Stored(raw, record));
            }
        }
        return out;
    }

    /** Matching records, newest first, at most {@code limit}; {@code total} counts every match. */
    public DeadLetterViews.Listing list(DeadLetterSelector selector, int limit) throws Exception {
        List<Stored> all = matching(selector);
        return new DeadLetterViews.Listing(all.size(), all.stream().limit(limit).map(Stored::record).toList());
    }

    public JsonNode show(String id) throws Exception {
        List<Stored> found = matching(new DeadLetterSelector(id, null, null, null));
        if (found.isEmpty()) {
            throw Refusal.notFound("no dead letter '" + id + "'");
        }
        return found.get(0).record();
    }

    public DeadLetterViews.Replay replay(DeadLetterSelector selector, boolean dryRun) throws Exception {
        List<DeadLetterViews.Replayed> results = new ArrayList<>();
        Map<String, Object> reruns = new HashMap<>(); // old job -> new job id, or the error
        int replayed = 0;
        for (Stored s : matching(selector)) {
            JsonNode r = s.record();
            String id = r.path("id").asText();
            String job = r.hasNonNull("job") ? r.get("job").asText() : null;
            String node = r.hasNonNull("node") ? r.get("node").asText() : null;
            String status = job == null || !JobId.isValid(job) ? null
                    : redis.hget(keys.job(new JobId(job)), "status").get(10, TimeUnit.SECONDS);
            String skip = null;
            if (job == null) {
                skip = "not a task message: nothing to re-run (purge it)";
            } else if (status == null) {
                skip = "job " + job + " no longer exists";
            } else if (status.equals("SUCCESS")) {
                skip = "job " + job + " succeeded: nothing to re-run";
            } else if (!status.equals("FAILED") && !status.equals("CANCELLED")) {
                skip = "job " + job + " is still " + status + "; replay once it has ended";
            }
            if (skip != null) {
                results.add(new DeadLetterViews.Replayed(id, job, node, "skip", null, skip));
            } else if (dryRun) {
                results.add(new DeadLetterViews.Replayed(id, job, node, "rerun", null,
                        "would start a re-run of job " + job + " (" + status + ") from its failure"));
            } else {
                Object rerun = reruns.get(job);
                if (rerun == null) {
                    try {
                        rerun = jobs.rerun(new JobId(job)).value();
                    } catch (Refusal e) {
                        rerun = e;
                    }
                    reruns.put(job, rerun);
                }
                if (rerun instanceof Refusal e) {
                    results.add(new DeadLetterViews.Replayed(id, job, node, "error", null, e.getMessage()));
                } else {
                    results.add(new DeadLetterViews.Replayed(id, job, node, "rerun", (String) rerun,
                            "re-run of job " + job + " started as " + rerun));
                    redis.lrem(keys.deadLetters(), 1, s.raw()).get(10, TimeUnit.SECONDS);
                    replayed++;
                }
            }
        }
        return new DeadLetterViews.Replay(dryRun, results.size(), dryRun ? 0 : replayed, results);
    }

    /**
     * Deletes matching records. With no selector it also purges the dead-letter queue itself (messages
     * the overseer has not taken off it yet).
     */
    public DeadLetterViews.Purge purge(DeadLetterSelector selector, boolean dryRun) throws Exception {
        List<Stored> found = matching(selector);
        long removed = 0;
        long queuePurged = 0;
        if (!dryRun) {
            for (Stored s : found) {
                removed += redis.lrem(keys.deadLetters(), 1, s.raw()).get(10, TimeUnit.SECONDS);
            }
            if (selector.isAll()) {
                try (Channel ch = rabbit.createChannel()) {
                    queuePurged = ch.queuePurge(keys.deadLetterQueue()).getMessageCount();
                }
            }
        }
        return new DeadLetterViews.Purge(dryRun, found.size(), removed, queuePurged,
                found.stream().map(s -> s.record().path("id").asText()).toList());
    }
}
