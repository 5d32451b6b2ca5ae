package dev.pipewright.it;

import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With one worker slot and 50 low-priority tasks waiting, a high-priority
 * job's task starts within the next 2 task starts; medium tasks overtake the low ones waiting
 * before them too. Start order is read from the tasks' {@code started} times in Redis.
 */
class PriorityIT {
    private static final String PIPELINE = """
            name: one-step
            dataNodes:
              in:
              out:
            processNodes:
              step:
                input: [in]
                output: [out]
                processor: sleep
                config: {ms: 150}
            """;

    static Cluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(1).start();
        cluster.postPipeline(PIPELINE);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String submit(String priority, int n) {
        return cluster.submit("one-step", "{\"inputs\": {\"in\": \"" + priority + n + "\"}, \"priority\": \"" + priority + "\"}");
    }

    private static long started(String job) {
        String s = cluster.redis().hget(cluster.taskKey(job, "step"), "started");
        return s == null ? Long.MAX_VALUE : Long.parseLong(s);
    }

    private static long created(String job) {
        return Long.parseLong(cluster.redis().hget(cluster.jobKey(job), "created"));
    }

    /** How many of these jobs' tasks started after {@code from} and before {@code to}. */
    private static long startsBetween(List<String> jobs, long from, long to) {
        return jobs.stream().mapToLong(PriorityIT::started).filter(t -> t > from && t < to).count();
    }

    @Test
    void aHighPriorityTaskOvertakesFiftyWaitingLowOnes() {
        List<String> low = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            low.add(submit("low", i));
        }
        Cluster.await("the first low task to start", Duration.ofSeconds(30), () -> started(low.get(0)) != Long.MAX_VALUE);
        List<String> medium = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            medium.add(submit("medium", i));
        }
        String high = submit("high", 0);
        assertEquals("SUCCESS", cluster.awaitJob(high, Duration.ofSeconds(60)).path("status").asText());
        long highSubmitted = created(high);
        long highStarted = started(high);
        long lowsBefore = startsBetween(low, highSubmitted, highStarted);
        long mediumsBefore = startsBetween(medium, highSubmitted, highStarted);
        assertTrue(lowsBefore + mediumsBefore <= 1, "the high task started within the next 2 starts; before it started "
                + lowsBefore + " low and " + mediumsBefore + " medium tasks");
        long lowsWaiting = low.stream().filter(j -> started(j) > highStarted).count();
        assertTrue(lowsWaiting >= 20, "low tasks were still waiting when the high one started: " + lowsWaiting);

        for (String job : medium) {
            assertEquals("SUCCESS", cluster.awaitJob(job, Duration.ofSeconds(60)).path("status").asText());
        }
        long lastMedium = medium.stream().mapToLong(PriorityIT::started).max().orElseThrow();
        long firstMediumSubmitted = created(medium.get(0));
        long lowsOvertaking = startsBetween(low, firstMediumSubmitted, lastMedium);
        assertTrue(lowsOvertaking <= 1, "medium tasks start before the low ones already waiting; " + lowsOvertaking
                + " low tasks started in between");
        long lowsStillWaiting = low.stream().filter(j -> started(j) > lastMedium).count();
        assertTrue(lowsStillWaiting >= 15, "low tasks were still waiting when the medium ones ran: " + lowsStillWaiting);
        for (String job : low) {
            assertEquals("SUCCESS", cluster.awaitJob(job, Duration.ofSeconds(60)).path("status").asText());
        }
    }

    @Test
    void anUnknownPriorityIsRefused() {
        Cluster.Response r = cluster.submitRaw("one-step", "{\"inputs\": {\"in\": \"x\"}, \"priority\": \"urgent\"}");
        assertEquals(400, r.status(), r::toString);
        assertTrue(r.text().contains("one of [low, medium, high], in any case"), r::toString);
    }
}
