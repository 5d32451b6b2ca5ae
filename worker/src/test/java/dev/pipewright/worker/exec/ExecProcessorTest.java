package dev.pipewright.worker.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskLog;
import dev.pipewright.worker.processor.TaskResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs real commands through {@link ExecProcessor}: the Python modules of examples/documents and
 * examples/multi-io with real inputs, and small inline commands for the exit-code, missing-output,
 * log and interrupt rules of docs/exec.md. Needs python3 and sh on the PATH; no services.
 */
class ExecProcessorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(10);
    static Path examples;

    @BeforeAll
    static void setUp() {
        examples = findExamples();
        assumeTrue(canRun("python3", "--version"), "python3 is not on the PATH; the exec examples need it");
    }

    /** examples/ of this checkout, found from the working directory up (Maven runs tests in worker/). */
    static Path findExamples() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("examples");
            if (Files.isRegularFile(candidate.resolve("processors.yaml"))) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("no examples/processors.yaml above " + Path.of("").toAbsolutePath());
    }

    private static boolean canRun(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Collects log lines; safe to read while the pumps write. */
    static final class Lines implements TaskLog {
        private final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void line(String text) {
            lines.add(text);
        }

        synchronized List<String> snapshot() {
            return List.copyOf(lines);
        }

        boolean any(String fragment) {
            return snapshot().stream().anyMatch(l -> l.contains(fragment));
        }
    }

    /** A module of examples/ run as {@code python3 <absolute path>} in examples/, as the registry does. */
    static ExecCommand module(String name, String script) {
        return new ExecCommand(name, List.of("python3", examples.resolve(script).toString()), examples,
                Map.of("PYTHONDONTWRITEBYTECODE", "1", "PYTHONUNBUFFERED", "1"), Duration.ofMinutes(1), Set.of(2));
    }

    /**
     * A documents module exactly as examples/processors.yaml registers it: its argv, working directory
     * and environment (PYTHONPATH finds the module helper in clients/python/src).
     */
    static ExecCommand documents(String name, String file) {
        ExecCommand registered = ExecRegistryFile.read(examples.resolve("processors.yaml")).stream()
                .filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("examples/processors.yaml registers no '" + name + "'"));
        assertTrue(registered.argv().contains("documents/modules/" + file), registered::toString);
        return registered;
    }

    static ExecCommand command(Set<Integer> permanent, String... argv) {
        return new ExecCommand("inline", List.of(argv), examples, Map.of(), null, permanent);
    }

    static ExecCommand python(String code) {
        return command(Set.of(), "python3", "-c", code);
    }

    static Map<String, byte[]> inputs(String... nameThenText) {
        Map<String, byte[]> in = new LinkedHashMap<>();
        for (int i = 0; i < nameThenText.length; i += 2) {
            in.put(nameThenText[i], nameThenText[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return in;
    }

    static TaskContext context(String node, Map<String, byte[]> inputs, List<String> outputs,
                               Map<String, Object> config, Map<String, Object> parameters, TaskLog log) {
        return new TaskContext("job-1", node, 1, inputs, outputs, config, parameters, log);
    }

    static String run(ExecCommand cmd, String output, Map<String, byte[]> inputs, Map<String, Object> config,
                      Map<String, Object> parameters) throws Exception {
        return run(cmd, output, inputs, config, parameters, new Lines());
    }

    static String run(ExecCommand cmd, String output, Map<String, byte[]> inputs, Map<String, Object> config,
                      Map<String, Object> parameters, Lines log) throws Exception {
        TaskResult result = new ExecProcessor(cmd).process(context(cmd.name(), inputs, List.of(output), config, parameters, log));
        assertEquals(Set.of(output), result.outputs().keySet());
        return new String(result.outputs().get(output), StandardCharsets.UTF_8);
    }

    static TaskFailure failure(ExecCommand cmd, TaskContext ctx) {
        return assertThrows(TaskFailure.class, () -> new ExecProcessor(cmd).process(ctx));
    }

    static String document(String id) throws IOException {
        return Files.readString(examples.resolve("data/shared/documents/" + id + ".txt"));
    }

    static Map<String, Object> params(String documentId, int page) {
        return Map.of("document_id", documentId, "page_num", page);
    }

    // ---- the documents modules ---------------------------------------------------------------

    @Test
    void extractPagePicksTheRequestedPageFromFormFeedsAndMarkers() throws Exception {
        Lines log = new Lines();
        String d0 = run(documents("extract_page", "extract_page.py"), "page", inputs("document", document("D0")),
                Map.of(), params("D0", 1), log);
        assertTrue(d0.startsWith("Water Quality"), d0);
        assertFalse(d0.contains("\f") || d0.contains("Recommendations") || d0.contains("Survey of"), d0);
        assertTrue(log.any("page 1 of 3"), log.snapshot().toString());

        String d1 = run(documents("extract_page", "extract_page.py"), "page", inputs("document", document("D1")),
                Map.of(), params("D1", 2), new Lines());
        assertTrue(d1.startsWith("Travel notes"), d1);
        assertFalse(d1.contains("=== page"), d1);

        String first = run(documents("extract_page", "extract_page.py"), "page", inputs("document", document("D1")),
                Map.of(), Map.of("document_id", "D1"), new Lines());
        assertTrue(first.startsWith("Carnet de voyage"), "page_num defaults to 0: " + first);
    }

    @Test
    void extractPageOutOfRangeFailsForGoodWithAClearMessage() throws Exception {
        TaskFailure f = failure(documents("extract_page", "extract_page.py"),
                context("extract_page", inputs("document", document("D0")), List.of("page"), Map.of(), params("D0", 7), new Lines()));
        assertFalse(f.retryable(), "exit code 2 is listed in permanentExitCodes");
        assertTrue(f.getMessage().contains("code 2"), f.getMessage());
        assertTrue(f.getMessage().contains("page_num 7 is out of range: the document has 3 pages"), f.getMessage());
    }

    @Test
    void cleanTextJoinsHyphenationAndWhitespace() throws Exception {
        String clean = run(documents("clean_text", "clean_text.py"), "clean",
                inputs("page", "An exam-\n  ple   of\ttext\r\nacross lines.\n\n\n\nNext\u0007 paragraph.\n"), Map.of(), Map.of());
        assertEquals("An example of text across lines.\n\nNext paragraph.\n", clean);
    }

    @Test
    void tokenizeWritesAJsonListOfLowerCaseWords() throws Exception {
        String out = run(documents("tokenize", "tokenize_text.py"), "tokens",
                inputs("clean", "L'eau n'est pas chère. Don't panic: 42 times!"), Map.of(), Map.of());
        JsonNode tokens = JSON.readTree(out);
        assertTrue(tokens.isArray(), out);
        List<String> words = new ArrayList<>();
        tokens.forEach(t -> words.add(t.asText()));
        assertEquals(List.of("l", "eau", "n", "est", "pas", "chère", "don't", "panic", "times"), words);
    }

    @Test
    void wordStatsCountsAndRanksSkippingStopWords() throws Exception {
        String out = run(documents("word_stats", "word_stats.py"), "stats",
                inputs("tokens", "[\"the\", \"river\", \"the\", \"bank\", \"river\", \"river\", \"of\", \"bank\", \"weir\"]"),
                Map.of("top", 2), Map.of());
        JsonNode stats = JSON.readTree(out);
        assertEquals(9, stats.get("words").asInt());
        assertEquals(5, stats.get("unique_words").asInt());
        assertEquals(2, stats.get("top_words").size());
        assertEquals("river", stats.get("top_words").get(0).get("word").asText());
        assertEquals(3, stats.get("top_words").get(0).get("count").asInt());
        assertEquals("bank", stats.get("top_words").get(1).get("word").asText());
    }

    @Test
    void summarizeKeepsWholeSentencesUpToMaxWords() throws Exception {
        String text = "A Title\n\nOne two three four. Five six seven. Eight nine ten eleven twelve.\n";
        assertEquals("One two three four. Five six seven.\n",
                run(documents("summarize", "summarize.py"), "summary", inputs("clean", text), Map.of("max_words", 8), Map.of()));
        assertEquals("One two…\n",
                run(documents("summarize", "summarize.py"), "summary", inputs("clean", text), Map.of("max_words", 2), Map.of()));
        TaskFailure bad = failure(documents("summarize", "summarize.py"),
                context("summarize", inputs("clean", text), List.of("summary"), Map.of("max_words", 0), Map.of(), new Lines()));
        assertFalse(bad.retryable());
        assertTrue(bad.getMessage().contains("max_words"), bad.getMessage());
    }

    /** The whole documents pipeline, node by node, as the workers would run it. */
    @ParameterizedTest
    @CsvSource({"D0, 0, en, The field team walked", "D1, 0, fr, Nous sommes partis", "D1, 1, de, Von Mainz aus", "D1, 2, en, The last leg"})
    void documentsChainProducesTheReport(String id, int page, String language, String summaryStart) throws Exception {
        Map<String, Object> p = params(id, page);
        String pageText = run(documents("extract_page", "extract_page.py"), "page", inputs("document", document(id)), Map.of(), p);
        String clean = run(documents("clean_text", "clean_text.py"), "clean", inputs("page", pageText), Map.of(), p);
        String tokens = run(documents("tokenize", "tokenize_text.py"), "tokens", inputs("clean", clean), Map.of(), p);
        String stats = run(documents("word_stats", "word_stats.py"), "stats", inputs("tokens", tokens), Map.of("top", 10), p);
        String lang = run(documents("detect_language", "detect_language.py"), "language", inputs("tokens", tokens), Map.of(), p);
        String summary = run(documents("summarize", "summarize.py"), "summary", inputs("clean", clean), Map.of("max_words", 40), p);
        Lines log = new Lines();
        String reportText = run(documents("report", "report.py"), "report",
                inputs("stats", stats, "language", lang, "summary", summary), Map.of(), p, log);

        JsonNode report = JSON.readTree(reportText);
        List<String> keys = new ArrayList<>();
        report.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("document_id", "page_num", "language", "language_confidence", "words", "unique_words",
                "top_words", "summary"), keys);
        assertEquals(id, report.get("document_id").asText());
        assertEquals(page, report.get("page_num").asInt());
        assertEquals(language, report.get("language").asText(), lang);
        assertEquals(JSON.readTree(tokens).size(), report.get("words").asInt());
        assertTrue(report.get("top_words").size() <= 10 && report.get("top_words").size() > 0, reportText);
        int previous = Integer.MAX_VALUE;
        for (JsonNode w : report.get("top_words")) {
            assertTrue(w.get("count").asInt() <= previous, "top_words most frequent first: " + reportText);
            previous = w.get("count").asInt();
        }
        String s = report.get("summary").asText();
        assertTrue(s.startsWith(summaryStart), s);
        assertTrue(s.split("\\s+").length <= 40, s);
        assertTrue(log.any("report: " + id + " page " + page), log.snapshot().toString());
    }

    @Test
    void reportNamesAMissingInput() throws Exception {
        TaskFailure f = failure(documents("report", "report.py"), context("report",
                inputs("stats", "{\"words\": 1}", "summary", "x"), List.of("report"), Map.of(), params("D0", 0), new Lines()));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("missing input 'language'"), f.getMessage());
    }

    // ---- the multi-io module -----------------------------------------------------------------

    @Test
    void mergeSplitWritesTheConcatenationAndItsCounts() throws Exception {
        Map<String, byte[]> in = new LinkedHashMap<>();
        for (String name : List.of("data1", "data2", "data3")) {
            in.put(name, Files.readAllBytes(examples.resolve("data/shared/multi-io/" + name + ".txt")));
        }
        Lines log = new Lines();
        TaskResult result = new ExecProcessor(module("merge_split", "multi-io/modules/merge_split.py"))
                .process(context("task1", in, List.of("data4", "data5"), Map.of(), Map.of(), log));
        assertEquals(List.of("data4", "data5"), List.copyOf(result.outputs().keySet()));
        String merged = new String(result.outputs().get("data4"), StandardCharsets.UTF_8);
        assertEquals("alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\n", merged);
        JsonNode stats = JSON.readTree(result.outputs().get("data5"));
        assertEquals(merged.length(), stats.at("/total/bytes").asInt());
        assertEquals(9, stats.at("/total/lines").asInt());
        assertEquals(3, stats.at("/inputs/data1/lines").asInt());
        assertEquals(14, stats.at("/inputs/data2/bytes").asInt());
        assertTrue(log.any("read data3: 20 bytes, 4 lines"), log.snapshot().toString());
    }

    @Test
    void mergeSplitRefusesTheWrongNumberOfOutputs() {
        TaskFailure f = failure(module("merge_split", "multi-io/modules/merge_split.py"),
                context("task1", inputs("a", "x"), List.of("only"), Map.of(), Map.of(), new Lines()));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("expected two outputs"), f.getMessage());
    }

    // ---- the contract ------------------------------------------------------------------------

    @Test
    void commandSeesTheContractEnvironment() throws Exception {
        String code = """
                import json, os
                task = json.load(open(os.environ['PW_TASK_FILE']))
                seen = {k: os.environ[k] for k in ['PW_JOB_ID', 'PW_NODE', 'PW_ATTEMPT', 'PW_INPUTS', 'PW_OUTPUTS',
                        'PW_PARAM_DOCUMENT_ID', 'PW_PARAM_PAGE_NUM', 'PW_PARAM_MAX_ITEMS']}
                seen['config'] = json.loads(os.environ['PW_CONFIG'])
                seen['params'] = json.loads(os.environ['PW_PARAMS'])
                seen['task_keys'] = sorted(task)
                seen['b'] = open(os.path.join(os.environ['PW_INPUT_DIR'], 'b')).read()
                seen['b_from_task'] = open(task['inputs']['b']).read()
                seen['cwd'] = os.getcwd()
                open(task['outputs']['out'], 'w').write(json.dumps(seen))
                """;
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("document_id", "D0");
        parameters.put("page_num", 3);
        parameters.put("max-items", List.of(1, 2));
        String out = run(python(code), "out", inputs("a", "first", "b", "second"), Map.of("max_words", 5), parameters);
        JsonNode seen = JSON.readTree(out);
        assertEquals("job-1", seen.get("PW_JOB_ID").asText());
        assertEquals("inline", seen.get("PW_NODE").asText());
        assertEquals("1", seen.get("PW_ATTEMPT").asText());
        assertEquals("a,b", seen.get("PW_INPUTS").asText());
        assertEquals("out", seen.get("PW_OUTPUTS").asText());
        assertEquals("D0", seen.get("PW_PARAM_DOCUMENT_ID").asText(), "text parameters arrive as they are");
        assertEquals("3", seen.get("PW_PARAM_PAGE_NUM").asText(), "other parameters arrive as JSON");
        assertEquals("[1,2]", seen.get("PW_PARAM_MAX_ITEMS").asText());
        assertEquals(5, seen.at("/config/max_words").asInt());
        assertEquals(3, seen.at("/params/page_num").asInt());
        assertEquals("[\"attempt\",\"config\",\"inputs\",\"job\",\"node\",\"outputs\",\"parameters\"]", seen.get("task_keys").toString());
        assertEquals("second", seen.get("b").asText());
        assertEquals("second", seen.get("b_from_task").asText());
        assertEquals(examples.toRealPath().toString(), Path.of(seen.get("cwd").asText()).toRealPath().toString());
    }

    @Test
    void aParameterTooLargeForTheEnvironmentReachesTheCommandThroughTheParamsFile() throws Exception {
        // 200 KB: over Linux's 128 KiB for one environment string, which failed the task with
        // "Argument list too long" after the job had been accepted
        String big = "x".repeat(200_000);
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("blob", big);
        parameters.put("small", "s");
        String code = """
                import json, os
                params = json.load(open(os.environ['PW_PARAMS_FILE']))
                seen = {'blob_len': len(params['blob']), 'small_env': os.environ.get('PW_PARAM_SMALL'),
                        'blob_env': 'PW_PARAM_BLOB' in os.environ, 'params_env': 'PW_PARAMS' in os.environ,
                        'not_in_env': os.environ.get('PW_PARAMS_NOT_IN_ENV')}
                open(os.path.join(os.environ['PW_OUTPUT_DIR'], 'out'), 'w').write(json.dumps(seen))
                """;
        JsonNode seen = JSON.readTree(run(python(code), "out", inputs(), Map.of(), parameters));
        assertEquals(200_000, seen.get("blob_len").asInt());
        assertEquals("s", seen.get("small_env").asText(), "a small parameter stays in the environment too");
        assertEquals(false, seen.get("blob_env").asBoolean());
        assertEquals(false, seen.get("params_env").asBoolean());
        assertEquals("blob,PW_PARAMS", seen.get("not_in_env").asText());
    }

    @Test
    void parameterVariablesStayWithinTheEnvironmentBudget() throws Exception {
        Map<String, Object> parameters = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            parameters.put("p" + i, "v".repeat(30_000)); // each fits alone; together they would not
        }
        Map<String, String> env = ExecProcessor.parameterEnv(parameters, Map.of());
        long total = env.entrySet().stream().filter(e -> !e.getKey().equals("PW_PARAMS_NOT_IN_ENV"))
                .mapToLong(e -> e.getKey().length() + 1 + e.getValue().length()).sum();
        assertTrue(total <= ExecProcessor.ENV_TOTAL_MAX, "total " + total);
        assertTrue(env.get("PW_PARAMS_NOT_IN_ENV").contains("p19"), env.get("PW_PARAMS_NOT_IN_ENV"));
        assertEquals("{}", env.get("PW_CONFIG"));
    }

    @Test
    void nonZeroExitIsRetryableAndCarriesStderr() {
        TaskFailure f = failure(python("import sys; print('working'); sys.stderr.write('disk on fire\\n'); sys.exit(3)"),
                context("inline", Map.of(), List.of("out"), Map.of(), Map.of(), new Lines()));
        assertTrue(f.retryable(), "3 is not in permanentExitCodes");
        assertEquals("ExitCode3", f.type());
        assertTrue(f.getMessage().contains("code 3"), f.getMessage());
        assertTrue(f.getMessage().contains("disk on fire"), f.getMessage());
        assertFalse(f.getMessage().contains("working"), "stdout is log, not the failure message: " + f.getMessage());
    }

    @Test
    void exitCodeListedAsPermanentIsNotRetryable() {
        String code = "import sys; sys.stderr.write('bad input\\n'); sys.exit(2)";
        TaskFailure permanent = failure(command(Set.of(2, 4), "python3", "-c", code),
                context("inline", Map.of(), List.of("out"), Map.of(), Map.of(), new Lines()));
        assertFalse(permanent.retryable());
        assertTrue(permanent.getMessage().contains("bad input"), permanent.getMessage());

        TaskFailure retryable = failure(command(Set.of(4), "python3", "-c", code),
                context("inline", Map.of(), List.of("out"), Map.of(), Map.of(), new Lines()));
        assertTrue(retryable.retryable());
    }

    @Test
    void successWithoutAnOutputFailsNamingIt() {
        TaskFailure f = failure(python("import os; open(os.path.join(os.environ['PW_OUTPUT_DIR'], 'first'), 'w').write('ok')"),
                context("inline", Map.of(), List.of("first", "second"), Map.of(), Map.of(), new Lines()));
        assertTrue(f.getMessage().contains("'second'"), f.getMessage());
        assertFalse(f.getMessage().contains("'first'"), f.getMessage());
    }

    @Test
    void unknownProgramFailsForGood() {
        TaskFailure f = failure(command(Set.of(), "/nonexistent/pw-no-such-program"),
                context("inline", Map.of(), List.of("out"), Map.of(), Map.of(), new Lines()));
        assertFalse(f.retryable());
        assertTrue(f.getMessage().contains("pw-no-such-program"), f.getMessage());
    }

    @Test
    void stdoutAndStderrLinesReachTheTaskLog() throws Exception {
        Lines log = new Lines();
        String out = run(python("""
                import os, sys
                print('step 1 of 2')
                print('a warning', file=sys.stderr)
                print('step 2 of 2')
                open(os.path.join(os.environ['PW_OUTPUT_DIR'], 'out'), 'w').write('done')
                """), "out", Map.of(), Map.of(), Map.of(), log);
        assertEquals("done", out);
        List<String> lines = log.snapshot();
        assertTrue(log.any("step 1 of 2") && log.any("step 2 of 2") && log.any("a warning"), lines.toString());
        int first = indexOf(lines, "step 1 of 2");
        int second = indexOf(lines, "step 2 of 2");
        assertTrue(first < second, "stdout lines keep their order: " + lines);
    }

    private static int indexOf(List<String> lines, String fragment) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(fragment)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void registeredTimeoutStopsALongCommand() throws Exception {
        ExecCommand slow = new ExecCommand("slow", List.of("python3", "-c", "import time; time.sleep(30)"), examples,
                Map.of(), Duration.ofSeconds(1), Set.of());
        long start = System.nanoTime();
        TaskFailure f = failure(slow, context("slow", Map.of(), List.of("out"), Map.of(), Map.of(), new Lines()));
        assertTrue(f.retryable());
        assertTrue(f.getMessage().contains("timeout"), f.getMessage());
        assertTrue(System.nanoTime() - start < WAIT.toNanos(), "stopped well before the 30 s sleep ended");
    }

    // ---- interrupts (cancel, lost lease) ------------------------------------------------------

    @Test
    void interruptStopsTheCommand() throws Exception {
        long[] pids = interruptAfterPids(python("import os, time; print(os.getpid(), flush=True); time.sleep(30)"), 1);
        assertGone(pids[0]);
    }

    @Test
    void interruptStopsTheCommandAndItsChildren() throws Exception {
        long[] pids = interruptAfterPids(command(Set.of(), "sh", "-c", "sleep 30 & echo $$ $!; wait"), 2);
        assertGone(pids[0]);
        assertGone(pids[1]);
    }

    @Test
    void interruptStopsAGrandchildForkedAfterTheSigtermAndReparented() throws Exception {
        // on SIGTERM the shell forks a grandchild through a subshell that exits at once, so the
        // grandchild is no descendant by the time the SIGKILL comes; the shell itself ignores SIGTERM
        Path late = Files.createTempDirectory("pw-exec-late-").resolve("late.pid");
        long[] pids = interruptAfterPids(command(Set.of(), "sh", "-c",
                "trap '(sleep 30 >/dev/null 2>&1 & echo $! > \"$0.tmp\"; mv \"$0.tmp\" \"$0\")' TERM; echo $$; "
                        + "while :; do sleep 0.1; done", late.toString()), 1);
        long grandchild = awaitPidFile(late);
        assertGone(pids[0]);
        assertGone(grandchild);
    }

    @Test
    void interruptStopsADoubleForkedGrandchild() throws Exception {
        // started before the interrupt and reparented at once: a snapshot of the descendants misses it
        Path early = Files.createTempDirectory("pw-exec-early-").resolve("early.pid");
        long[] pids = interruptAfterPids(command(Set.of(), "sh", "-c",
                "(sleep 30 >/dev/null 2>&1 & echo $! > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"); "
                        + "while [ ! -s \"$0\" ]; do sleep 0.01; done; echo $$ $(cat \"$0\"); sleep 30", early.toString()), 2);
        assertGone(pids[0]);
        assertGone(pids[1]);
    }

    @Test
    void aCommandRunsInAProcessGroupOfItsOwnWhereSetsidExists() throws Exception {
        assumeTrue(ExecProcessor.SETSID != null, "no setsid on this system");
        String out = run(command(Set.of(), "sh", "-c", "cut -d' ' -f5 /proc/$$/stat > \"$PW_OUTPUT_DIR/out\"; echo $$ >> \"$PW_OUTPUT_DIR/out\""),
                "out", Map.of(), Map.of(), Map.of());
        String[] lines = out.trim().split("\n");
        assertEquals(lines[1].trim(), lines[0].trim(), "the command leads its own process group: " + out);
        assertTrue(ExecProcessor.groupOf(ProcessHandle.current().pid()) != Long.parseLong(lines[0].trim()),
                "not the worker's group: " + out);
    }

    private static long awaitPidFile(Path file) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(file)) {
                String text = Files.readString(file).trim();
                if (!text.isEmpty()) {
                    return Long.parseLong(text);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no pid in " + file + " within " + WAIT);
    }

    /**
     * Runs {@code cmd} on a thread until it prints {@code count} pids on one stdout line, interrupts
     * that thread and checks it ends with InterruptedException within {@link #WAIT}.
     */
    private static long[] interruptAfterPids(ExecCommand cmd, int count) throws Exception {
        Lines log = new Lines();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                new ExecProcessor(cmd).process(context("inline", Map.of(), List.of("out"), Map.of(), Map.of(), log));
                thrown.set(new AssertionError("the command finished instead of being stopped"));
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "exec-interrupt-test");
        runner.start();
        long[] pids = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (pids == null && System.nanoTime() < deadline) {
            for (String line : log.snapshot()) {
                String text = line.replace("[stdout]", "").trim();
                if (text.matches("\\d+( \\d+)*") && text.split(" ").length == count) {
                    pids = java.util.Arrays.stream(text.split(" ")).mapToLong(Long::parseLong).toArray();
                }
            }
            Thread.sleep(20);
        }
        if (pids == null) {
            runner.interrupt();
            fail("the command did not print its pids within " + WAIT + ": " + log.snapshot());
        }
        for (long pid : pids) {
            assertTrue(alive(pid), "pid " + pid + " runs before the interrupt");
        }
        runner.interrupt();
        runner.join(WAIT.toMillis());
        assertFalse(runner.isAlive(), "process() returned within " + WAIT + " of the interrupt");
        assertInstanceOf(InterruptedException.class, thrown.get());
        return pids;
    }

    private static void assertGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (alive(pid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(alive(pid), "pid " + pid + " still runs " + WAIT + " after the interrupt");
    }

    /** Running, not merely a zombie waiting for a parent (or a container's init) to reap it. */
    private static boolean alive(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException | RuntimeException e) {
            return h.get().isAlive();
        }
    }
}
