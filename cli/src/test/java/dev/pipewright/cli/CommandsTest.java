package dev.pipewright.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the picocli command line in-process, capturing what it prints. */
class CommandsTest {
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

    @Test
    void everyCommandAnswersHelp() {
        java.util.List<java.util.List<String>> paths = new java.util.ArrayList<>();
        collect(PipewrightCli.commandLine(), new java.util.ArrayList<>(), paths);
        assertTrue(paths.size() > 40, "found the whole command tree: " + paths);
        for (java.util.List<String> path : paths) {
            java.util.List<String> args = new java.util.ArrayList<>(path);
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), () -> path + " --help: " + r.err());
            assertTrue(r.out().startsWith("Usage: pipewright"), () -> path + " --help printed: " + r.out() + r.err());
        }
    }

    private static void collect(CommandLine cl, java.util.List<String> path, java.util.List<java.util.List<String>> out) {
        out.add(java.util.List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help") && sub.getCommandName().equals(name)) {
                java.util.List<String> next = new java.util.ArrayList<>(path);
                next.add(name);
                collect(sub, next, out);
            }
        });
    }

    private static final String VALID = """
            name: demo
            dataNodes:
              raw:
              upper:
              report:
            processNodes:
              shout: {input: raw, output: upper, processor: identity}
              summarize: {input: [upper], output: report, processor: identity}
            """;

    private static final String INVALID = """
            dataNodes:
              a:
            processNodes:
              p:
                input: [missing]
                output: a
                processor: noop
            """;

    @Test
    void validFileExitsZero(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("demo.yaml"), VALID);
        Run r = run("validate", f.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(f + ": valid (2 process nodes, 3 data nodes; job inputs: [raw])", r.out().strip());
    }

    @Test
    void invalidFileListsProblemsAndExitsOne(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), INVALID);
        Run r = run("validate", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().contains(f + ": processNodes.p.input[0]: unknown data node 'missing'"), r.out());
    }

    @Test
    void unparsableFileExitsOne(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("broken.yaml"), "dataNodes: [unclosed\n");
        Run r = run("validate", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith(f + ": "), r.out());
    }

    @Test
    void missingFileExitsTwo(@TempDir Path dir) {
        Run r = run("validate", dir.resolve("nope.yaml").toString());
        assertEquals(2, r.exit());
        assertEquals(dir.resolve("nope.yaml") + ": no such file", r.err().strip());
    }

    @Test
    void usageErrorsExitTwoOnOneLine() {
        Run r = run("validate");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals(2, run().exit());
        assertEquals(2, run("frobnicate").exit());
        assertEquals(2, run("bench", "--shape", "W7").exit());
        assertEquals(2, run("status", "j1", "--max-tasks", "-1").exit());
        Run emptyName = run("token", "create", "--role", "submit", "--name", "", "--url", "http://127.0.0.1:1");
        assertEquals(2, emptyName.exit(), "an empty --name is refused before the server is asked");
        assertTrue(emptyName.err().contains("--name is empty"), emptyName.err());
    }

    @Test
    void runRejectsAnInvalidPipelineBeforeTalkingToTheServer(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), INVALID);
        Run r = run("run", f.toString(), "--url", "http://127.0.0.1:1");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown data node 'missing'"), r.err());
    }

    @Test
    void unreachableServerExitsTwo(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("demo.yaml"), VALID);
        Run r = run("run", f.toString(), "--url", "http://127.0.0.1:1", "--input", "raw=x");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("cannot reach the Pipewright server at http://127.0.0.1:1"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals(2, run("status", "abc", "--url", "http://127.0.0.1:1").exit());
    }

    @Test
    void serverOptionsMayComeBeforeTheCommandAndTheCommandsOwnWin() {
        Run before = run("--url", "http://127.0.0.1:1", "jobs", "list");
        assertEquals(2, before.exit(), before.err());
        assertTrue(before.err().startsWith("cannot reach the Pipewright server at http://127.0.0.1:1"), before.err());
        Run both = run("--url", "http://127.0.0.1:2", "--token", "t", "jobs", "list", "--url", "http://127.0.0.1:1");
        assertTrue(both.err().startsWith("cannot reach the Pipewright server at http://127.0.0.1:1"), both.err());
    }

    @Test
    void badParamValueExitsOne(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("p.yaml"), VALID + "parameters:\n  n: integer\n");
        Run r = run("run", f.toString(), "--url", "http://127.0.0.1:1", "--param", "n=abc");
        assertEquals(1, r.exit(), r.err());
        assertEquals("--param n: expected integer, got 'abc'", r.err().strip());
        assertEquals(2, run("run", f.toString(), "--param", "novalue").exit());
        assertEquals(2, run("run", f.toString(), "--timeout", "soon").exit());
        assertEquals(2, run("run", f.toString(), "--inputs", "novalue").exit());
        Run noFile = run("run", "--inputs", "raw=x");
        assertEquals(2, noFile.exit(), noFile.err());
        assertTrue(noFile.err().contains("name the pipeline file"), noFile.err());
        Run twice = run("run", f.toString(), "--file", f.toString());
        assertEquals(2, twice.exit(), twice.err());
        assertTrue(twice.err().contains("not both"), twice.err());
    }

    @Test
    void newCommandsRefuseBadUsageBeforeTalkingToTheServer() {
        Run neither = run("submit", "--url", "http://127.0.0.1:1");
        assertEquals(2, neither.exit(), neither.err());
        assertTrue(neither.err().contains("give either PIPELINE or --run RUN"), neither.err());
        assertEquals(2, run("submit", "p", "--run", "r1", "--url", "http://127.0.0.1:1").exit());
        Run priorityInRun = run("submit", "--run", "r1", "--priority", "high", "--url", "http://127.0.0.1:1");
        assertEquals(2, priorityInRun.exit());
        assertTrue(priorityInRun.err().contains("come from the run"), priorityInRun.err());
        assertEquals(2, run("runs").exit(), "a group needs a command");
        assertEquals(2, run("jobs").exit());
        assertEquals(2, run("pipelines").exit());
        assertEquals(2, run("runs", "create", "p", "--tag", "novalue", "--url", "http://127.0.0.1:1").exit());
        assertEquals(2, run("submit", "p", "--cpu", "lots").exit(), "cpu must be a number");
    }

    @Test
    void listAndLogCommandsReportAnUnreachableServerWithExitTwo() {
        for (String[] args : new String[][] {{"jobs", "list"}, {"runs", "list"}, {"pipelines", "list"}, {"logs", "j123456789", "-f"},
                {"runs", "get", "r123"}, {"jobs", "start", "j123456789"}}) {
            String[] all = java.util.Arrays.copyOf(args, args.length + 2);
            all[args.length] = "--url";
            all[args.length + 1] = "http://127.0.0.1:1";
            Run r = run(all);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("cannot reach the Pipewright server"), r.err());
        }
    }
}
