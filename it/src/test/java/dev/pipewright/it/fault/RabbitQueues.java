package dev.pipewright.it.fault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.it.support.Cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Ready, unacknowledged and consumer counts of a namespace's queues, read with {@code rabbitmqctl}
 * from the broker itself: AMQP's passive declare shows only ready messages, so a message held
 * unacknowledged by a channel (a {@code basic.get} without ack, a consumer that never acks) would be
 * invisible to it. Without rabbitmqctl the check fails with a message saying so, never silently.
 *
 * <p>A quorum queue's counts here are those of its last metrics tick (every 5 s on RabbitMQ 3.x), so
 * {@link ProcessCluster#queueStats()} takes ready and consumer counts from a passive declare (which
 * asks the queue itself) and only the unacked count from here, and the ledger believes an unacked
 * message only when a reading a tick later still shows it. An unacked message that a connection
 * took less than a tick before the check can be missed: in the fault tests every worker has
 * stopped by then (its deliveries went back to ready) and no other connection consumes.
 */
final class RabbitQueues {
    /** One queue's counts. */
    record Stat(String name, long ready, long unacked, long consumers) {
    }

    private static final Path CTL = Path.of("/usr/sbin/rabbitmqctl");

    private final List<String> command;
    private final Map<String, String> env;

    private RabbitQueues(List<String> command, Map<String, String> env) {
        this.command = command;
        this.env = env;
    }

    /** The machine's broker (the default node of this user's rabbitmqctl). */
    static RabbitQueues local() {
        return new RabbitQueues(List.of(ctl()), Map.of());
    }

    /**
     * A node of a test's own ({@code OwnRabbit}), whose Erlang cookie lives in {@code home}. The
     * packaged {@code /usr/sbin/rabbitmqctl} runs as the rabbitmq user with its home (and cookie),
     * so the cookie is passed explicitly, to the CLI itself where it is installed.
     */
    static RabbitQueues node(String node, Path home) {
        Path direct = Path.of("/usr/lib/rabbitmq/bin/rabbitmqctl");
        String cli = Files.isExecutable(direct) ? direct.toString() : ctl();
        List<String> command = new ArrayList<>(List.of(cli, "-n", node));
        try {
            Path cookie = home.resolve(".erlang.cookie");
            if (Files.isReadable(cookie)) {
                command.addAll(List.of("--erlang-cookie", Files.readString(cookie).trim()));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new RabbitQueues(command, Map.of("HOME", home.toString()));
    }

    private static String ctl() {
        if (Files.isExecutable(CTL)) {
            return CTL.toString();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "rabbitmqctl");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError("the fault tests read unacknowledged message counts with rabbitmqctl, which is not "
                + "installed here (AMQP cannot see them); run them next to a local RabbitMQ installation");
    }

    /** Every queue whose name starts with {@code prefix}. */
    List<Stat> list(String prefix) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(command);
        argv.addAll(List.of("list_queues", "-q", "--formatter", "json", "name", "messages_ready", "messages_unacknowledged", "consumers"));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        List<Stat> stats = new ArrayList<>();
        for (JsonNode q : Cluster.JSON.readTree(out)) {
            String name = q.path("name").asText();
            if (name.startsWith(prefix)) {
                stats.add(new Stat(name, q.path("messages_ready").asLong(), q.path("messages_unacknowledged").asLong(),
                        q.path("consumers").asLong()));
            }
        }
        return stats;
    }
}
