package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.ContractCheck;
import io.vertx.core.http.HttpMethod;
import io.vertx.openapi.contract.Operation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operation of {@code openapi.yaml} is implemented. One
 * walk through the API calls each of them with a request that succeeds, against real RabbitMQ and
 * Redis; each answer is checked against the contract ({@link ContractCheck}, as for every request
 * of the integration tests) and the walk must have covered every documented operation.
 */
class ContractIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String JSON = "application/json";
    static Cluster cluster;
    private final Set<String> called = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Sends the request, asserts a 2xx of the expected operation and remembers it. */
    private Cluster.Response ok(String operationId, String method, String pathAndQuery, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.baseUri().resolve(pathAndQuery));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        Cluster.Response r = cluster.send(b);
        String path = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
        Operation op = ContractCheck.contract().findOperation(path, HttpMethod.valueOf(method));
        assertEquals(operationId, op == null ? null : op.getOperationId(), method + " " + path);
        assertTrue(r.status() >= 200 && r.status() < 300, operationId + ": " + r);
        called.add(operationId);
        return r;
    }

    private Cluster.Response ok(String operationId, String method, String pathAndQuery) {
        return ok(operationId, method, pathAndQuery, null, null);
    }

    @Test
    void everyDocumentedOperationAnswersAsDocumented() {
        String yaml = """
                name: contract
                parameters:
                  who: {type: string, default: world}
                dataNodes:
                  greeting: {}
                  message: {}
                  copy: {}
                processNodes:
                  greet:
                    input: [greeting]
                    output: [message]
                    processor: identity
                  again:
                    input: [message]
                    output: [copy]
                    processor: identity
                """;
        ok("health", "GET", "/health");
        ok("ready", "GET", "/ready");
        ok("metrics", "GET", "/metrics");
        assertTrue(ok("contract", "GET", "/openapi.yaml").text().startsWith("openapi: 3.1"));

        assertTrue(ok("validatePipeline", "POST", "/api/v1/pipelines/validate", "application/yaml", yaml).json().path("valid").asBoolean());
        assertEquals(1, ok("createPipeline", "POST", "/api/v1/pipelines", "application/yaml", yaml).json().path("version").asInt());
        ok("listPipelines", "GET", "/api/v1/pipelines?page_size=10");
        ok("getPipeline", "GET", "/api/v1/pipelines/contract?version=1");
        ok("listPipelineVersions", "GET", "/api/v1/pipelines/contract/versions");
        ok("planPipeline", "GET", "/api/v1/pipelines/contract/plan?outputs=copy");
        ok("drawPipeline", "GET", "/api/v1/pipelines/contract/graph?format=dot");
        String scheduled = """
                name: contract-scheduled
                dataNodes: {seed: {source: contract-seed.txt}, copy: {}}
                processNodes:
                  copy: {input: [seed], output: [copy], processor: identity}
                schedule: {schedule_interval: "5 10 1 1 *", timezone: Europe/Paris}
                """;
        ok("createPipeline", "POST", "/api/v1/pipelines", "application/yaml", scheduled);
        assertEquals("5 10 1 1 *", ok("getPipeline", "GET", "/api/v1/pipelines/contract-scheduled").json().path("schedule").path("cron").asText());
        assertTrue(ok("pauseSchedule", "POST", "/api/v1/pipelines/contract-scheduled/schedule/pause").json()
                .path("schedule").path("paused").asBoolean());
        assertTrue(ok("resumeSchedule", "POST", "/api/v1/pipelines/contract-scheduled/schedule/resume").json()
                .path("schedule").path("next_run_at").isTextual());
        ok("listJobs", "GET", "/api/v1/jobs?trigger=schedule,manual&page_size=5");
        ok("deletePipeline", "DELETE", "/api/v1/pipelines/contract-scheduled");

        String job = ok("submitJob", "POST", "/api/v1/pipelines/contract/jobs", JSON,
                "{\"inputs\": {\"greeting\": \"hi\"}, \"job_name\": \"first\", \"priority\": \"high\"}").json().path("id").asText();
        JsonNode done = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", done.path("status").asText(), done::toPrettyString);
        ok("getJob", "GET", "/api/v1/jobs/" + job);
        JsonNode firstTask = ok("listJobTasks", "GET", "/api/v1/jobs/" + job + "/tasks?page_size=1").json();
        assertEquals("greet", firstTask.path("tasks").path(0).path("node").asText(), firstTask::toPrettyString);
        String after = firstTask.path("next_page_after").asText();
        ok("listJobTasks", "GET", "/api/v1/jobs/" + job + "/tasks?status=success,failed&page_after=" + after);
        JsonNode consumables = ok("listJobConsumables", "GET", "/api/v1/jobs/" + job + "/consumables?page_size=10").json();
        assertEquals(3, consumables.path("consumables").size(), consumables::toPrettyString);
        ok("listJobs", "GET", "/api/v1/jobs?status=SUCCESS,FAILED&pipeline=contract&page_size=5");
        assertEquals("hi", ok("getConsumable", "GET", "/api/v1/jobs/" + job + "/consumables/copy").text());
        ok("getJobLogs", "GET", "/api/v1/jobs/" + job + "/logs");
        ok("getJobLogs", "GET", "/api/v1/jobs/" + job + "/logs?follow=true");
        ok("drawJob", "GET", "/api/v1/jobs/" + job + "/graph?format=mermaid");
        ok("drawJob", "GET", "/api/v1/jobs/" + job + "/graph");

        ok("createPipeline", "POST", "/api/v1/pipelines", "application/yaml", """
                name: contract-cache
                dataNodes: {greeting: {}, message: {}}
                processNodes:
                  greet: {input: [greeting], output: [message], processor: identity, cache: true}
                """);
        String memoised = ok("submitJob", "POST", "/api/v1/pipelines/contract-cache/jobs", JSON,
                "{\"inputs\": {\"greeting\": \"hi\"}, \"cache\": true, \"refresh\": []}").json().path("id").asText();
        assertEquals("SUCCESS", cluster.awaitJob(memoised, WAIT).path("status").asText());
        JsonNode cachePlan = ok("planPipelineWithInputs", "POST", "/api/v1/pipelines/contract-cache/plan", JSON,
                "{\"inputs\": {\"greeting\": \"hi\"}}").json();
        assertEquals("[*] ( )", cachePlan.path("cache").path("nodes").path(0).path("marks").asText(), cachePlan::toPrettyString);
        String taken = ok("submitJob", "POST", "/api/v1/pipelines/contract-cache/jobs", JSON,
                "{\"inputs\": {\"greeting\": \"hi\"}}").json().path("id").asText();
        assertEquals("CACHED", Cluster.task(cluster.awaitJob(taken, WAIT), "greet").path("status").asText());
        ok("getJob", "GET", "/api/v1/jobs/" + taken);
        ok("listJobTasks", "GET", "/api/v1/jobs/" + taken + "/tasks?status=cached");
        JsonNode entries = ok("listCache", "GET", "/api/v1/cache?pipeline=contract-cache&node=greet&page_size=5").json();
        String key = entries.path("entries").path(0).path("key").asText();
        ok("getCacheEntry", "GET", "/api/v1/cache/" + key);
        ok("deleteCacheEntry", "DELETE", "/api/v1/cache/" + key);
        ok("deleteCache", "DELETE", "/api/v1/cache?pipeline=contract-cache");
        String rerun = ok("retryJob", "POST", "/api/v1/jobs/" + job + "/retry").json().path("id").asText();
        cluster.awaitJob(rerun, WAIT);

        String run = ok("createRun", "POST", "/api/v1/runs", JSON,
                "{\"pipeline_id\": \"contract\", \"name\": \"walk\", \"priority\": \"medium\", \"tags\": {\"team\": \"api\"}, "
                        + "\"domain_context\": {\"n\": 1}}").json().path("id").asText();
        String built = ok("submitRunJob", "POST", "/api/v1/runs/" + run + "/jobs", JSON,
                "{\"inputs\": {\"greeting\": \"yo\"}, \"start\": false, \"config\": {\"infra\": {\"cpu\": 0.5}}}").json().path("id").asText();
        ok("getRun", "GET", "/api/v1/runs/" + run);
        ok("listRuns", "GET", "/api/v1/runs?priority=medium&tag=team:api");
        ok("listRunJobs", "GET", "/api/v1/runs/" + run + "/jobs?status=READY");
        ok("runJob", "POST", "/api/v1/jobs/" + built + "/run");
        cluster.awaitJob(built, WAIT);
        ok("startJob", "POST", "/api/v1/jobs/" + built + "/start"); // already started: 200, started false
        String again = ok("runJob", "POST", "/api/v1/jobs/" + built + "/run").json().path("id").asText(); // ended: a new job, 202
        assertEquals("SUCCESS", cluster.awaitJob(again, WAIT).path("status").asText());
        assertEquals(built, ok("getJob", "GET", "/api/v1/jobs/" + again).json().path("rerun_of").asText());
        String waiting = ok("submitJob", "POST", "/api/v1/pipelines/contract/jobs", JSON, "{\"inputs\": {\"greeting\": \"x\"}, \"start\": false}")
                .json().path("id").asText();
        assertEquals("CANCELLED", ok("cancelJob", "POST", "/api/v1/jobs/" + waiting + "/cancel").json().path("status").asText());
        ok("deleteJob", "DELETE", "/api/v1/jobs/" + waiting);

        ok("listWorkers", "GET", "/api/v1/workers");
        ok("listWorkerViews", "GET", "/api/v1/admin/workers");
        ok("listQueues", "GET", "/api/v1/admin/queues");
        ok("listPools", "GET", "/api/v1/admin/pools");
        ok("pausePool", "POST", "/api/v1/admin/pools/default/pause");
        ok("drainPool", "POST", "/api/v1/admin/pools/default/drain?timeout=5");
        ok("resumePool", "POST", "/api/v1/admin/pools/default/resume");

        ok("setLimit", "PUT", "/api/v1/admin/limits/processor/identity", JSON, "{\"max\": 4}");
        ok("listLimits", "GET", "/api/v1/admin/limits");
        ok("removeLimit", "DELETE", "/api/v1/admin/limits/processor/identity");
        ok("listSetAside", "GET", "/api/v1/admin/set-aside?limit=10");

        String garbage = "not a task message " + System.nanoTime();
        try {
            cluster.publish(cluster.keys().taskExchange(), "default", garbage);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Cluster.await("the garbage to be dead-lettered", WAIT, () -> ok("listDeadLetters", "GET", "/api/v1/admin/dlq?limit=10").json()
                .path("dead_letters").findValuesAsText("body").contains(garbage));
        String letter = null;
        for (JsonNode d : ok("listDeadLetters", "GET", "/api/v1/admin/dlq").json().path("dead_letters")) {
            if (garbage.equals(d.path("body").asText())) {
                letter = d.path("id").asText();
            }
        }
        assertTrue(letter != null, "the garbage's dead letter is listed");
        ok("getDeadLetter", "GET", "/api/v1/admin/dlq/" + letter);
        ok("replayDeadLetters", "POST", "/api/v1/admin/dlq/replay", JSON, "{\"id\": \"" + letter + "\", \"dry_run\": true}");
        ok("purgeDeadLetters", "POST", "/api/v1/admin/dlq/purge", JSON, "{\"id\": \"" + letter + "\"}");

        assertEquals(1, ok("uploadModule", "POST", "/api/v1/modules/contract_mod?description=walk", "text/x-python", "print('hi')\n")
                .json().path("version").asInt());
        ok("listModules", "GET", "/api/v1/modules?page_size=5");
        ok("getModule", "GET", "/api/v1/modules/contract_mod");
        ok("listModuleVersions", "GET", "/api/v1/modules/contract_mod/versions");
        assertEquals("print('hi')\n", ok("getModuleContent", "GET", "/api/v1/modules/contract_mod/versions/1/content").text());
        ok("uploadModule", "POST", "/api/v1/modules/contract_mod", "text/x-python", "print('again')\n");
        ok("deleteModuleVersion", "DELETE", "/api/v1/modules/contract_mod/versions/1");
        ok("deleteModule", "DELETE", "/api/v1/modules/contract_mod");

        String token = ok("createToken", "POST", "/api/v1/tokens", JSON, "{\"name\": \"contract-walk\", \"role\": \"read\"}")
                .json().path("id").asText();
        ok("listTokens", "GET", "/api/v1/tokens");
        ok("revokeToken", "DELETE", "/api/v1/tokens/" + token);

        ok("deletePipeline", "DELETE", "/api/v1/pipelines/contract");

        Set<String> documented = ContractCheck.contract().operations().stream().map(Operation::getOperationId)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> missed = new TreeSet<>(documented);
        missed.removeAll(called);
        assertTrue(missed.isEmpty(), "operations of openapi.yaml this walk did not call: " + missed);
        assertEquals(documented, called);
        assertTrue(new String(cluster.get("/openapi.yaml").body(), StandardCharsets.UTF_8).contains("operationId: revokeToken"));
    }
}
