package dev.pipewright.it.support;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} owned by one test, on its own port and directory. {@link #start()} gives
 * one with the append-only file fsynced on every write, so that a SIGKILL loses nothing that was
 * acknowledged; restarts on the same directory reload the AOF. {@link #startInMemory()} and
 * {@link #startReplicaOf(int)} give a master and a replica without persistence, for failover tests
 * where what is lost is decided by replication alone.
 */
public final class OwnRedis implements AutoCloseable {
    private static final List<String> FSYNC_ALWAYS = List.of("--appendonly", "yes", "--appendfsync", "always", "--save", "");
    private static final List<String> IN_MEMORY = List.of("--appendonly", "no", "--save", "");
    private final int port;
    private final Path dir;
    private final List<String> options;
    private Process process;

    private OwnRedis(int port, Path dir, List<String> options) {
        this.port = port;
        this.dir = dir;
        this.options = options;
    }

    public static OwnRedis start() throws Exception {
        return start(FSYNC_ALWAYS);
    }

    /** No persistence at all: a SIGKILL loses everything (a failover test's master). */
    public static OwnRedis startInMemory() throws Exception {
        return start(IN_MEMORY);
    }

    /**
     * A replica of the Redis on {@code masterPort} of this host (asynchronous replication, no
     * persistence). Returns once it has started; {@code INFO replication}'s
     * {@code master_link_status:up} says when its first sync is done.
     */
    public static OwnRedis startReplicaOf(int masterPort) throws Exception {
        List<String> options = new java.util.ArrayList<>(IN_MEMORY);
        options.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(masterPort)));
        return start(options);
    }

    private static OwnRedis start(List<String> options) throws Exception {
        OwnRedis redis = new OwnRedis(Cluster.freePort(), Files.createTempDirectory("pw-own-redis-"), List.copyOf(options));
        redis.startProcess();
        return redis;
    }

    public URI uri() {
        return URI.create("redis://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    private void startProcess() throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()));
        command.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it on the PATH?): " + e.getMessage(), e);
        }
        awaitPort(port, Duration.ofSeconds(30), "redis-server on port " + port);
    }

    /** SIGKILL, then a new process on the same port and AOF. */
    public void killAndRestart(Duration down) throws Exception {
        kill();
        Thread.sleep(down.toMillis());
        startProcess();
    }

    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    static void awaitPort(int port, Duration timeout, String what) {
        Cluster.await(what + " to accept connections", timeout, () -> {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
