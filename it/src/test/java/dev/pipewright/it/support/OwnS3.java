package dev.pipewright.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real S3-compatible server owned by one test: <a href="https://github.com/jamhall/s3rver">s3rver</a>
 * (Node.js, from the npm registry) on a free port of this host, with its own data directory and the
 * buckets the test names. It is installed once into {@value #HOME_DIR} under the user's home (or
 * {@code PW_S3RVER_DIR}) with {@code npm install} when missing; a machine without Node.js or without
 * the registry makes the test FAIL with the reason, never skip. Credentials are s3rver's own
 * ({@code S3RVER}/{@code S3RVER}); multipart uploads and server-side copies work as on S3.
 */
public final class OwnS3 implements AutoCloseable {
    public static final String VERSION = "3.7.1";
    static final String HOME_DIR = ".cache/pipewright/s3rver-" + VERSION;
    public static final String KEY = "S3RVER";

    private final int port;
    private final Path data;
    private final Process process;
    private final Path log;

    private OwnS3(int port, Path data, Process process, Path log) {
        this.port = port;
        this.data = data;
        this.process = process;
        this.log = log;
    }

    /** Starts a server with these buckets (each 3 to 63 characters of a-z, 0-9, '.', '-'). */
    public static OwnS3 start(String... buckets) throws Exception {
        Path script = install();
        int port = Cluster.freePort();
        Path data = Files.createTempDirectory("pw-own-s3-");
        Path log = data.resolveSibling(data.getFileName() + ".log");
        List<String> command = new ArrayList<>(List.of("node", script.toString(), "-d", data.toString(), "-a", "127.0.0.1",
                "-p", Integer.toString(port), "--silent", "--no-vhost-buckets"));
        for (String b : buckets) {
            command.add("--configure-bucket");
            command.add(b);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start s3rver with node (is Node.js on the PATH?): " + e.getMessage(), e);
        }
        OwnS3 s3 = new OwnS3(port, data, process, log);
        try {
            Cluster.await("s3rver on port " + port + " to say it listens (log " + log + ")", Duration.ofSeconds(60), () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("s3rver exited with " + process.exitValue() + ": " + s3.logText());
                }
                return s3.logText().contains("listening");
            });
        } catch (RuntimeException | Error e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    /** s3rver's CLI script, installed with npm first when it is missing. */
    static synchronized Path install() throws Exception {
        String configured = System.getenv("PW_S3RVER_DIR");
        Path dir = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of(System.getProperty("user.home")).resolve(HOME_DIR);
        Path script = dir.resolve("node_modules/s3rver/bin/s3rver.js");
        if (Files.isRegularFile(script)) {
            return script;
        }
        Files.createDirectories(dir);
        Path out = dir.resolve("npm-install.log");
        Process npm;
        try {
            npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", dir.toString(), "s3rver@" + VERSION)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("s3rver is not installed in " + dir + " and npm cannot be started (is Node.js installed?): "
                    + e.getMessage(), e);
        }
        if (!npm.waitFor(5, TimeUnit.MINUTES)) {
            npm.destroyForcibly();
            throw new IllegalStateException("npm install s3rver@" + VERSION + " took over 5 minutes; see " + out);
        }
        if (npm.exitValue() != 0 || !Files.isRegularFile(script)) {
            throw new IllegalStateException("npm install s3rver@" + VERSION + " failed (exit " + npm.exitValue() + "): "
                    + Files.readString(out));
        }
        return script;
    }

    public int port() {
        return port;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The settings that point a Pipewright process at this server (endpoint, keys, region). */
    public Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ENDPOINT_URL", endpoint());
        env.put("AWS_ACCESS_KEY_ID", KEY);
        env.put("AWS_SECRET_ACCESS_KEY", KEY);
        env.put("AWS_REGION", "us-east-1");
        return env;
    }

    /** The file s3rver keeps an object's bytes in (its layout: {@code <dir>/<bucket>/<key>._S3rver_object}). */
    public Path objectFile(String bucket, String key) {
        return data.resolve(bucket).resolve(key + "._S3rver_object");
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> s = Files.walk(data)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory
        }
        log.toFile().delete();
    }
}
