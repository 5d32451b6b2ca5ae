package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cli;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import dev.pipewright.overseer.OverseerMain;
import dev.pipewright.protocol.keys.JobId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipeline schedules end to end, against real Redis and RabbitMQ. A fire is made due by moving
 * the schedule's next fire time into the past in Redis: that is the durable state the scheduler
 * reads (the sorted set and the schedule's {@code next}, written together as the script does), so
 * no test waits for a cron time except the one that waits for a real minute boundary once.
 */
class ScheduleIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String JSON = "application/json";
    private static final String INPUT = "hello from the schedule";
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mmXXX");
    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        // the scheduler looks every 50 ms, so a due fire is taken at once
        cluster = Cluster.builder().workers(1).concurrency(2).overseerSetting("PW_SCHEDULE_INTERVAL", "50ms").start();
        Files.createDirectories(cluster.dataDir().resolve("shared"));
        Files.writeString(cluster.dataDir().resolve("shared/sched-in.txt"), INPUT);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String pipeline(String name, String schedule) {
        return """
                name: %s
                parameters:
                  greeting: {type: string, default: hi}
                dataNodes:
                  src: {source: shared/sched-in.txt}
                  out: {}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                schedule: %s
                """.formatted(name, schedule);
    }

    private static JsonNode schedule(String id) {
        Cluster.Response r = cluster.get("/api/v1/pipelines/" + id);
        assertEquals(200, r.status(), r::toString);
        return r.json().path("schedule");
    }

    private static List<JsonNode> jobs(String id, String trigger) {
        Cluster.Response r = cluster.get("/api/v1/jobs?pipeline=" + id + "&trigger=" + trigger + "&page_size=500");
        assertEquals(200, r.status(), r::toString);
        List<JsonNode> out = new ArrayList<>();
        r.json().path("jobs").forEach(out::add);
        return out;
    }

    /** Scheduled jobs by the cron time they stand for: each time must appear once. */
    private static Map<Instant, Integer> perFireTime(String id) {
        Map<Instant, Integer> out = new TreeMap<>();
        for (JsonNode j : jobs(id, "schedule")) {
            out.merge(instant(j.path("scheduled_for").asText()), 1, Integer::sum);
        }
        return out;
    }

    private static void assertOneJobPerFireTime(String id) {
        Map<Instant, Integer> counts = perFireTime(id);
        counts.forEach((t, n) -> assertEquals(1, n, () -> "jobs of " + id + " per fire time: " + counts));
    }

    /** Moves the schedule's next fire time to {@code ms}, as a due schedule has it in Redis. */
    private static void makeDue(String id, long ms) {
        cluster.redis().hset(cluster.keys().schedule(id), "next", Long.toString(ms));
        cluster.redis().zadd(cluster.keys().schedules(), ms, id);
    }

    private static Double nextFireMs(String id) {
        return cluster.redis().zscore(cluster.keys().schedules(), id);
    }

    private static long nowMs() {
        return cluster.redisTimeMicros() / 1000;
    }

    private static Instant instant(String iso) {
        return OffsetDateTime.parse(iso).toInstant();
    }

    private static Instant newYear(int year) {
        return ZonedDateTime.of(year, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();
    }

    private static int year() {
        return Instant.ofEpochMilli(nowMs()).atZone(ZoneOffset.UTC).getYear();
    }

    private static double fired(String outcome) {
        return Metrics.value(cluster.overseerMetrics(), "pipewright_schedule_fired_total", Map.of("outcome", outcome));
    }

    private static Cluster.Response post(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.baseUri().resolve(path)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return cluster.send(b);
    }

    private static String token(String name, String role, String owner) {
        Cluster.Response r = cluster.post("/api/v1/tokens", "{\"name\": \"" + name + "\", \"role\": \"" + role + "\", \"owner\": \"" + owner + "\"}", JSON);
        assertEquals(201, r.status(), r::toString);
        return r.json().path("token").asText();
    }

    private static void assertProblem(Cluster.Response r, String path, String words) {
        assertEquals(400, r.status(), r::toString);
        boolean found = false;
        for (JsonNode p : r.json().path("error").path("problems")) {
            found |= path.equals(p.path("path").asText()) && p.path("message").asText().contains(words);
        }
        assertTrue(found, () -> "no problem at " + path + " with '" + words + "': " + r);
    }

    @Test
    void aDueScheduleFiresOneJobForTheLatestMissedMinuteThatRunsToSuccessThenTheNextMinute() {
        double submittedBefore = fired("submitted");
        String id = cluster.postPipeline(pipeline("every-minute", "\"* * * * *\"")).path("id").asText();
        JsonNode s = schedule(id);
        assertEquals("* * * * *", s.path("cron").asText());
        assertEquals("UTC", s.path("timezone").asText());
        assertFalse(s.path("paused").asBoolean());
        long now = nowMs();
        long first = instant(s.path("next_run_at").asText()).toEpochMilli();
        assertTrue(first > now - 1000 && first <= now + 60_000 && first % 60_000 == 0, s::toString);
        String owner = cluster.get("/api/v1/pipelines/" + id).json().path("owner").asText();

        // five minutes overdue: one job, for the latest minute that passed (no catch-up of the others)
        long minute = now - now % 60_000;
        long overdue = minute - 5 * 60_000;
        makeDue(id, overdue);
        Cluster.await("the overdue fire's job", WAIT, () -> !jobs(id, "schedule").isEmpty());
        List<JsonNode> fired = jobs(id, "schedule");
        JsonNode job = fired.get(fired.size() - 1); // the oldest
        Instant at = instant(job.path("scheduled_for").asText());
        assertTrue(at.toEpochMilli() >= minute && at.toEpochMilli() % 60_000 == 0, job::toPrettyString);
        assertEquals("schedule", job.path("trigger").asText());
        assertEquals(id + " @ " + at.atOffset(ZoneOffset.UTC).format(NAME_TIME), job.path("name").asText());
        assertEquals(owner, job.path("owner").asText(), "the version's owner owns its scheduled jobs");
        assertEquals(Map.of("greeting", "hi"), Cluster.JSON.convertValue(job.path("parameters"), Map.class), "the defaults");
        JsonNode done = cluster.awaitJob(job.path("id").asText(), WAIT);
        assertEquals("SUCCESS", done.path("status").asText(), done::toPrettyString);
        assertEquals(INPUT, cluster.consumableText(job.path("id").asText(), "out"));

        // the next fire time moved to the minute boundary after the latest fire, in the set and in the view
        // (normally after this one; a real minute may have passed meanwhile and fired too)
        Cluster.await("the next fire time to be set", WAIT, () -> {
            Double n = nextFireMs(id);
            Map<Instant, Integer> times = perFireTime(id);
            return n != null && !times.isEmpty() && n.longValue() == ((TreeMap<Instant, Integer>) times).lastKey().toEpochMilli() + 60_000;
        });
        long next = nextFireMs(id).longValue();
        assertEquals(Long.toString(next), cluster.redis().hget(cluster.keys().schedule(id), "next"));
        JsonNode after = schedule(id);
        assertEquals(next, instant(after.path("next_run_at").asText()).toEpochMilli());
        assertEquals(next - 60_000, instant(after.path("last_run_at").asText()).toEpochMilli());
        assertTrue(after.path("last_error").isNull());
        assertFalse(perFireTime(id).containsKey(Instant.ofEpochMilli(overdue)), "the overdue minute itself is not fired");
        assertOneJobPerFireTime(id);
        assertTrue(fired("submitted") >= submittedBefore + 1);

        // a real minute boundary, once: it is at most a minute away, so this costs under 65 s
        long wait = next - nowMs();
        if (wait > 61_000) {
            System.err.println("ScheduleIT: skipped waiting for a real minute boundary (" + wait + " ms away)");
            return;
        }
        Cluster.await("the fire of the real minute " + Instant.ofEpochMilli(next), Duration.ofMillis(Math.max(0, wait) + 3_500),
                () -> perFireTime(id).containsKey(Instant.ofEpochMilli(next)));
        assertOneJobPerFireTime(id);
        Cluster.await("the fire time after it", Duration.ofSeconds(5), () -> Double.valueOf(next + 60_000).equals(nextFireMs(id)));
    }

    @Test
    void aFireDueWhileTheOverseerIsDownFiresOnceAndAClaimLeftByACrashSubmitsItsOwnJobIdOnce() throws Exception {
        String id = cluster.postPipeline(pipeline("new-year", "{schedule_interval: \"0 0 1 1 *\"}")).path("id").asText();
        int year = year();
        Instant thisYear = newYear(year);
        Instant lastYear = newYear(year - 1);
        Instant twoYearsAgo = newYear(year - 2);
        long nextYear = newYear(year + 1).toEpochMilli();
        assertEquals(Double.valueOf(nextYear), nextFireMs(id));

        // due while no overseer runs: the one that comes back fires it, once
        cluster.stopOverseer();
        makeDue(id, lastYear.toEpochMilli());
        cluster.startOverseer();
        Cluster.await("the missed fire's job", WAIT, () -> !jobs(id, "schedule").isEmpty());
        Cluster.await("the fire to be settled", WAIT, () -> Double.valueOf(nextYear).equals(nextFireMs(id)));
        assertEquals(Map.of(thisYear, 1), perFireTime(id), "one job, for the latest missed time");
        String first = jobs(id, "schedule").get(0).path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(first, WAIT).path("status").asText());

        // an overseer died between claiming a fire and submitting its job: the claim pinned the
        // fire time and the job id, so the next overseer submits that same job
        cluster.stopOverseer();
        String pinned = JobId.random().value();
        String hash = cluster.keys().schedule(id);
        cluster.redis().set(cluster.keys().scheduleFire(id, lastYear.toEpochMilli()), pinned);
        cluster.redis().hset(hash, "claim", Long.toString(lastYear.toEpochMilli()));
        makeDue(id, twoYearsAgo.toEpochMilli());
        cluster.startOverseer();
        Cluster.await("the pinned job " + pinned, WAIT, () -> jobs(id, "schedule").stream().anyMatch(j -> pinned.equals(j.path("id").asText())));
        Cluster.await("the claimed fire to be settled", WAIT, () -> Double.valueOf(nextYear).equals(nextFireMs(id)));
        JsonNode recovered = cluster.awaitJob(pinned, WAIT);
        assertEquals("SUCCESS", recovered.path("status").asText(), recovered::toPrettyString);
        assertEquals(lastYear, instant(recovered.path("scheduled_for").asText()), "the pinned fire time, not the latest");
        assertEquals(Map.of(thisYear, 1, lastYear, 1), perFireTime(id));
        assertNull(cluster.redis().hget(hash, "claim"));
        assertTrue(cluster.redis().ttl(cluster.keys().scheduleFire(id, lastYear.toEpochMilli())) > 0, "a settled claim expires");

        // an overseer died between submitting and settling: the claim is taken again, its job
        // exists already, and the fire is only settled
        cluster.stopOverseer();
        cluster.redis().persist(cluster.keys().scheduleFire(id, lastYear.toEpochMilli()));
        cluster.redis().hset(hash, "claim", Long.toString(lastYear.toEpochMilli()));
        makeDue(id, twoYearsAgo.toEpochMilli());
        cluster.startOverseer();
        Cluster.await("the claim to be settled again", WAIT, () -> Double.valueOf(nextYear).equals(nextFireMs(id))
                && cluster.redis().hget(hash, "claim") == null);
        Cluster.sleep(300); // a few more scheduler rounds
        assertEquals(Map.of(thisYear, 1, lastYear, 1), perFireTime(id), "still one job per fire time");
    }

    @Test
    void twoOverseersFireEachScheduleOnce() throws Exception {
        int year = year();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(cluster.postPipeline(pipeline("shared-" + i, "\"0 0 1 1 *\"")).path("id").asText());
        }
        try (OverseerMain.Running second = cluster.startExtraOverseer("ov2-" + cluster.namespace(), Map.of("PW_SCHEDULE_INTERVAL", "20ms"))) {
            for (String id : ids) {
                makeDue(id, newYear(year - 1).toEpochMilli());
            }
            for (String id : ids) {
                Cluster.await("the fire of " + id, WAIT, () -> Double.valueOf(newYear(year + 1).toEpochMilli()).equals(nextFireMs(id)));
            }
            Cluster.sleep(300);
            for (String id : ids) {
                assertEquals(Map.of(newYear(year), 1), perFireTime(id), id);
            }
        }
    }

    @Test
    void aPausedScheduleFiresNothingAndResumesFromNowWithoutCatchingUp() {
        String id = cluster.postPipeline(pipeline("pausable", "\"0 0 1 1 *\"")).path("id").asText();
        String mallory = token("mallory-sched", "submit", "mallory");
        Cluster.Response refused = post("/api/v1/pipelines/" + id + "/schedule/pause", mallory);
        assertEquals(403, refused.status(), "someone else's schedule: " + refused);
        String reader = token("reader-sched", "read", "reader");
        assertEquals(403, post("/api/v1/pipelines/" + id + "/schedule/pause", reader).status());
        assertEquals(404, post("/api/v1/pipelines/no-such-pipeline/schedule/pause", null).status());

        Cluster.Response paused = post("/api/v1/pipelines/" + id + "/schedule/pause", null);
        assertEquals(200, paused.status(), paused::toString);
        assertEquals(id, paused.json().path("id").asText());
        assertTrue(paused.json().path("schedule").path("paused").asBoolean());
        assertTrue(paused.json().path("schedule").path("next_run_at").isNull());
        assertNull(nextFireMs(id));
        assertEquals(200, post("/api/v1/pipelines/" + id + "/schedule/pause", null).status(), "pausing again changes nothing");

        // a due entry left over while paused fires nothing and is dropped
        cluster.redis().zadd(cluster.keys().schedules(), nowMs() - 60_000, id);
        Cluster.await("the leftover entry to be dropped", WAIT, () -> nextFireMs(id) == null);
        Cluster.sleep(300);
        assertTrue(jobs(id, "schedule").isEmpty());

        Cluster.Response resumed = post("/api/v1/pipelines/" + id + "/schedule/resume", null);
        assertEquals(200, resumed.status(), resumed::toString);
        JsonNode s = resumed.json().path("schedule");
        assertFalse(s.path("paused").asBoolean());
        long next = newYear(year() + 1).toEpochMilli();
        assertEquals(next, instant(s.path("next_run_at").asText()).toEpochMilli(), s::toString);
        assertEquals(Double.valueOf(next), nextFireMs(id));
        Cluster.sleep(300);
        assertTrue(jobs(id, "schedule").isEmpty(), "nothing that fell due while paused is fired");

        // manual jobs of a scheduled pipeline are told apart
        String manual = cluster.submit(id, "{}");
        JsonNode view = cluster.job(manual);
        assertEquals("manual", view.path("trigger").asText());
        assertTrue(view.path("scheduled_for").isNull());
        assertTrue(jobs(id, "manual").stream().anyMatch(j -> manual.equals(j.path("id").asText())));
        assertTrue(jobs(id, "schedule").stream().noneMatch(j -> manual.equals(j.path("id").asText())));
        cluster.awaitJob(manual, WAIT);
    }

    @Test
    void theLatestVersionOwnsTheScheduleAndDeletingThePipelineRemovesIt() {
        String id = cluster.postPipeline(pipeline("versioned", "{schedule_interval: \"5 10 * * *\", timezone: Europe/Paris}")).path("id").asText();
        JsonNode s = schedule(id);
        assertEquals("Europe/Paris", s.path("timezone").asText());
        assertTrue(s.path("next_run_at").asText().matches(".*T10:05:00\\+0[12]:00"), s::toString);

        cluster.postPipeline("""
                name: versioned
                dataNodes: {src: {source: shared/sched-in.txt}, out: {}}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                """);
        assertTrue(schedule(id).isNull(), "a version without a schedule removes it");
        assertNull(nextFireMs(id));
        assertEquals(409, post("/api/v1/pipelines/" + id + "/schedule/pause", null).status());

        cluster.postPipeline(pipeline("versioned", "{schedule_interval: \"@daily\", start_date: \"2020-01-01\", end_date: \"2021-01-01\"}"));
        JsonNode ended = schedule(id);
        assertEquals("@daily", ended.path("cron").asText());
        assertTrue(ended.path("next_run_at").isNull(), "its end date has passed: " + ended);
        assertNull(nextFireMs(id));

        cluster.postPipeline(pipeline("versioned", "\"@hourly\""));
        assertEquals(0, instant(schedule(id).path("next_run_at").asText()).toEpochMilli() % 3_600_000);
        assertEquals(200, cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/" + id)).DELETE()).status());
        assertEquals(0L, cluster.redis().exists(cluster.keys().schedule(id)));
        assertNull(nextFireMs(id));
    }

    @Test
    void aFireWhoseJobIsRefusedIsCountedAndShownAndTheScheduleGoesOn() {
        double refusedBefore = fired("refused");
        String id = cluster.postPipeline("""
                name: no-input-file
                dataNodes:
                  src: {source: not-there.txt}
                  out: {}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                schedule: "0 0 1 1 *"
                """).path("id").asText();
        int year = year();
        makeDue(id, newYear(year - 1).toEpochMilli());
        Cluster.await("the refused fire to be settled", WAIT, () -> Double.valueOf(newYear(year + 1).toEpochMilli()).equals(nextFireMs(id)));
        JsonNode s = schedule(id);
        assertTrue(s.path("last_error").asText().contains("not-there.txt"), s::toString);
        assertEquals(newYear(year), instant(s.path("last_run_at").asText()));
        assertTrue(jobs(id, "schedule").isEmpty());
        assertTrue(fired("refused") >= refusedBefore + 1);
    }

    @Test
    void theCommandLineShowsTheScheduleAndPausesAndResumesIt() {
        String id = cluster.postPipeline(pipeline("cli-scheduled",
                "{schedule_interval: \"5 10 * * *\", start_date: \"2022-01-01 00:00\", timezone: Europe/Paris}")).path("id").asText();
        Cli cli = new Cli(cluster);
        Cli.Result shown = cli.run("pipelines", "get", id);
        assertEquals(0, shown.exit(), shown::toString);
        assertTrue(shown.out().contains("schedule:   5 10 * * * (Europe/Paris), from 2022-01-01 00:00"), shown::toString);
        assertTrue(shown.out().matches("(?s).*next run:   \\d{4}-\\d{2}-\\d{2}T10:05:00\\+0[12]:00.*"), shown::toString);

        Cli.Result paused = cli.run("pipelines", "schedule", "pause", id, "--json");
        assertEquals(0, paused.exit(), paused::toString);
        assertTrue(paused.json().path("schedule").path("paused").asBoolean(), paused::toString);
        assertTrue(cli.run("pipelines", "get", id).out().contains("next run:   - (paused"));
        Cli.Result resumed = cli.run("pipelines", "schedule", "resume", id);
        assertEquals(0, resumed.exit(), resumed::toString);
        assertTrue(resumed.out().startsWith("pipeline " + id + ": schedule 5 10 * * * (Europe/Paris)") && resumed.out().contains(" running; next run 20"),
                resumed::toString);
        assertEquals("5 10 * * *", cli.run("pipelines", "get", id, "--json").json().path("schedule").path("cron").asText());

        cluster.postPipeline("""
                name: cli-manual
                dataNodes: {src: {}, out: {}}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                """);
        assertTrue(cli.run("pipelines", "get", "cli-manual").out().contains("schedule:   -"));
        Cli.Result none = cli.run("pipelines", "schedule", "pause", "cli-manual");
        assertEquals(1, none.exit(), none::toString);
        assertTrue(none.err().contains("has no schedule"), none::toString);
    }

    @Test
    void aScheduleWhoseJobsCouldNeverRunIsRefusedWithItsLocation() {
        assertProblem(cluster.post("/api/v1/pipelines", pipeline("bad-cron", "{schedule_interval: \"61 10 * * *\"}"), "application/yaml"),
                "schedule.schedule_interval", "minute '61'");
        assertProblem(cluster.post("/api/v1/pipelines", pipeline("bad-dow", "\"5 10 * * 9\""), "application/yaml"),
                "schedule", "day of week '9'");
        assertProblem(cluster.post("/api/v1/pipelines", pipeline("bad-macro", "\"@reboot\""), "application/yaml"),
                "schedule", "unknown macro");
        assertProblem(cluster.post("/api/v1/pipelines", pipeline("never", "\"0 0 30 2 *\""), "application/yaml"),
                "schedule", "never fire");
        assertProblem(cluster.post("/api/v1/pipelines", """
                name: needs-a-day
                parameters:
                  day: {type: string, required: true}
                dataNodes: {src: {source: "in/${day}.txt"}, out: {}}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                schedule: "5 10 * * *"
                """, "application/yaml"), "parameters.day", "required parameter without a default");
        assertProblem(cluster.post("/api/v1/pipelines", """
                name: needs-an-input
                dataNodes: {src: {}, out: {}}
                processNodes:
                  copy: {input: [src], output: [out], processor: identity}
                schedule: "5 10 * * *"
                """, "application/yaml"), "dataNodes.src", "job input without a source");
        assertEquals(404, cluster.get("/api/v1/pipelines/bad-cron").status(), "nothing was stored");
        JsonNode checked = cluster.post("/api/v1/pipelines/validate", pipeline("bad-cron", "{cron: \"* 24 * * *\"}"), "application/yaml").json();
        assertFalse(checked.path("valid").asBoolean());
        assertEquals("schedule.cron", checked.path("problems").get(0).path("path").asText(), checked::toString);
        assertTrue(checked.path("problems").get(0).path("message").asText().contains("hour '24'"), checked::toString);
    }
}
