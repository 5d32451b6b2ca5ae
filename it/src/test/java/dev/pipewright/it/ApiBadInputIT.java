package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input to the pipelines, runs and jobs API: wrong types, unknown fields, bad enum values,
 * oversized bodies, unknown ids, and missing, malformed, unknown and insufficient tokens, and
 * another owner's jobs, runs and pipelines. Each is a clear 4xx in the JSON error shape naming the
 * problem, and the stored state (every key of the namespace with its whole content, see
 * {@link Cluster#snapshot()}, and the listings) is the same before and after.
 */
class ApiBadInputIT {
    private static final int MAX_BODY = 64 * 1024;
    static Cluster cluster;
    static String runId;
    static String readyJob;
    static String cancelledJob;
    static String reader;
    static String bob;
    /** Who a case sends as: the cluster's admin token unless one of these. */
    static final String NO_TOKEN = "<none>", READER = "<reader>", BOB = "<bob>", UNKNOWN = "<unknown>", BASIC = "<basic>";

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).overseerSetting("PW_MAX_BODY_BYTES", Integer.toString(MAX_BODY)).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One bad request and what must come back; {@code as}: who sends it (null: the admin token). */
    record Case(String name, String method, String path, String body, Map<String, String> headers, int status, String problemPath,
                String messagePart, String as) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case c(String name, String method, String path, String body, int status, String problemPath, String messagePart) {
        return new Case(name, method, path, body, Map.of(), status, problemPath, messagePart, null);
    }

    static Case as(String who, String name, String method, String path, String body, int status, String messagePart) {
        return new Case(name, method, path, body, Map.of(), status, null, messagePart, who);
    }

    private static final String PIPELINE_JSON = "{\"parameters\": {\"x\": \"integer\"}, \"dataNodes\": {\"a\": null, \"b\": null},"
            + " \"processNodes\": {\"p\": {\"input\": \"a\", \"output\": \"b\", \"processor\": \"identity\"}}}";

    static List<Case> cases() {
        String big = "{\"pipeline_id\": \"toy\", \"name\": \"" + "x".repeat(MAX_BODY + 10) + "\"}";
        String longName = "n".repeat(500);
        List<Case> t = new ArrayList<>();
        // runs
        t.add(c("run: pipeline_id of the wrong type", "POST", "/api/v1/runs", "{\"pipeline_id\": 5}", 400, "pipeline_id", "expected text"));
        t.add(c("run: unknown field", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"colour\": \"red\"}", 400, "colour", "unknown field"));
        t.add(c("run: bad priority", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"priority\": \"urgent\"}", 400, "priority", "urgent"));
        t.add(c("run: priority of the wrong type", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"priority\": 3}", 400, "priority", "the number 3"));
        t.add(c("run: tags not an object", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"tags\": [\"a\"]}", 400, "tags", "expected an object"));
        t.add(c("run: tag value an object", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"tags\": {\"a\": {}}}", 400, "tags.a", "expected text"));
        t.add(c("run: tag name with ':'", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"tags\": {\"a:b\": \"x\"}}", 400, "tags",
                "the name 'a:b'"));
        t.add(c("run: empty tag name", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"tags\": {\"\": \"x\"}}", 400, "tags",
                "the name ''"));
        t.add(c("run: domain_context not an object", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"domain_context\": \"x\"}", 400,
                "domain_context", "expected an object"));
        t.add(c("run: missing pipeline_id", "POST", "/api/v1/runs", "{\"name\": \"n\"}", 400, "pipeline_id", "missing"));
        t.add(c("run: unknown pipeline", "POST", "/api/v1/runs", "{\"pipeline_id\": \"nope\"}", 400, "pipeline_id", "no pipeline 'nope'"));
        t.add(c("run: unknown pipeline version", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"version\": 99}", 400, "version", "no version 99"));
        // the same answer as run creation's (it was a 404 here, a 400 there)
        t.add(c("job: unknown pipeline version", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}, \"version\": 99}", 400,
                "version", "no version 99"));
        t.add(c("run: name too long", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"name\": \"" + longName + "\"}", 400, "name", "1 to 200"));
        t.add(c("run: body not JSON", "POST", "/api/v1/runs", "{pipeline_id: toy", 400, "$", "not valid JSON"));
        t.add(c("run: body a list", "POST", "/api/v1/runs", "[1, 2]", 400, "$", "JSON object"));
        t.add(c("run: oversized body", "POST", "/api/v1/runs", big, 413, null, "larger than " + MAX_BODY));
        // jobs of a run
        t.add(c("run job: unknown run", "POST", "/api/v1/runs/rzzzzzzzzzzzz/jobs", "{}", 404, null, "no run 'rzzzzzzzzzzzz'"));
        t.add(c("run job: malformed run id", "POST", "/api/v1/runs/NOT-A-RUN/jobs", "{}", 404, null, null));
        t.add(c("run job: priority is the run's", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"priority\": \"high\"}", 400,
                "priority", "unknown field"));
        t.add(c("run job: cpu as text", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"cpu\": \"1\"}}}",
                400, "config.infra.cpu", "expected a number above 0"));
        t.add(c("run job: cpu zero", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"cpu\": 0}}}",
                400, "config.infra.cpu", "above 0"));
        t.add(c("run job: memory without a unit form", "POST", "/api/v1/runs/{run}/jobs",
                "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"memory\": \"2GB\"}}}", 400, "config.infra.memory", "2Gi"));
        // a bare number is GiB (seed 002); neither true nor zero is a size
        t.add(c("run job: storage as a boolean", "POST", "/api/v1/runs/{run}/jobs",
                "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"storage\": true}}}", 400, "config.infra.storage", "a boolean"));
        t.add(c("run job: no memory", "POST", "/api/v1/runs/{run}/jobs",
                "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"memory\": 0}}}", 400, "config.infra.memory", "above 0"));
        t.add(c("run job: unknown infra field", "POST", "/api/v1/runs/{run}/jobs",
                "{\"parameters\": {\"x\": 1}, \"config\": {\"infra\": {\"gpu\": 1}}}", 400, "config.infra.gpu", "unknown field"));
        t.add(c("run job: unknown config field", "POST", "/api/v1/runs/{run}/jobs",
                "{\"parameters\": {\"x\": 1}, \"config\": {\"colour\": 1}}", 400, "config.colour", "unknown field"));
        t.add(c("run job: config not an object", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"config\": []}", 400,
                "config", "expected an object"));
        t.add(c("run job: parameter of the wrong type", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": \"abc\"}}", 400,
                "parameters.x", "integer"));
        t.add(c("run job: parameter null", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": null}}", 400,
                "parameters.x", "got null"));
        t.add(c("run job: integer parameter not whole", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1.5}}", 400,
                "parameters.x", "integer"));
        t.add(c("run job: number out of range", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1e400}}", 400,
                "parameters.x", "out of range"));
        t.add(c("run job: a field given twice", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1, \"x\": 2}}", 400,
                "$", "Duplicate field 'x'"));
        t.add(c("run job: unknown parameter", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1, \"z\": 2}}", 400,
                "parameters.z", "unknown parameter"));
        t.add(c("run job: missing parameter", "POST", "/api/v1/runs/{run}/jobs", "{}", 400, "parameters.x", "missing"));
        t.add(c("run job: start not a boolean", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"start\": \"yes\"}", 400,
                "start", "true or false"));
        t.add(c("run job: job_name a number", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}, \"job_name\": 5}", 400,
                "job_name", "expected text"));
        // jobs straight to a pipeline
        t.add(c("job: bad priority", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}, \"priority\": \"urgent\"}", 400,
                "priority", "urgent"));
        t.add(c("job: version as text", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}, \"version\": \"2\"}", 400,
                "version", "a whole number of at least 1, got '2'"));
        t.add(c("job: unknown field", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}, \"run_id\": \"r1\"}", 400,
                "run_id", "unknown field"));
        t.add(new Case("job: bad Idempotency-Key", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}}",
                Map.of("Idempotency-Key", "a key with spaces"), 400, "Idempotency-Key", "letters, digits", null));
        t.add(new Case("job: Idempotency-Key too long", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}}",
                Map.of("Idempotency-Key", "k".repeat(256)), 400, "Idempotency-Key", "1 to 255 characters, got text of 256 characters", null));
        t.add(c("job: unknown pipeline", "POST", "/api/v1/pipelines/nope/jobs", "{}", 404, null, "no pipeline 'nope'"));
        t.add(c("job: oversized body", "POST", "/api/v1/pipelines/toy/jobs", big, 413, null, "larger than"));
        // reads and actions on unknown ids, bad query parameters
        t.add(c("get: unknown run", "GET", "/api/v1/runs/rzzzzzzzzzzzz", null, 404, null, "no run"));
        t.add(c("get: run jobs of an unknown run", "GET", "/api/v1/runs/rzzzzzzzzzzzz/jobs", null, 404, null, "no run"));
        t.add(c("get: unknown job", "GET", "/api/v1/jobs/zzzzzzzzzzzz", null, 404, null, "no job"));
        t.add(c("run: unknown job", "POST", "/api/v1/jobs/zzzzzzzzzzzz/run", "", 404, null, "no job"));
        t.add(c("delete: unknown job", "DELETE", "/api/v1/jobs/zzzzzzzzzzzz", null, 404, null, "expired after its retention period"));
        // /run of a cancelled job runs it again as a new job (BuildThenRunIT); /start never does
        t.add(c("start: a cancelled job", "POST", "/api/v1/jobs/{cancelled}/start", "", 409, null, "CANCELLED"));
        t.add(c("logs: follow=maybe", "GET", "/api/v1/jobs/{ready}/logs?follow=maybe", null, 400, "follow", "true or false"));
        t.add(c("logs: unknown job", "GET", "/api/v1/jobs/zzzzzzzzzzzz/logs?follow=true", null, 404, null, "no job"));
        t.add(c("list jobs: bad status", "GET", "/api/v1/jobs?status=BOGUS", null, 400, "status", "BOGUS"));
        t.add(c("list jobs: bad priority", "GET", "/api/v1/jobs?priority=urgent", null, 400, "priority", "urgent"));
        t.add(c("list jobs: page_size 0", "GET", "/api/v1/jobs?page_size=0", null, 400, "page_size", "1 to 500"));
        t.add(c("list jobs: page_size 501", "GET", "/api/v1/jobs?page_size=501", null, 400, "page_size", "1 to 500"));
        t.add(c("list jobs: page_size text", "GET", "/api/v1/jobs?page_size=ten", null, 400, "page_size", "whole number"));
        t.add(c("list jobs: unknown cursor", "GET", "/api/v1/jobs?page_after=zzzzzzzzzzzz", null, 400, "page_after", "not a cursor"));
        t.add(c("list jobs: bad run filter", "GET", "/api/v1/jobs?run=../x", null, 400, "run", "not a run id"));
        t.add(c("list runs: bad status", "GET", "/api/v1/runs?status=DONE", null, 400, "status", "DONE"));
        t.add(c("list runs: unknown cursor", "GET", "/api/v1/runs?page_after=rzzzzzzzzzzzz", null, 400, "page_after", "not a cursor"));
        t.add(c("list runs: bad tag", "GET", "/api/v1/runs?tag=:v", null, 400, "tag", "NAME:VALUE"));
        t.add(c("list pipelines: unknown cursor", "GET", "/api/v1/pipelines?page_after=nope", null, 400, "page_after", "not a cursor"));
        t.add(c("pipeline: unknown version", "GET", "/api/v1/pipelines/toy?version=99", null, 404, null, "no version 99"));
        t.add(c("pipeline: versions of an unknown one", "GET", "/api/v1/pipelines/nope/versions", null, 404, null, "no pipeline"));
        t.add(c("pipeline: a method the path does not take", "PUT", "/api/v1/pipelines/toy", "{}", 405, null, "takes DELETE, GET, not PUT"));
        t.add(c("job: a method the path does not take", "PUT", "/api/v1/jobs/{ready}", "{}", 405, null, "takes DELETE, GET, not PUT"));
        t.add(c("delete: a job that has not ended", "DELETE", "/api/v1/jobs/{ready}", null, 409, null, "is READY; only an ended job"));
        t.add(c("pipeline: delete an unknown one", "DELETE", "/api/v1/pipelines/nope", null, 404, null, "no pipeline"));
        t.add(c("pipeline: delete one with a job that has not ended", "DELETE", "/api/v1/pipelines/toy", null, 409, null, "{ready}"));
        t.add(c("pipeline: not a pipeline", "POST", "/api/v1/pipelines", "{\"dataNodes\": 5}", 400, null, "problem"));
        t.add(c("pipeline: bad name", "POST", "/api/v1/pipelines?name=no%20spaces", PIPELINE_JSON, 400, "name", "a pipeline name"));
        t.add(c("list pipelines: page_size text", "GET", "/api/v1/pipelines?page_size=many", null, 400, "page_size", "whole number"));
        t.add(c("pipeline: version 0", "GET", "/api/v1/pipelines/toy?version=0", null, 400, "version", "whole number"));
        t.add(c("run: version 0", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"version\": 0}", 400, "version", "a whole number of at least 1, got the number 0"));
        t.add(c("run: version as text", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\", \"version\": \"1\"}", 400, "version", "a whole number of at least 1, got '1'"));
        t.add(c("run jobs: bad status", "GET", "/api/v1/runs/{run}/jobs?status=DONE", null, 400, "status", "DONE"));
        t.add(c("logs: unknown node", "GET", "/api/v1/jobs/{ready}/logs?node=nope", null, 400, "node", "has no task 'nope'"));
        t.add(c("logs: attempt 0", "GET", "/api/v1/jobs/{ready}/logs?attempt=0", null, 400, "attempt", "whole number"));
        t.add(c("graph: unknown job", "GET", "/api/v1/jobs/zzzzzzzzzzzz/graph", null, 404, null, "no job"));
        t.add(c("graph: bad format", "GET", "/api/v1/jobs/{ready}/graph?format=png", null, 400, "format", "expected one of [svg, dot, mermaid], got 'png'"));
        t.add(c("retry: a job that has not ended", "POST", "/api/v1/jobs/{ready}/retry", "", 409, null, "only an ended job"));
        t.add(c("cancel: an ended job", "POST", "/api/v1/jobs/{cancelled}/cancel", "", 409, null, "already ended"));
        t.add(c("start: unknown job", "POST", "/api/v1/jobs/zzzzzzzzzzzz/start", "", 404, null, "no job"));
        // no token, a malformed or unknown one: 401 before anything is looked at
        for (String[] r : new String[][] {{"GET", "/api/v1/runs"}, {"POST", "/api/v1/runs"}, {"GET", "/api/v1/runs/{run}"},
                {"POST", "/api/v1/runs/{run}/jobs"}, {"GET", "/api/v1/runs/{run}/jobs"}, {"GET", "/api/v1/jobs"}, {"GET", "/api/v1/jobs/{ready}"},
                {"POST", "/api/v1/jobs/{ready}/run"}, {"POST", "/api/v1/jobs/{ready}/cancel"}, {"GET", "/api/v1/jobs/{ready}/graph"},
                {"GET", "/api/v1/pipelines"}, {"POST", "/api/v1/pipelines"}, {"DELETE", "/api/v1/pipelines/toy"},
                {"POST", "/api/v1/pipelines/toy/jobs"}}) {
            String body = r[0].equals("POST") ? "{}" : null;
            t.add(as(NO_TOKEN, "no token: " + r[0] + " " + r[1], r[0], r[1], body, 401, "needs a bearer token"));
        }
        t.add(as(UNKNOWN, "unknown token: GET a run", "GET", "/api/v1/runs/{run}", null, 401, "unknown or revoked"));
        t.add(as(UNKNOWN, "unknown token: submit to a run", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}}", 401, "unknown or revoked"));
        t.add(as(UNKNOWN, "unknown token: delete a pipeline", "DELETE", "/api/v1/pipelines/toy", null, 401, "unknown or revoked"));
        t.add(as(BASIC, "Basic credentials: list jobs", "GET", "/api/v1/jobs", null, 401, "malformed Authorization header"));
        // a read token changes nothing
        t.add(as(READER, "read token: create a run", "POST", "/api/v1/runs", "{\"pipeline_id\": \"toy\"}", 403, "needs role 'submit'"));
        t.add(as(READER, "read token: submit to a run", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}}", 403, "needs role 'submit'"));
        t.add(as(READER, "read token: submit a job", "POST", "/api/v1/pipelines/toy/jobs", "{\"parameters\": {\"x\": 1}}", 403, "needs role 'submit'"));
        t.add(as(READER, "read token: start a job", "POST", "/api/v1/jobs/{ready}/run", "", 403, "needs role 'submit'"));
        t.add(as(READER, "read token: cancel a job", "POST", "/api/v1/jobs/{ready}/cancel", "", 403, "needs role 'submit'"));
        t.add(as(READER, "read token: post a pipeline", "POST", "/api/v1/pipelines?name=toy", PIPELINE_JSON, 403, "needs role 'submit'"));
        t.add(as(READER, "read token: delete a pipeline", "DELETE", "/api/v1/pipelines/toy", null, 403, "needs role 'submit'"));
        // another owner (bob, submit): someone else's jobs and runs are not there, their pipeline not his to change
        t.add(as(BOB, "another owner: start a built job", "POST", "/api/v1/jobs/{ready}/run", "", 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: start a built job (alias)", "POST", "/api/v1/jobs/{ready}/start", "", 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: a job's graph", "GET", "/api/v1/jobs/{ready}/graph", null, 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: a job", "GET", "/api/v1/jobs/{ready}", null, 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: a job's logs", "GET", "/api/v1/jobs/{ready}/logs", null, 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: a job's input", "GET", "/api/v1/jobs/{ready}/consumables/a", null, 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: cancel a job", "POST", "/api/v1/jobs/{ready}/cancel", "", 404, "no job '{ready}'"));
        t.add(as(BOB, "another owner: re-run a job", "POST", "/api/v1/jobs/{cancelled}/retry", "", 404, "no job '{cancelled}'"));
        t.add(as(BOB, "another owner: a run", "GET", "/api/v1/runs/{run}", null, 404, "no run '{run}'"));
        t.add(as(BOB, "another owner: a run's jobs", "GET", "/api/v1/runs/{run}/jobs", null, 404, "no run '{run}'"));
        t.add(as(BOB, "another owner: submit to a run", "POST", "/api/v1/runs/{run}/jobs", "{\"parameters\": {\"x\": 1}}", 404, "no run '{run}'"));
        t.add(as(BOB, "another owner: list their jobs", "GET", "/api/v1/jobs?owner=admin", null, 403, "'admin' is not your owner"));
        t.add(as(BOB, "another owner: list their runs", "GET", "/api/v1/runs?owner=bob,admin", null, 403, "'admin' is not your owner"));
        t.add(as(BOB, "another owner: a new version of their pipeline", "POST", "/api/v1/pipelines?name=toy", PIPELINE_JSON, 403,
                "belongs to owner 'admin'"));
        t.add(as(BOB, "another owner: delete their pipeline", "DELETE", "/api/v1/pipelines/toy", null, 403, "belongs to owner 'admin'"));
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedClearlyAndNothingChanged(Case k) {
        setUp();
        String path = fill(k.path());
        Map<String, String> before = state();
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.baseUri().resolve(path)).timeout(Duration.ofSeconds(60));
        k.headers().forEach(b::header);
        if (k.body() == null) {
            b.method(k.method(), HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(k.method(), HttpRequest.BodyPublishers.ofString(k.body()));
        }
        Cluster.Response r;
        if (k.as() == null) {
            r = cluster.send(b);
        } else {
            switch (k.as()) {
                case READER -> b.header("Authorization", "Bearer " + reader);
                case BOB -> b.header("Authorization", "Bearer " + bob);
                case UNKNOWN -> b.header("Authorization", "Bearer pw_" + "Z".repeat(43));
                case BASIC -> b.header("Authorization", "Basic Ym9iOnNlY3JldA==");
                default -> { } // no Authorization header at all
            }
            r = cluster.sendRaw(b.build());
        }
        assertEquals(k.status(), r.status(), () -> k.name() + ": " + r);
        assertTrue(r.contentType() != null && r.contentType().startsWith("application/json"), () -> k.name() + ": JSON expected, " + r);
        JsonNode error = r.json().path("error");
        String message = error.path("message").asText();
        assertTrue(!message.isBlank(), () -> "a message: " + r);
        assertTrue(!error.path("code").asText().isBlank() && error.path("problems").isArray(), () -> k.name() + ": the error shape: " + r);
        if (k.status() == 401) {
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), () -> k.name() + ": a challenge: " + r);
        }
        if (k.messagePart() != null) {
            String part = fill(k.messagePart());
            assertTrue(message.contains(part) || error.path("problems").toString().contains(part),
                    () -> k.name() + ": expected '" + part + "' in " + r);
        }
        if (k.problemPath() != null) {
            List<String> paths = new ArrayList<>();
            error.path("problems").forEach(p -> paths.add(p.path("path").asText()));
            assertTrue(paths.contains(k.problemPath()), () -> k.name() + ": expected a problem at " + k.problemPath() + " in " + r);
        }
        assertTrue(!r.text().contains("Exception") && !r.text().contains("\tat "), () -> "no stack trace: " + r);
        assertEquals(before, state(), () -> k.name() + " changed the stored state");
    }

    private static String fill(String text) {
        return text.replace("{run}", runId).replace("{ready}", readyJob).replace("{cancelled}", cancelledJob);
    }

    private static synchronized void setUp() {
        if (runId != null) {
            return;
        }
        reader = cluster.createToken("bad-input-reader", "read", null);
        bob = cluster.createToken("bob", "submit", null);
        cluster.postPipeline("""
                name: toy
                parameters:
                  x: integer
                dataNodes:
                  a:
                  b:
                processNodes:
                  p:
                    input: [a]
                    output: [b]
                    processor: identity
                """);
        Cluster.Response run = cluster.post("/api/v1/runs", "{\"pipeline_id\": \"toy\", \"priority\": \"high\"}", "application/json");
        assertEquals(201, run.status(), run::toString);
        runId = run.json().path("id").asText();
        readyJob = cluster.submit("toy", "{\"parameters\": {\"x\": 1}, \"inputs\": {\"a\": \"v\"}, \"start\": false}");
        cancelledJob = cluster.submit("toy", "{\"parameters\": {\"x\": 1}, \"inputs\": {\"a\": \"v\"}, \"start\": false}");
        assertEquals(202, cluster.post("/api/v1/jobs/" + cancelledJob + "/cancel", "", "application/json").status());
        Cluster.await("the built job to be cancelled", Duration.ofSeconds(30),
                () -> "CANCELLED".equals(cluster.job(cancelledJob).path("status").asText()));
    }

    /** Every key of the namespace with its whole content ({@link Cluster#snapshot()}), plus the listings. */
    private static Map<String, String> state() {
        Map<String, String> out = cluster.snapshot();
        out.put("GET runs", cluster.get("/api/v1/runs").text());
        out.put("GET jobs", cluster.get("/api/v1/jobs").text());
        out.put("GET pipelines", cluster.get("/api/v1/pipelines").text());
        return out;
    }
}
