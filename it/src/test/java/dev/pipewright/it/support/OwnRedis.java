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
 * A {@code redis-server} owned by one test, on its own port and directory, with the append-only
 * file fsynced on every write, so that a SIGKILL loses nothing that was acknowledged. Restarts on
 * the same directory reload the AOF.
 */
public final class OwnRedis implements AutoCloseable {
    private final int port;
    private final Path dir;
    private Process process;

    private OwnRedis(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    public static OwnRedis start() throws Exception {
        OwnRedis redis = new OwnRedis(Cluster.freePort(), Files.createTempDirectory("pw-own-redis-"));
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
        ProcessBuilder pb = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--logfile", dir.resolve("redis.log").toString()));
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
