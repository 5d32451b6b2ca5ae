package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pipewright plan} and {@code pipewright graph} on local files, run in-process. */
class PlanAndGraphCommandsTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static final String PIPELINE = """
            name: shop
            dataNodes:
              orders: {source: "in/orders.csv"}
              prices:
              totals:
              report:
              audit:
            processNodes:
              total: {input: [orders, prices], output: [totals], processor: concat}
              summarize: {input: [totals], output: [report], processor: identity}
              check: {input: [orders], output: [audit], processor: identity, pool: slow}
            """;

    private static Path pipeline(Path dir) throws Exception {
        return Files.writeString(dir.resolve("shop.yaml"), PIPELINE);
    }

    @Test
    void planListsNodesInExecutionOrderWithPrunedAndMissing(@TempDir Path dir) throws Exception {
        Run r = run("plan", pipeline(dir).toString(), "--outputs", "report");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("Execution plan of shop for outputs report: 2 to run, 1 pruned, 1 missing input", lines.get(0));
        assertEquals(List.of("#", "NODE", "STATUS", "PROCESSOR", "POOL", "READS", "WRITES", "MISSING"), List.of(lines.get(2).split("\\s+")));
        assertEquals(List.of("1", "total", "run", "concat", "default", "orders,prices", "totals", "prices"), List.of(lines.get(3).split("\\s+")));
        assertEquals(List.of("-", "check", "pruned", "identity", "slow", "orders", "audit"), List.of(lines.get(4).split("\\s+")));
        assertEquals(List.of("2", "summarize", "run", "identity", "default", "totals", "report"), List.of(lines.get(5).split("\\s+")));
        assertTrue(r.out().contains("job inputs: orders, prices (MISSING)"), r.out());
    }

    @Test
    void planJsonIsTheApiDocumentAndAvailableInputsSatisfyIt(@TempDir Path dir) throws Exception {
        Run r = run("plan", pipeline(dir).toString(), "--available", "prices", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode plan = ApiClient.JSON.readTree(r.out());
        assertTrue(plan.path("runnable").asBoolean());
        assertEquals(3, plan.path("run").size());
        assertEquals(0, plan.path("pruned").size());
        assertEquals("total", plan.path("nodes").path(0).path("node").asText());
        assertEquals("[\"prices\",\"orders\"]", plan.path("available").toString());
    }

    @Test
    void planRefusesUnknownOutputsAndProducedInputs(@TempDir Path dir) throws Exception {
        Path f = pipeline(dir);
        Run r = run("plan", f.toString(), "--outputs", "nope", "--available", "totals");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(f + ": outputs[0]: unknown data node 'nope'"), r.err());
        assertTrue(r.err().contains(f + ": available[0]: data node 'totals' is written by process node 'total'"), r.err());
        assertEquals(2, run("plan").exit(), "FILE or --pipeline is required");
    }

    @Test
    void graphPrintsDotByDefaultAndMermaidOnRequest(@TempDir Path dir) throws Exception {
        Path f = pipeline(dir);
        Run dot = run("graph", f.toString());
        assertEquals(0, dot.exit(), dot.err());
        assertTrue(dot.out().startsWith("digraph \"shop\" {"), dot.out());
        assertTrue(dot.out().contains("\"d:orders\" -> \"p:total\";"), dot.out());
        assertEquals(7, dot.out().lines().filter(l -> l.contains(" -> ")).count());

        Run mermaid = run("graph", f.toString(), "--format", "mermaid", "--outputs", "report");
        assertEquals(0, mermaid.exit(), mermaid.err());
        assertTrue(mermaid.out().contains("flowchart LR"), mermaid.out());
        assertTrue(mermaid.out().contains("classDef pruned"), "the plan greys the check branch: " + mermaid.out());
        assertTrue(mermaid.out().contains("classDef missing"), "prices is missing: " + mermaid.out());
    }

    @Test
    void graphWritesSvgToAFileChosenByItsExtension(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("shop.svg");
        Run r = run("graph", pipeline(dir).toString(), "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("wrote " + out + " (svg)"), r.err());
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(8, doc.getElementsByTagName("g").getLength() - 2, "one group per node besides the edge and node layers");
        assertEquals(5, doc.getElementsByTagName("ellipse").getLength());
    }

    @Test
    void graphRefusesBadFormatsAndSourceMixes(@TempDir Path dir) throws Exception {
        Path f = pipeline(dir);
        Run bad = run("graph", f.toString(), "--format", "png");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("unknown format 'png'; expected one of dot, mermaid, svg"), bad.err());
        assertEquals(2, run("graph", f.toString(), "--job", "abc").exit());
        assertEquals(2, run("graph").exit());
        assertEquals(2, run("graph", "--job", "abc", "--outputs", "x").exit());
    }

    @Test
    void thePastaExamplesPictureIsWhatTheCommandDraws() throws Exception {
        // examples/pasta/graph.svg is shown in the example's README: redraw it when the recipe changes
        Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
        Run r = run("graph", examples.resolve("pasta/pipeline.yaml").toString(), "--format", "svg");
        assertEquals(0, r.exit(), r.err());
        assertEquals(Files.readString(examples.resolve("pasta/graph.svg")), r.out(),
                "run: bin/pipewright graph examples/pasta/pipeline.yaml --format svg -o examples/pasta/graph.svg");
    }
}
