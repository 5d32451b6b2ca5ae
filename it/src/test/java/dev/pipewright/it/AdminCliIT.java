package dev.pipewright.it;

import dev.pipewright.cli.PipewrightCli;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator commands through picocli against a live cluster: what an operator types and reads. */
class AdminCliIT {
    private static final Duration WAIT = Duration.ofSeconds(45);
    static Cluster cluster;

    private record Run(int exit, String out, String err) {
    }

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

    private static Run cli(String... args) {
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] withUrl = new String[args.length + 4];
        System.arraycopy(args, 0, withUrl, 0, args.length);
        withUrl[args.length] = "--url";
        withUrl[args.length + 1] = cluster.baseUri().toString();
        withUrl[args.length + 2] = "--token";
        withUrl[args.length + 3] = cluster.adminToken();
        int exit = cl.execute(withUrl);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void operatorSession() throws Exception {
        String id = cluster.workerId(0);
        Run workers = cli("workers");
        assertEquals(0, workers.exit(), workers.err());
        assertTrue(workers.out().startsWith("ID"), workers.out());
        assertTrue(workers.out().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" yes ") && l.contains("default")), workers.out());
        Run workersJson = cli("workers", "--json");
        assertTrue(workersJson.out().contains("\"id\" : \"" + id + "\""), workersJson.out());

        Run paused = cli("pool", "pause", "default");
        assertEquals(0, paused.exit(), paused.err());
        assertEquals("pool default: paused", paused.out().strip());
        Cluster.await("queues to show default paused without consumers", WAIT, () -> {
            Run q = cli("queues");
            return q.out().lines().anyMatch(l -> l.matches("default\\s+0\\s+0\\s+0\\s+0\\s+1\\s+-\\s+yes"));
        });
        Run resumed = cli("pool", "resume", "default");
        assertEquals("pool default: consuming", resumed.out().strip());
        Cluster.await("queues to show default consumed again", WAIT,
                () -> cli("queues").out().lines().anyMatch(l -> l.matches("default\\s+0\\s+0\\s+0\\s+1\\s+1\\s+-\\s+no")));

        Run drained = cli("pool", "drain", "default", "--timeout", "30s");
        assertEquals(0, drained.exit(), drained.out() + drained.err());
        assertTrue(drained.out().startsWith("pool default: paused and drained"), drained.out());
        cli("pool", "resume", "default");

        cluster.publish(cluster.keys().taskExchange(), "default", "garbage");
        Cluster.await("the dead letter", WAIT, () -> cli("dlq", "list", "--reason", "rejected").out().contains("rejected"));
        Run list = cli("dlq", "list");
        assertTrue(list.out().startsWith("ID"), list.out());
        String dlId = list.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
        Run show = cli("dlq", "show", dlId);
        assertEquals(0, show.exit(), show.err());
        assertTrue(show.out().contains("\"body\" : \"garbage\""), show.out());
        assertEquals(1, cli("dlq", "show", "no-such-id").exit());

        Run replay = cli("dlq", "replay", "--id", dlId);
        assertEquals(0, replay.exit(), replay.err());
        assertTrue(replay.out().contains("skip") && replay.out().contains("1 matched, 0 replayed"), replay.out());
        Run dry = cli("dlq", "purge", "--reason", "rejected", "--dry-run");
        assertEquals("dry run: would purge 1 dead letter(s): " + dlId, dry.out().strip());
        Run purge = cli("dlq", "purge", "--all");
        assertEquals(0, purge.exit(), purge.err());
        assertTrue(purge.out().startsWith("purged 1 dead letter(s)"), purge.out());
        assertEquals("no dead letters", cli("dlq", "list").out().strip());
    }
}
