package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator commands' tables, argument checks and usage errors (no server needed). */
class AdminCommandsTest {
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

    private static JsonNode json(String s) throws Exception {
        return ApiClient.JSON.readTree(s);
    }

    @Test
    void queuesTable() throws Exception {
        String table = QueuesCommand.render(json("""
                {"queues": [
                  {"pool": "default", "ready": 3, "unacked": 1, "in_flight": 2, "consumers": 1, "workers": 1, "oldest_age_ms": 1500, "paused": false},
                  {"pool": "gpu", "ready": 0, "unacked": 0, "in_flight": 0, "consumers": 0, "workers": 0, "oldest_age_ms": null, "paused": true}
                ]}"""));
        assertEquals("""
                POOL     READY  UNACKED  IN-FLIGHT  CONSUMERS  WORKERS  OLDEST  PAUSED
                default  3      1        2          1          1        1.5 s   no
                gpu      0      0        0          0          0        -       yes
                """, table);
    }

    @Test
    void workersTable() throws Exception {
        String table = WorkersCommand.render(json("""
                {"workers": [{"id": "w1", "alive": true, "pools": ["default", "gpu"], "concurrency": 4, "in_flight": 2,
                  "paused_pools": ["gpu"], "version": "0.1.0", "host": "h", "last_seen_ago_ms": 800}]}"""));
        assertEquals("""
                ID  ALIVE  POOLS        CONCURRENCY  IN-FLIGHT  PAUSED  VERSION  HOST  LAST SEEN
                w1  yes    default,gpu  4            2          gpu     0.1.0    h     800 ms ago
                """, table);
        assertEquals("no workers\n", WorkersCommand.render(json("{\"workers\": []}")));
    }

    @Test
    void setAsideTableShowsTheJobAndWhy() throws Exception {
        String table = SetAsideCommand.TABLE.render(json("""
                [{"shard": 0, "id": "1-0", "at": "2026-12-07T02:00:00Z", "kind": "store", "item": "1-0", "job": "j1", "node": "produce",
                  "reason": "'owners/a/x' is a directory", "effect": "stopping"}]
                """));
        assertTrue(table.startsWith("AT"), table);
        assertTrue(table.contains("store") && table.contains("j1") && table.contains("produce") && table.contains("is a directory"), table);
        assertEquals("nothing set aside\n", SetAsideCommand.TABLE.render(json("[]")));
    }

    @Test
    void deadLetterTableSaysWhenItIsCut() throws Exception {
        String table = DlqCommand.ListDeadLetters.render(json("""
                {"total": 5, "dead_letters": [{"id": "x1", "at": 0, "job": "j1", "node": "n", "processor": "identity",
                  "pool": "default", "reason_code": "rejected", "task": "failed"}]}"""));
        assertTrue(table.startsWith("ID  AT                    JOB  NODE  PROCESSOR  POOL     REASON    TASK\n"), table);
        assertTrue(table.contains("x1  1970-01-01T00:00:00Z  j1   n     identity   default  rejected  failed"), table);
        assertTrue(table.endsWith("(1 of 5 shown)\n"), table);
    }

    @Test
    void replayAndPurgeNeedASelectorOrAll() {
        for (String action : new String[] {"replay", "purge"}) {
            Run r = run("dlq", action, "--url", "http://127.0.0.1:9");
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("give --id, --job, --processor or --reason, or --all"), r.err());
        }
    }

    @Test
    void missingSubcommandsAreUsageErrors() {
        assertEquals(2, run("pool").exit());
        assertEquals(2, run("dlq").exit());
        assertEquals(2, run("pool", "pause").exit());
    }

    @Test
    void unreachableServerIsExitTwo() {
        Run r = run("queues", "--url", "http://127.0.0.1:9");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("cannot reach the Pipewright server"), r.err());
    }

    @Test
    void drainTimeouts() {
        assertEquals(90, PoolCommand.seconds("90"));
        assertEquals(90, PoolCommand.seconds("90s"));
        assertEquals(120, PoolCommand.seconds("2m"));
        assertEquals(3600, PoolCommand.seconds("1h"));
        assertThrows(CliException.class, () -> PoolCommand.seconds("2h"));
        assertThrows(CliException.class, () -> PoolCommand.seconds("500ms"));
        assertThrows(CliException.class, () -> PoolCommand.seconds("soon"));
        Run r = run("pool", "drain", "default", "--timeout", "forever", "--url", "http://127.0.0.1:9");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--timeout"), r.err());
    }
}
