package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What accepted requests mean, beyond being accepted: a whole number sent to an integer parameter
 * reaches the processor as an integer; a job cancelled before it started shows no start time; the
 * answer to a pipeline post names the pipeline as reading it back does; who may pause a schedule is
 * decided before whether there is one.
 */
class RequestMeaningIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    static Cluster cluster;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).start();
        alice = cluster.createToken("alice-rm", "submit", null);
        bob = cluster.createToken("bob-rm", "submit", null);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWholeNumberForAnIntegerParameterIsAnInteger() {
        cluster.postPipeline("name: counts\nparameters:\n  n: {type: integer, required: true}\ndataNodes:\n  seed: {}\n  out: {}\n"
                + "processNodes:\n  say: {input: [seed], output: [out], processor: identity}\n");
        String job = cluster.submit("counts", "{\"parameters\": {\"n\": 1e3}, \"inputs\": {\"seed\": \"x\"}}");
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        assertTrue(view.path("parameters").path("n").isIntegralNumber(), view.path("parameters")::toString);
        assertEquals(1000, view.path("parameters").path("n").asInt());
    }

    @Test
    void aJobCancelledBeforeItStartedHasNoStartTime() {
        cluster.postPipeline("name: built\ndataNodes:\n  a: {}\n  b: {}\nprocessNodes:\n  p: {input: [a], output: [b], processor: identity}\n");
        String job = cluster.submit("built", "{\"inputs\": {\"a\": \"x\"}, \"start\": false}");
        Cluster.Response cancel = cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json");
        assertTrue(cancel.status() == 200 || cancel.status() == 202, cancel::text);
        JsonNode view = cluster.awaitJob(job, WAIT);
        assertEquals("CANCELLED", view.path("status").asText(), view::toPrettyString);
        assertTrue(view.path("started_at").isNull(), view::toPrettyString);
        assertTrue(!view.path("finished_at").isNull(), view::toPrettyString);
    }

    @Test
    void aPostedPipelineIsNamedAsItReadsBack() {
        Cluster.Response r = cluster.post("/api/v1/pipelines?name=outer-id",
                "name: inner-name\ndataNodes:\n  a: {}\n  b: {}\nprocessNodes:\n  p: {input: [a], output: [b], processor: identity}\n",
                "application/yaml");
        assertEquals(201, r.status(), r::text);
        assertEquals("outer-id", r.json().path("id").asText());
        JsonNode got = cluster.get("/api/v1/pipelines/outer-id").json();
        assertEquals(got.path("name").asText(), r.json().path("name").asText(), got::toPrettyString);
    }

    @Test
    void someoneElsesPipelineWithoutASchedule() {
        Cluster.Response posted = cluster.as(alice, "POST", "/api/v1/pipelines",
                "name: alices\ndataNodes:\n  a: {}\n  b: {}\nprocessNodes:\n  p: {input: [a], output: [b], processor: identity}\n");
        assertEquals(201, posted.status(), posted::text);
        Cluster.Response pause = cluster.as(bob, "POST", "/api/v1/pipelines/alices/schedule/pause", "");
        assertEquals(403, pause.status(), pause::text);
        Cluster.Response own = cluster.as(alice, "POST", "/api/v1/pipelines/alices/schedule/pause", "");
        assertEquals(409, own.status(), own::text);
        assertTrue(own.text().contains("has no schedule"), own::text);
    }
}
