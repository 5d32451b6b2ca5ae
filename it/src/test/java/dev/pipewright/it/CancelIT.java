package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.cli.PipewrightCli;
import dev.pipewright.it.support.Cluster;
import dev.pipewright.it.support.Metrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No task of a cancelled job is dispatched after the cancel
 * returns, a running {@code sleep 60000} and a running {@code exec} child process stop within 2 s,
 * and the job ends CANCELLED — through the API and through {@code pipewright cancel}.
 */
class CancelIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long TWO_SECONDS_US = 2_000_000;
    /**
     * The exec child: a shell that starts a grandchild in the background and sleeps in the
     * foreground. The grandchild ignores SIGTERM, so only the SIGKILL after the grace period ends it.
     */
    private static final String TREE_SCRIPT = """
            #!/bin/sh
            sh -c 'trap "" TERM; exec sleep 600' &
            echo "$$ $!" > "$PIDS_DIR/$PW_JOB_ID.tmp"
            mv "$PIDS_DIR/$PW_JOB_ID.tmp" "$PIDS_DIR/$PW_JOB_ID"
            sleep 600
            """;

    static Cluster cluster;
    static Path pidsDir;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pw-cancel-it-");
        pidsDir = Files.createDirectory(dir.resolve("pids"));
        Files.writeString(dir.resolve("tree.sh"), TREE_SCRIPT);
        Path processors = dir.resolve("processors.yaml");
        Files.writeString(processors, """
                processors:
                  tree:
                    command: [sh, tree.sh]
                    env: {PIDS_DIR: "%s"}
                """.formatted(pidsDir));
        // concurrency 1: while one task runs, the job's other ready task waits in the queue
        cluster = Cluster.builder().workers(1).concurrency(1).workerMetrics(true).processorsFile(processors).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static double workerCounter(String name, Map<String, String> labels) {
        return Metrics.value(cluster.workerMetrics(0), name, labels);
    }

    /** Cancels through the API; returns Redis's clock right after the answer arrived. */
    private static long cancel(String job) {
        Cluster.Response r = cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json");
        long answeredUs = cluster.redisTimeMicros();
        assertEquals(202, r.status(), r::toString);
        return answeredUs;
    }

    @Test
    void cancelInterruptsARunningSleepAndNoQueuedTaskStarts() {
        cluster.postPipeline("""
                name: cancel-sleep
                dataNodes: {seed: {}, x: {}, y: {}, z: {}}
                processNodes:
                  a: {input: [seed], output: [x], processor: sleep, config: {ms: 60000}}
                  q: {input: [seed], output: [y], processor: sleep, config: {ms: 60000}}
                  b: {input: [x, y], output: [z], processor: concat}
                """);
        double sleeps0 = workerCounter("pipewright_tasks_started_total", Map.of("processor", "sleep"));
        double dropped0 = workerCounter("pipewright_messages_duplicates_total", Map.of("pool", "default"));
        String job = cluster.submit("cancel-sleep", """
                {"inputs": {"seed": "s"}}""");
        Cluster.await("one sleep to run", TIMEOUT, () -> {
            JsonNode v = cluster.job(job);
            return "RUNNING".equals(Cluster.task(v, "a").path("status").asText())
                    || "RUNNING".equals(Cluster.task(v, "q").path("status").asText());
        });
        JsonNode before = cluster.job(job);
        String running = "RUNNING".equals(Cluster.task(before, "a").path("status").asText()) ? "a" : "q";
        String queued = running.equals("a") ? "q" : "a";
        assertEquals("READY", Cluster.task(before, queued).path("status").asText(), "the other sleep waits in the queue");
        assertEquals("PENDING", Cluster.task(before, "b").path("status").asText());
        assertEquals(sleeps0 + 1, workerCounter("pipewright_tasks_started_total", Map.of("processor", "sleep")));

        long cancelledUs = cancel(job);
        String seqAfterCancel = cluster.redis().hget(cluster.jobKey(job), "seq");

        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("CANCELLED", view.path("status").asText(), view::toPrettyString);
        JsonNode stopped = Cluster.task(view, running);
        assertEquals("CANCELLED", stopped.path("status").asText(), stopped::toString);
        long stoppedAfterUs = stopped.path("ended_us").asLong() - cancelledUs;
        assertTrue(stoppedAfterUs <= TWO_SECONDS_US, "the running sleep ended " + stoppedAfterUs + " µs after the cancel answer");
        for (String node : new String[] {queued, "b"}) {
            JsonNode t = Cluster.task(view, node);
            assertEquals("CANCELLED", t.path("status").asText(), t::toString);
            assertEquals(0, t.path("attempts").asInt(), node + " never started: " + t);
        }

        // the queued message reaches the (now free) worker, which drops it: its task was cancelled
        Cluster.await("the worker to drop the queued task's message", TIMEOUT,
                () -> workerCounter("pipewright_messages_duplicates_total", Map.of("pool", "default")) >= dropped0 + 1);
        assertEquals(sleeps0 + 1, workerCounter("pipewright_tasks_started_total", Map.of("processor", "sleep")),
                "no sleep started after the cancel");
        assertEquals(seqAfterCancel, cluster.redis().hget(cluster.jobKey(job), "seq"), "nothing dispatched after the cancel");
        assertEquals(0, cluster.job(job).path("counts").path("succeeded").asInt());

        // a cancelled job cannot be cancelled again; an unknown one is 404
        assertEquals(409, cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json").status());
        assertEquals(404, cluster.post("/api/v1/jobs/0000000000000zz/cancel", "{}", "application/json").status());
    }

    @Test
    void cancelKillsAnExecChildAndItsGrandchildWithinTwoSeconds() throws Exception {
        cluster.postPipeline("""
                name: cancel-exec
                dataNodes: {seed: {}, x: {}, y: {}}
                processNodes:
                  run: {input: [seed], output: [x], processor: tree}
                  after: {input: [x], output: [y], processor: identity}
                """);
        String job = cluster.submit("cancel-exec", """
                {"inputs": {"seed": "s"}}""");
        Path pidFile = pidsDir.resolve(job);
        Cluster.await("the exec child to write its pids", TIMEOUT, () -> Files.exists(pidFile));
        String[] pids = Files.readString(pidFile).trim().split(" ");
        long child = Long.parseLong(pids[0]);
        long grandchild = Long.parseLong(pids[1]);
        assertTrue(alive(child) && alive(grandchild), "the exec child and grandchild run before the cancel");
        assertEquals("RUNNING", Cluster.task(cluster.job(job), "run").path("status").asText());

        long cancelledUs = cancel(job);
        long answered = System.nanoTime();
        Cluster.await("the exec child and grandchild to exit", TIMEOUT, () -> !alive(child) && !alive(grandchild));
        long goneAfterMs = (System.nanoTime() - answered) / 1_000_000;
        assertTrue(goneAfterMs <= 2000, "the process tree was gone only " + goneAfterMs + " ms after the cancel answer");

        JsonNode view = cluster.awaitJob(job, TIMEOUT);
        assertEquals("CANCELLED", view.path("status").asText(), view::toPrettyString);
        JsonNode run = Cluster.task(view, "run");
        assertEquals("CANCELLED", run.path("status").asText(), run::toString);
        long endedAfterUs = run.path("ended_us").asLong() - cancelledUs;
        assertTrue(endedAfterUs <= TWO_SECONDS_US, "the attempt ended " + endedAfterUs + " µs after the cancel answer");
        assertEquals("CANCELLED", Cluster.task(view, "after").path("status").asText());
        assertEquals(0, Cluster.task(view, "after").path("attempts").asInt());
    }

    @Test
    void aCancelledRetryWaitIsNeverDispatchedAgain() {
        cluster.postPipeline("""
                name: cancel-retry
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  flaky:
                    input: [seed]
                    output: [x]
                    processor: fail
                    config: {times: 1}
                    retries: {max: 3, backoff: fixed, initial: 2s, jitter: 0}
                """);
        String job = cluster.submit("cancel-retry", """
                {"inputs": {"seed": "s"}}""");
        cluster.awaitTask(job, "flaky", "RETRY_WAIT", TIMEOUT);
        String timers = cluster.keys().timers(cluster.shardOf(job));
        String member = "r|" + job + "|flaky";
        assertTrue(cluster.redis().zscore(timers, member) != null, "the retry waits on its timer");

        Cluster.Response r = cluster.post("/api/v1/jobs/" + job + "/cancel", "{}", "application/json");
        assertEquals(202, r.status(), r::toString);
        assertEquals("CANCELLED", r.json().path("status").asText(), "nothing was running: the job is cancelled at once");
        String seq = cluster.redis().hget(cluster.jobKey(job), "seq");

        Cluster.await("the retry timer to fire", TIMEOUT, () -> cluster.redis().zscore(timers, member) == null);
        JsonNode view = cluster.job(job);
        assertEquals("CANCELLED", view.path("status").asText());
        JsonNode flaky = Cluster.task(view, "flaky");
        assertEquals("CANCELLED", flaky.path("status").asText(), flaky::toString);
        assertEquals(1, flaky.path("attempts").asInt(), "the retry never ran");
        assertEquals(seq, cluster.redis().hget(cluster.jobKey(job), "seq"), "the fired timer dispatched nothing");
    }

    @Test
    void pipewrightCancelStopsTheJobAndWaitsUntilItIsCancelled() {
        cluster.postPipeline("""
                name: cancel-cli
                dataNodes: {seed: {}, x: {}}
                processNodes:
                  nap: {input: [seed], output: [x], processor: sleep, config: {ms: 60000}}
                """);
        String job = cluster.submit("cancel-cli", """
                {"inputs": {"seed": "s"}}""");
        cluster.awaitTask(job, "nap", "RUNNING", TIMEOUT);

        long calledUs = cluster.redisTimeMicros();
        Cli cli = Cli.run("cancel", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(), job);
        assertEquals(0, cli.exitCode(), cli::toString);
        assertEquals("job " + job + ": CANCELLED", cli.out().trim());

        JsonNode view = cluster.job(job);
        assertEquals("CANCELLED", view.path("status").asText(), view::toPrettyString);
        JsonNode nap = Cluster.task(view, "nap");
        assertEquals("CANCELLED", nap.path("status").asText());
        long endedAfterUs = nap.path("ended_us").asLong() - calledUs;
        assertTrue(endedAfterUs <= TWO_SECONDS_US, "the sleep ended " + endedAfterUs + " µs after the command started");

        Cli again = Cli.run("cancel", "--url", cluster.baseUri().toString(), "--token", cluster.adminToken(), job);
        assertEquals(1, again.exitCode(), "an ended job cannot be cancelled: " + again);
        assertTrue(again.err().contains("already ended"), again::toString);
    }

    /** A process is gone when it has exited (a zombie waiting for a reaper counts as gone: it runs no code). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2).substring(0, 1);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    /** One in-process run of the {@code pipewright} command. */
    record Cli(int exitCode, String out, String err) {
        static Cli run(String... args) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = PipewrightCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Cli(code, out.toString(), err.toString());
        }
    }
}
