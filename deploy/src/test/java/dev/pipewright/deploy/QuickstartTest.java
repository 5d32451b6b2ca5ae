package dev.pipewright.deploy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code bin/quickstart} on a machine that has a JDK and nothing else of ours: the real script runs
 * with a PATH of links to every program on this machine's PATH except Maven ({@code mvn}, {@code mvnd}),
 * RabbitMQ and Redis ({@code rabbitmq-server}, {@code rabbitmqctl}, {@code redis-server},
 * {@code redis-cli}), {@code apt-get} and {@code sudo}.
 *
 * <p>It runs in a copy of the checkout's scripts and Maven wrapper ({@code bin/}, {@code mvnw},
 * {@code .mvn/}), so it never stops a quick start running from the checkout itself. RabbitMQ and
 * Redis are PW_RABBITMQ_URI and PW_REDIS_URI on this machine: closed ports when they must be
 * missing, sockets this test listens on when they must answer.
 *
 * <p>The build goes through the real {@code mvnw}, which does not download Maven here: the test puts
 * a stand-in Maven where the wrapper keeps the distribution it downloaded
 * ({@code $MAVEN_USER_HOME/wrapper/dists/<name>/<hash of its URL>}), and that stand-in prints its
 * arguments and fails, which stops the script right after the build. MVNW_REPOURL points at a closed
 * port, so if a new wrapper version looks elsewhere this test fails at once instead of downloading.
 */
class QuickstartTest {
    /** What the PATH must not offer: a machine with a JDK only. */
    static final Set<String> HIDDEN = Set.of("mvn", "mvnd", "rabbitmq-server", "rabbitmqctl", "redis-server", "redis-cli",
            "apt-get", "apt", "sudo");
    static final String FAKE_MAVEN = "stand-in maven (where mvnw keeps the Maven it downloaded) ran with:";
    /** Exit status of the stand-in Maven: quickstart must stop with it. */
    static final int FAKE_MAVEN_EXIT = 3;

    @TempDir
    Path tmp;
    Path checkout;
    Path path;
    Path mavenUserHome;
    String repoUrl;

    record Run(int exit, String out) {
        @Override
        public String toString() {
            return "exit " + exit + ", output:\n" + out;
        }
    }

    @BeforeEach
    void aMachineWithAJdkOnly() throws IOException {
        checkout = tmp.resolve("checkout");
        for (String file : new String[] {"bin/quickstart", "bin/env.sh", "mvnw", ".mvn/wrapper/maven-wrapper.properties", ".mvn/jvm.config"}) {
            Path from = Repo.path(file);
            if (!Files.isRegularFile(from)) {
                fail("missing " + file + ": the quick start builds with the Maven wrapper (mvnw, .mvn/wrapper/), so that a"
                        + " machine needs only a JDK; make it again with"
                        + " `mvn -N org.apache.maven.plugins:maven-wrapper-plugin:3.3.4:wrapper -Dmaven=3.9.16`");
            }
            Path to = checkout.resolve(file);
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
        assertTrue(Files.isExecutable(checkout.resolve("mvnw")), "mvnw must be executable (git update-index --chmod=+x mvnw)");

        path = Files.createDirectories(tmp.resolve("path"));
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(java.io.File.pathSeparator)) {
            if (dir.isBlank() || !Files.isDirectory(Path.of(dir))) {
                continue;
            }
            try (Stream<Path> programs = Files.list(Path.of(dir))) {
                for (Path p : (Iterable<Path>) programs::iterator) {
                    String name = p.getFileName().toString();
                    Path link = path.resolve(name);
                    if (!HIDDEN.contains(name) && Files.isRegularFile(p) && Files.isExecutable(p) && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, p.toAbsolutePath());
                    }
                }
            }
        }
        assertTrue(Files.isExecutable(path.resolve("bash")), "bash is needed on PATH");

        mavenUserHome = tmp.resolve("m2");
        repoUrl = "http://127.0.0.1:" + closedPort() + "/maven2";
        Path fakeMaven = wrapperMavenHome().resolve("bin/mvn");
        Files.createDirectories(fakeMaven.getParent());
        Files.writeString(fakeMaven, "#!/bin/sh\necho \"" + FAKE_MAVEN + " $*\"\nexit " + FAKE_MAVEN_EXIT + "\n");
        fakeMaven.toFile().setExecutable(true);
    }

    /** The links go before the temporary directory (JUnit warns about every link it deletes). */
    @AfterEach
    void removeThePath() throws IOException {
        if (path != null && Files.isDirectory(path)) {
            try (Stream<Path> links = Files.list(path)) {
                for (Path link : (Iterable<Path>) links::iterator) {
                    Files.delete(link);
                }
            }
        }
    }

    /**
     * Where mvnw looks for its Maven before downloading one (mvnw, "maven home pattern"): the distribution
     * URL, with MVNW_REPOURL in place of the repository, names a directory by its file name and by its
     * Java String hash.
     */
    Path wrapperMavenHome() throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(checkout.resolve(".mvn/wrapper/maven-wrapper.properties"))) {
            props.load(in);
        }
        String url = props.getProperty("distributionUrl", "").trim();
        int at = url.indexOf("/org/apache/maven/");
        assertTrue(at > 0 && url.endsWith("-bin.zip"), "distributionUrl in .mvn/wrapper/maven-wrapper.properties: " + url);
        String used = repoUrl + url.substring(at);
        String name = used.substring(used.lastIndexOf('/') + 1).replaceFirst("-bin\\.zip$", "");
        return mavenUserHome.resolve("wrapper/dists").resolve(name).resolve(Integer.toHexString(used.hashCode()));
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    Run quickstart(Path extraPath, int rabbitPort, int redisPort) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(checkout.resolve("bin/quickstart").toString())
                .directory(checkout.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", (extraPath != null ? extraPath + ":" : "") + path);
        env.put("HOME", Files.createDirectories(tmp.resolve("home")).toString());
        env.put("LANG", "C.UTF-8");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("MAVEN_USER_HOME", mavenUserHome.toString());
        env.put("MVNW_REPOURL", repoUrl);
        env.put("PW_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:" + rabbitPort + "/%2f");
        env.put("PW_REDIS_URI", "redis://127.0.0.1:" + redisPort);
        env.put("PW_HTTP_PORT", String.valueOf(closedPort()));
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("bin/quickstart did not finish within 120 s: " + out.getNow("(no output yet)"));
        }
        return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS));
    }

    /** A directory with an apt-get and a sudo that only write down how they were called. */
    Path recordingAptAndSudo() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("recording"));
        Path log = dir.resolve("calls.log");
        Files.writeString(dir.resolve("apt-get"), "#!/bin/sh\necho \"apt-get $*\" >> '" + log + "'\n");
        Files.writeString(dir.resolve("sudo"), "#!/bin/sh\necho \"sudo $*\" >> '" + log + "'\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n");
        dir.resolve("apt-get").toFile().setExecutable(true);
        dir.resolve("sudo").toFile().setExecutable(true);
        return dir;
    }

    @Test
    void withoutTheServicesOrAWayToInstallThemItSaysWhatToRunAndStopsBeforeBuilding() throws Exception {
        for (String hidden : HIDDEN) {
            assertFalse(Files.exists(path.resolve(hidden)), hidden);
        }
        int rabbit = closedPort();
        int redis = closedPort();
        Run run = quickstart(null, rabbit, redis);

        assertNotEquals(0, run.exit(), run::toString);
        assertTrue(run.out().contains("RabbitMQ (127.0.0.1:" + rabbit + ") and Redis (127.0.0.1:" + redis + ") do not answer,"
                + " and rabbitmq-server and redis-server are not installed"), run::toString);
        assertTrue(run.out().contains("apt-get is not available"), run::toString);
        assertTrue(run.out().contains("apt-get install -y rabbitmq-server redis-server\n"), run::toString);
        assertTrue(run.out().contains("env RABBITMQ_NODE_PORT=" + rabbit + " rabbitmq-server -detached\n"), run::toString);
        assertTrue(run.out().contains("redis-server --daemonize yes --bind 127.0.0.1 --port " + redis + " --save \"\" --appendonly no\n"),
                run::toString);
        assertFalse(run.out().contains("building"), "the services are checked before the build: " + run);
        assertFalse(run.out().contains(FAKE_MAVEN), run::toString);
    }

    @Test
    void whenItMayItInstallsTheMissingServicesWithAptGet() throws Exception {
        Path recording = recordingAptAndSudo();
        Run run = quickstart(recording, closedPort(), closedPort());

        // the stand-in apt-get installs nothing, so the programs are still missing afterwards
        assertNotEquals(0, run.exit(), run::toString);
        assertTrue(run.out().contains("rabbitmq-server redis-server not installed; installing:"), run::toString);
        String calls = Files.readString(recording.resolve("calls.log"));
        assertTrue(calls.lines().anyMatch(l -> l.startsWith("apt-get install -y") && l.endsWith(" rabbitmq-server redis-server")), calls);
        assertFalse(run.out().contains("building"), run::toString);
    }

    @Test
    void whenTheServicesAnswerItInstallsNothingAndBuildsWithTheMavenWrapper() throws Exception {
        Path recording = recordingAptAndSudo();
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (ServerSocket rabbit = new ServerSocket(); ServerSocket redis = new ServerSocket()) {
            rabbit.bind(new InetSocketAddress(loopback, 0), 50);
            redis.bind(new InetSocketAddress(loopback, 0), 50);
            Run run = quickstart(recording, rabbit.getLocalPort(), redis.getLocalPort());

            assertFalse(Files.exists(recording.resolve("calls.log")), "neither apt-get nor sudo is called while the services answer");
            assertTrue(run.out().contains("pipewright: building (./mvnw -DskipTests package)"), run::toString);
            assertTrue(run.out().contains(FAKE_MAVEN + " -B -q -Dstyle.color=never -DskipTests package"),
                    "mvnw ran the Maven it keeps (mvn is not on PATH): " + run);
            assertEquals(FAKE_MAVEN_EXIT, run.exit(), "a failed build stops the quick start: " + run);
        }
    }
}
