package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.cli.PipewrightCli;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.protocol.render.NodeStyle;
import dev.pipewright.protocol.state.TaskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import picocli.CommandLine;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans and graph drawings served by the API for stored pipelines and for a job that ran with a failing node. */
class GraphIT {
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern DOT_NODE = Pattern.compile("^  \"([^\"]+)\" \\[(.*)];$");
    private static final Pattern DOT_ATTR = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /**
     * ok → boom (fails for good) → after (skipped); other runs beside them; extra leads to no wanted output.
     */
    private static final String PIPELINE = """
            name: graphit
            dataNodes:
              seed:
              a_out:
              b_out:
              c_out:
              side_out:
              unused_out:
            processNodes:
              ok: {input: [seed], output: [a_out], processor: identity}
              boom: {input: [a_out], output: [b_out], processor: fail, config: {retryable: false, message: "boom <&> \\"quoted\\""}}
              after: {input: [b_out], output: [c_out], processor: identity}
              other: {input: [seed], output: [side_out], processor: identity}
              extra: {input: [seed], output: [unused_out], processor: identity}
            """;

    static Cluster cluster;
    static String job;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).start();
        cluster.postPipeline(PIPELINE);
        job = cluster.submit("graphit", """
                {"inputs": {"seed": "s"}, "outputs": ["c_out", "side_out"]}
                """);
        JsonNode view = cluster.awaitJob(job, JOB_TIMEOUT);
        assertEquals("FAILED", view.path("status").asText(), view::toPrettyString);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Each DOT node statement's attributes by node id. */
    private static Map<String, Map<String, String>> dotNodes(String dot) {
        Map<String, Map<String, String>> nodes = new HashMap<>();
        for (String line : dot.lines().toList()) {
            Matcher m = DOT_NODE.matcher(line);
            if (m.matches()) {
                Map<String, String> attrs = new HashMap<>();
                Matcher a = DOT_ATTR.matcher(m.group(2));
                while (a.find()) {
                    attrs.put(a.group(1), a.group(2));
                }
                nodes.put(m.group(1), attrs);
            }
        }
        return nodes;
    }

    @Test
    void jobGraphInDotColoursTasksByStatus() {
        Cluster.Response r = cluster.get("/api/v1/jobs/" + job + "/graph?format=dot");
        assertEquals(200, r.status(), r::toString);
        assertTrue(r.contentType().startsWith("text/vnd.graphviz"), r.contentType());
        Map<String, Map<String, String>> nodes = dotNodes(r.text());
        assertEquals(11, nodes.size(), r.text());

        Map<String, TaskState> expected = Map.of("ok", TaskState.SUCCESS, "other", TaskState.SUCCESS,
                "boom", TaskState.FAILED, "after", TaskState.SKIPPED);
        expected.forEach((node, state) -> {
            Map<String, String> attrs = nodes.get("p:" + node);
            assertEquals(NodeStyle.forState(state).fill(), attrs.get("fillcolor"), node + ": " + attrs);
            assertTrue(attrs.get("label").endsWith("\\n" + state.name()), attrs.get("label"));
        });
        assertEquals(NodeStyle.PRUNED.fill(), nodes.get("p:extra").get("fillcolor"), "extra was pruned from the job");
        assertEquals(NodeStyle.PRUNED.fill(), nodes.get("d:unused_out").get("fillcolor"));
        assertEquals(10, r.text().lines().filter(l -> l.contains(" -> ")).count(), "edges data→process→data");
    }

    @Test
    void jobGraphInSvgParsesAndCarriesTheStates() throws Exception {
        Cluster.Response r = cluster.get("/api/v1/jobs/" + job + "/graph?format=svg");
        assertEquals(200, r.status(), r::toString);
        assertEquals("image/svg+xml", r.contentType());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(r.text())));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(6, doc.getElementsByTagName("ellipse").getLength(), "one ellipse per data node");
        Map<String, String> status = new HashMap<>();
        List<String> edges = new ArrayList<>();
        NodeList groups = doc.getElementsByTagName("g");
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            if (g.getAttribute("data-kind").equals("process")) {
                status.put(g.getAttribute("data-id"), g.getAttribute("data-status"));
            }
        }
        NodeList paths = doc.getElementsByTagName("path");
        for (int i = 0; i < paths.getLength(); i++) {
            Element p = (Element) paths.item(i);
            if (p.getAttribute("class").startsWith("edge")) {
                edges.add(p.getAttribute("data-from") + "->" + p.getAttribute("data-to"));
            }
        }
        assertEquals(Map.of("p:ok", "SUCCESS", "p:boom", "FAILED", "p:after", "SKIPPED", "p:other", "SUCCESS", "p:extra", ""), status);
        assertEquals(10, edges.size(), edges::toString);
        assertTrue(edges.contains("p:boom->d:b_out"), edges::toString);
    }

    @Test
    void mermaidBadFormatsAndUnknownIds() {
        Cluster.Response mermaid = cluster.get("/api/v1/jobs/" + job + "/graph?format=mermaid");
        assertEquals(200, mermaid.status());
        assertTrue(mermaid.contentType().startsWith("text/plain"), mermaid.contentType());
        assertTrue(mermaid.text().contains("flowchart LR"), mermaid.text());
        assertTrue(mermaid.text().contains("classDef failed fill:" + NodeStyle.forState(TaskState.FAILED).fill()), mermaid.text());

        Cluster.Response bad = cluster.get("/api/v1/jobs/" + job + "/graph?format=png");
        assertEquals(400, bad.status());
        assertTrue(bad.contentType().startsWith("application/json"));
        assertEquals("format", bad.json().path("error").path("problems").path(0).path("path").asText(), bad::toString);
        assertTrue(bad.json().path("error").path("message").asText().contains("svg, dot, mermaid"), bad::toString);

        assertEquals(404, cluster.get("/api/v1/jobs/0000000000nojob/graph").status());
        assertEquals(404, cluster.get("/api/v1/pipelines/nosuchpipeline/graph?format=dot").status());
        assertEquals(404, cluster.get("/api/v1/pipelines/nosuchpipeline/plan").status());
    }

    @Test
    void pipelineGraphIsPlainOrMarkedWithAPlan() {
        Cluster.Response plain = cluster.get("/api/v1/pipelines/graphit/graph?format=dot");
        assertEquals(200, plain.status(), plain::toString);
        Map<String, Map<String, String>> nodes = dotNodes(plain.text());
        assertEquals(NodeStyle.PROCESS.fill(), nodes.get("p:extra").get("fillcolor"));
        assertEquals(NodeStyle.DATA.fill(), nodes.get("d:seed").get("fillcolor"));

        Map<String, Map<String, String>> planned = dotNodes(cluster.get("/api/v1/pipelines/graphit/graph?format=dot&outputs=c_out").text());
        assertEquals(NodeStyle.PRUNED.fill(), planned.get("p:extra").get("fillcolor"));
        assertEquals(NodeStyle.PRUNED.fill(), planned.get("p:other").get("fillcolor"));
        assertEquals(NodeStyle.MISSING.fill(), planned.get("d:seed").get("fillcolor"), "seed has no source and was not given");

        Cluster.Response svg = cluster.get("/api/v1/pipelines/graphit/graph");
        assertEquals(200, svg.status());
        assertEquals("image/svg+xml", svg.contentType(), "svg is the default");
    }

    @Test
    void planPrunesWhatLeadsToNoWantedOutput() {
        Cluster.Response r = cluster.get("/api/v1/pipelines/graphit/plan?outputs=c_out");
        assertEquals(200, r.status(), r::toString);
        JsonNode plan = r.json();
        assertEquals(List.of("ok", "boom", "after"), texts(plan.path("run")));
        assertEquals(List.of("other", "extra"), texts(plan.path("pruned")));
        assertEquals(List.of("seed"), texts(plan.path("missing").path("ok")));
        assertTrue(!plan.path("runnable").asBoolean());
        List<String> order = new ArrayList<>();
        plan.path("nodes").forEach(n -> order.add(n.path("node").asText() + ":" + n.path("status").asText()));
        assertEquals(List.of("ok:run", "other:pruned", "extra:pruned", "boom:run", "after:run"), order);

        JsonNode given = cluster.get("/api/v1/pipelines/graphit/plan?outputs=c_out,side_out&available=seed").json();
        assertTrue(given.path("runnable").asBoolean(), given::toPrettyString);
        assertEquals(List.of("extra"), texts(given.path("pruned")));

        Cluster.Response unknown = cluster.get("/api/v1/pipelines/graphit/plan?outputs=nope&available=a_out");
        assertEquals(400, unknown.status());
        assertEquals(2, unknown.json().path("error").path("problems").size(), unknown::toString);
    }

    @Test
    void commandLineDrawsTheJobAndPlansTheStoredPipeline() throws Exception {
        String url = cluster.baseUri().toString();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = PipewrightCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("graph", "--job", job, "--format", "dot", "--url", url, "--token", cluster.adminToken()), err::toString);
        assertEquals(NodeStyle.forState(TaskState.FAILED).fill(), dotNodes(out.toString()).get("p:boom").get("fillcolor"));

        StringWriter planOut = new StringWriter();
        CommandLine plan = PipewrightCli.commandLine();
        plan.setOut(new PrintWriter(planOut, true));
        plan.setErr(new PrintWriter(err, true));
        assertEquals(0, plan.execute("plan", "--pipeline", "graphit", "--outputs", "side_out", "--available", "seed", "--url", url, "--token", cluster.adminToken()),
                err::toString);
        assertTrue(planOut.toString().startsWith("Execution plan of graphit for outputs side_out: 1 to run, 4 pruned\n"), planOut::toString);

        CommandLine missing = PipewrightCli.commandLine();
        StringWriter missingErr = new StringWriter();
        missing.setOut(new PrintWriter(new StringWriter(), true));
        missing.setErr(new PrintWriter(missingErr, true));
        assertEquals(1, missing.execute("graph", "--job", "0000000000nojob", "--url", url, "--token", cluster.adminToken()));
        assertTrue(missingErr.toString().contains("HTTP 404"), missingErr::toString);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
