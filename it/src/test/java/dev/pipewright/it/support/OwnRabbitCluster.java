package dev.pipewright.it.support;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A RabbitMQ cluster owned by one test: {@code size} nodes on this machine, each with its own node
 * name ({@code pwtest-<random>-<n>@localhost}), AMQP and distribution ports, database, logs and
 * (empty) plugin list, joined into one cluster with {@code rabbitmqctl stop_app / join_cluster /
 * start_app}. The machine's broker is never touched.
 *
 * <p>The nodes (and the CLI tools the harness runs) share one HOME, whose {@code .erlang.cookie} is
 * written before the first node starts: Erlang nodes cluster only with the same cookie, and a
 * cookie file (rather than {@code RABBITMQ_ERLANG_COOKIE}, which 3.10 deprecates) is what every
 * tool finds by itself. A node can be SIGKILLed and started again on its own database; it rejoins
 * by itself. {@link #close()} kills every node and deletes the directory. A node that cannot
 * start, or a join that fails, throws with the node's console and the tool's output: a test that
 * needs the cluster fails, never skips.
 */
public final class OwnRabbitCluster implements AutoCloseable {
    private static final Path BIN = Path.of("/usr/lib/rabbitmq/bin");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final Path home;
    private final List<NodeProcess> nodes = new ArrayList<>();

    /** One node: its name, ports, directory and (while it runs) its process. */
    private static final class NodeProcess {
        final String name;
        final int port;
        final int distPort;
        final Path dir;
        Process process;

        NodeProcess(String name, int port, int distPort, Path dir) {
            this.name = name;
            this.port = port;
            this.distPort = distPort;
            this.dir = dir;
        }
    }

    private OwnRabbitCluster(Path dir) {
        this.dir = dir;
        this.home = dir.resolve("home");
    }

    /** Three nodes, joined. */
    public static OwnRabbitCluster start() throws Exception {
        return start(3);
    }

    public static OwnRabbitCluster start(int size) throws Exception {
        for (String tool : List.of("rabbitmq-server", "rabbitmqctl")) {
            if (!Files.isExecutable(BIN.resolve(tool))) {
                throw new IllegalStateException(BIN.resolve(tool) + " is not installed; the RabbitMQ cluster tests need a local "
                        + "RabbitMQ installation to run nodes of their own");
            }
        }
        OwnRabbitCluster cluster = new OwnRabbitCluster(Files.createTempDirectory("pw-own-rabbit-cluster-"));
        try {
            cluster.create(size);
        } catch (Throwable t) {
            cluster.close();
            throw t;
        }
        return cluster;
    }

    private void create(int size) throws Exception {
        Files.createDirectories(home);
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        Path cookie = home.resolve(".erlang.cookie");
        Files.writeString(cookie, HexFormat.of().formatHex(random).toUpperCase());
        // Erlang refuses a cookie file others can read
        Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        String id = "pwtest-" + HexFormat.of().formatHex(random, 0, 3);
        for (int i = 1; i <= size; i++) {
            Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
            NodeProcess n = new NodeProcess(id + "-" + i + "@localhost", Cluster.freePort(), Cluster.freePort(), nodeDir);
            Files.writeString(nodeDir.resolve("rabbitmq.conf"), "listeners.tcp.local = 127.0.0.1:" + n.port + "\nloopback_users = none\n");
            Files.writeString(nodeDir.resolve("enabled_plugins"), "[].\n");
            nodes.add(n);
        }
        // the nodes boot side by side (each is mostly waiting), then join the first one by one
        for (NodeProcess n : nodes) {
            launch(n);
        }
        for (NodeProcess n : nodes) {
            awaitUp(n);
        }
        String first = nodes.get(0).name;
        for (NodeProcess n : nodes.subList(1, nodes.size())) {
            ctl(n.name, "stop_app");
            ctl(n.name, "join_cluster", first);
            ctl(n.name, "start_app");
        }
        awaitRunning(size, START_TIMEOUT);
    }

    public int size() {
        return nodes.size();
    }

    /** Node {@code i}'s Erlang name (0-based), for {@code rabbitmqctl -n}. */
    public String nodeName(int i) {
        return nodes.get(i).name;
    }

    /** Node {@code i}'s AMQP port. */
    public int port(int i) {
        return nodes.get(i).port;
    }

    /** The index of the node listening on {@code port}, or -1. */
    public int indexOfPort(int port) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).port == port) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the node named {@code name}, or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).name.equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** One node's URI. */
    public URI uri(int i) {
        return URI.create("amqp://guest:guest@127.0.0.1:" + nodes.get(i).port);
    }

    /** Every node, in the one-URI spelling of {@code PW_RABBITMQ_URI}: {@code amqp://guest:guest@127.0.0.1:p1,127.0.0.1:p2,...}. */
    public String uriList() {
        StringJoiner hosts = new StringJoiner(",", "amqp://guest:guest@", "");
        nodes.forEach(n -> hosts.add("127.0.0.1:" + n.port));
        return hosts.toString();
    }

    /** The HOME holding the cluster's Erlang cookie (for {@code rabbitmqctl} run elsewhere). */
    public Path home() {
        return home;
    }

    /** A running node, for the CLI tools (the first one that runs). */
    public int anyRunning() {
        for (int i = 0; i < nodes.size(); i++) {
            if (running(i)) {
                return i;
            }
        }
        throw new IllegalStateException("no node of the cluster runs");
    }

    public boolean running(int i) {
        Process p = nodes.get(i).process;
        return p != null && p.isAlive();
    }

    /** SIGKILL of node {@code i}'s Erlang VM (and everything it started): no goodbye to its peers or clients. */
    public void kill(int i) throws InterruptedException {
        NodeProcess n = nodes.get(i);
        if (n.process == null) {
            return;
        }
        n.process.descendants().forEach(ProcessHandle::destroyForcibly);
        n.process.destroyForcibly();
        n.process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts a killed node again on its own database; it rejoins the cluster by itself. */
    public void restart(int i) throws Exception {
        NodeProcess n = nodes.get(i);
        if (running(i)) {
            throw new IllegalStateException("node " + n.name + " is running");
        }
        launch(n);
        awaitUp(n);
    }

    /**
     * {@code rabbitmqctl -n node args...} with the cluster's cookie; its output, or an AssertionError
     * with the output when it fails.
     */
    public String ctl(String node, String... args) throws IOException, InterruptedException {
        return tool("rabbitmqctl", node, args);
    }

    /** {@code rabbitmq-queues -n node args...} (quorum queue membership: grow, shrink, quorum_status). */
    public String queues(String node, String... args) throws IOException, InterruptedException {
        return tool("rabbitmq-queues", node, args);
    }

    private String tool(String tool, String node, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(BIN.resolve(tool).toString(), "-n", node));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        cleanEnv(pb.environment());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish within 120 s: " + new String(out, StandardCharsets.UTF_8));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): " + text);
        }
        return text;
    }

    /** The running nodes as the cluster sees them (asked of a running node). */
    public List<String> runningNodes() throws IOException, InterruptedException {
        String json = ctl(nodeName(anyRunning()), "cluster_status", "--formatter", "json");
        List<String> out = new ArrayList<>();
        Cluster.JSON.readTree(json).path("running_nodes").forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Waits until {@code n} nodes run in the cluster. */
    public void awaitRunning(int n, Duration timeout) {
        Cluster.await(n + " RabbitMQ nodes running in the cluster", timeout, () -> {
            try {
                return runningNodes().size() >= n;
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
    }

    private void launch(NodeProcess n) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(BIN.resolve("rabbitmq-server").toString())).directory(n.dir.toFile());
        Map<String, String> env = pb.environment();
        cleanEnv(env);
        env.put("RABBITMQ_NODENAME", n.name);
        env.put("RABBITMQ_NODE_PORT", Integer.toString(n.port));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(n.distPort));
        env.put("RABBITMQ_CONFIG_FILE", n.dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", n.dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_MNESIA_BASE", n.dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", n.dir.resolve("log").toString());
        env.put("RABBITMQ_PID_FILE", n.dir.resolve("pid").toString());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(n.dir.resolve("console.log").toFile()));
        n.process = pb.start();
    }

    /** The environment every node and tool gets: the shared HOME (cookie), no setting of the machine's broker. */
    private void cleanEnv(Map<String, String> env) {
        env.keySet().removeIf(k -> k.startsWith("RABBITMQ_") || k.startsWith("ERL_"));
        env.put("HOME", home.toString());
        env.put("RABBITMQ_CONF_ENV_FILE", "/dev/null");
        env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    }

    private void awaitUp(NodeProcess n) {
        try {
            Cluster.await("RabbitMQ node " + n.name + " to accept AMQP connections on port " + n.port, START_TIMEOUT, () -> {
                if (!n.process.isAlive()) {
                    throw new AssertionError("RabbitMQ node " + n.name + " exited (status " + n.process.exitValue() + ")");
                }
                try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", n.port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; console of " + n.name + ":\n" + console(n), e);
        }
    }

    private static String console(NodeProcess n) {
        try {
            String text = Files.readString(n.dir.resolve("console.log"));
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(none)";
        }
    }

    /** Every node's log directory, for a failing test's note. */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < nodes.size(); i++) {
            kill(i);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                // the cookie is read-only; delete works on the directory's permission, not the file's
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("cannot remove " + dir + ": " + e);
        }
    }
}
