package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code after:} orders process nodes without passing data, on real services. The proof is an audit
 * file every attempt appends to when it starts and when it ends (written by the processes
 * themselves), plus the task table: an {@code after} parent counts among a task's parents and has
 * it among its children. A control node without {@code after} shows the audit can see overlap.
 */
class AfterOrderingIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(40);

    static Cluster cluster;
    static Path audit;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-after-it-");
        audit = dir.resolve("audit.log");
        Files.writeString(audit, "");
        Path processors = dir.resolve("processors.yaml");
        // each attempt appends 'start <node>' and 'end <node>' to the audit file (O_APPEND lines are
        // atomic), sleeping in between so that two unordered nodes overlap
        String slow = audited(audit, 2);
        String quick = audited(audit, 0);
        Files.writeString(processors, "processors:\n  audited_slow:\n    command: [sh, -c, '" + slow + "']\n"
                + "  audited:\n    command: [sh, -c, '" + quick + "']\n");
        cluster = Cluster.builder().workers(2).concurrency(4).processorsFile(processors).start();
    }

    private static String audited(Path audit, int seconds) {
        return "echo \"start $PW_NODE\" >> " + audit + "; sleep " + seconds + "; "
                + "for o in $(echo \"$PW_OUTPUTS\" | tr , \" \"); do printf %s \"$PW_NODE\" > \"$PW_OUTPUT_DIR/$o\"; done; "
                + "echo \"end $PW_NODE\" >> " + audit;
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeRunsAfterTheNodesItNamesWithoutTheirData() throws Exception {
        cluster.postPipeline("""
                name: ordered
                dataNodes: {seed: {}, o1: {}, o2: {}, o3: {}, o4: {}}
                processNodes:
                  first:
                    input: [seed]
                    output: [o1]
                    processor: audited_slow
                  second:
                    input: [seed]
                    output: [o2]
                    processor: audited
                    after: [first]
                  third:
                    input: [seed]
                    output: [o3]
                    processor: audited
                    after: second
                  control:
                    input: [seed]
                    output: [o4]
                    processor: audited
                """);
        String job = cluster.submit("ordered", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("SUCCESS", view.path("status").asText(), view::toPrettyString);
        List<String> lines = Files.readAllLines(audit).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(8, lines.size(), () -> "each attempt started and ended once: " + lines);
        assertTrue(lines.indexOf("end first") < lines.indexOf("start second"), () -> "second after first: " + lines);
        assertTrue(lines.indexOf("end second") < lines.indexOf("start third"), () -> "third after second: " + lines);
        // the control: with no 'after', a node ready at the same time starts while 'first' still runs
        assertTrue(lines.indexOf("start control") < lines.indexOf("end first"), () -> "the audit sees overlap: " + lines);

        // the Redis clock agrees: each started after its 'after' parent ended
        JsonNode first = Cluster.task(view, "first");
        JsonNode second = Cluster.task(view, "second");
        JsonNode third = Cluster.task(view, "third");
        assertTrue(second.path("started_us").asLong() >= first.path("ended_us").asLong(), view::toPrettyString);
        assertTrue(third.path("started_us").asLong() >= second.path("ended_us").asLong(), view::toPrettyString);
        // no data passed: each node read only its own input and wrote its own output
        assertEquals("second", cluster.consumableText(job, "o2"));

        // the task table counts the ordering parent (np) and lists the child (ch)
        var redis = cluster.redis();
        assertEquals("1", redis.hget(cluster.taskKey(job, "second"), "np"));
        assertEquals("[\"second\"]", redis.hget(cluster.taskKey(job, "first"), "ch"));
        assertEquals("[\"seed\"]", redis.hget(cluster.taskKey(job, "second"), "in"), "no input from 'first'");
    }

    @Test
    void aNodeAfterOneThatFailedIsSkipped() {
        cluster.postPipeline("""
                name: ordered_fail
                dataNodes: {seed: {}, o1: {}, o2: {}, o3: {}}
                processNodes:
                  breaks:
                    input: [seed]
                    output: [o1]
                    processor: fail
                    config: {times: 99}
                    retries: {max: 0}
                  next:
                    input: [seed]
                    output: [o2]
                    processor: identity
                    after: [breaks]
                  unrelated:
                    input: [seed]
                    output: [o3]
                    processor: identity
                """);
        String job = cluster.submit("ordered_fail", """
                {"inputs": {"seed": "s"}}""");
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
        JsonNode next = Cluster.task(view, "next");
        assertEquals("SKIPPED", next.path("status").asText());
        assertEquals("upstream task 'breaks' did not succeed", next.path("error").asText());
        assertEquals("SUCCESS", Cluster.task(view, "unrelated").path("status").asText());
    }

    @Test
    void thePlanAndTheGraphShowTheOrdering() {
        cluster.postPipeline("""
                name: ordered_plan
                dataNodes: {seed: {}, o1: {}, o2: {}}
                processNodes:
                  later:
                    input: [seed]
                    output: [o2]
                    processor: identity
                    after: [sooner]
                  sooner:
                    input: [seed]
                    output: [o1]
                    processor: identity
                """);
        Cluster.Response plan = cluster.get("/api/v1/pipelines/ordered_plan/plan");
        assertEquals(200, plan.status(), plan::toString);
        List<String> run = Cluster.JSON.convertValue(plan.json().path("run"), List.class);
        assertEquals(List.of("sooner", "later"), run, plan::toString);
        // wanting only the output of 'later' still runs 'sooner' before it
        Cluster.Response wanted = cluster.get("/api/v1/pipelines/ordered_plan/plan?outputs=o2");
        assertEquals(200, wanted.status(), wanted::toString);
        assertEquals(List.of("sooner", "later"), Cluster.JSON.convertValue(wanted.json().path("run"), List.class), wanted::toString);

        Cluster.Response dot = cluster.get("/api/v1/pipelines/ordered_plan/graph?format=dot");
        assertEquals(200, dot.status(), dot::toString);
        assertTrue(dot.text().contains("\"p:sooner\" -> \"p:later\" [style=dotted"), dot::text);
        Cluster.Response mermaid = cluster.get("/api/v1/pipelines/ordered_plan/graph?format=mermaid");
        assertTrue(mermaid.text().contains(" -. after .-> "), mermaid::text);
        Cluster.Response svg = cluster.get("/api/v1/pipelines/ordered_plan/graph?format=svg");
        assertEquals(200, svg.status(), svg::toString);
        assertTrue(svg.text().contains("class=\"edge ordering\" data-from=\"p:sooner\" data-to=\"p:later\""), svg::text);
        assertNotNull(svg.text());
    }
}
