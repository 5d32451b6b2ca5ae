package dev.pipewright.it.support;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Redis Cluster owned by one test: {@code masters} masters with one replica each, every one a
 * {@code redis-server} on a free port of this machine with {@code --cluster-enabled yes} and its
 * own directory and {@code cluster-config-file}, created with {@code redis-cli --cluster create
 * ... --cluster-replicas 1}. Each node keeps an append-only file fsynced every second, as
 * production does. A master can be SIGKILLed ({@link #killMaster}); its replica takes over (the
 * cluster's own failover, after {@code cluster-node-timeout}). {@link #close()} kills every node and
 * deletes the directory. A node that cannot start or a cluster that does not form throws, with the
 * tool's output: a test that needs the cluster fails, never skips.
 */
public final class OwnRedisCluster implements AutoCloseable {
    /** Short, so a failover takes about a second or two rather than Redis's default 15 s. */
    private static final int NODE_TIMEOUT_MS = 1000;
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();

    private static final class Node {
        final int port;
        /** The cluster bus port, chosen too: the default (port + 10000) may be taken or past 65535. */
        final int busPort;
        final Path dir;
        Process process;

        Node(int port, int busPort, Path dir) {
            this.port = port;
            this.busPort = busPort;
            this.dir = dir;
        }
    }

    private OwnRedisCluster(Path dir) {
        this.dir = dir;
    }

    /** Three masters, one replica each. */
    public static OwnRedisCluster start() throws Exception {
        return start(3);
    }

    public static OwnRedisCluster start(int masters) throws Exception {
        OwnRedisCluster cluster = new OwnRedisCluster(Files.createTempDirectory("pw-own-redis-cluster-"));
        try {
            cluster.create(masters);
        } catch (Throwable t) {
            cluster.close();
            throw t;
        }
        return cluster;
    }

    private void create(int masters) throws Exception {
        for (int i = 0; i < masters * 2; i++) {
            Node n = new Node(Cluster.freePort(), Cluster.freePort(), Files.createDirectories(dir.resolve("node" + i)));
            nodes.add(n);
            launch(n);
        }
        for (Node n : nodes) {
            OwnRedis.awaitPort(n.port, Duration.ofSeconds(30), "redis-server (cluster node) on port " + n.port);
        }
        List<String> argv = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(n -> argv.add("127.0.0.1:" + n.port));
        argv.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        run(argv);
        awaitHealthy(FORM_TIMEOUT);
    }

    private void launch(Node n) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(n.port), "--bind", "127.0.0.1",
                "--dir", n.dir.toString(), "--cluster-enabled", "yes", "--cluster-port", Integer.toString(n.busPort), "--cluster-config-file", n.dir.resolve("nodes.conf").toString(),
                "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS), "--appendonly", "yes", "--appendfsync", "everysec",
                "--save", "", "--logfile", n.dir.resolve("redis.log").toString()));
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            n.process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it on the PATH?): " + e.getMessage(), e);
        }
    }

    /** Every node's URI: seeds for a cluster client (any one is enough; several survive a dead one). */
    public List<URI> seedUris() {
        return nodes.stream().map(n -> URI.create("redis://127.0.0.1:" + n.port)).toList();
    }

    /** The ports of the nodes that are masters now. */
    public List<Integer> masterPorts() throws IOException, InterruptedException {
        return rolePorts("master");
    }

    public List<Integer> replicaPorts() throws IOException, InterruptedException {
        return rolePorts("slave");
    }

    /** Ports of the live nodes whose {@code cluster nodes} line (asked of a live node) has the flag, minus failed ones. */
    private List<Integer> rolePorts(String flag) throws IOException, InterruptedException {
        List<Integer> out = new ArrayList<>();
        for (String line : cli(anyLivePort(), "cluster", "nodes").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 3) {
                continue;
            }
            List<String> flags = List.of(f[2].split(","));
            if (flags.contains(flag) && !flags.contains("fail") && !flags.contains("fail?")) {
                out.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1).split("@")[0]));
            }
        }
        return out;
    }

    /** The port of the replica of the master on {@code masterPort} (as the cluster has it now), or -1. */
    public int replicaOf(int masterPort) throws IOException, InterruptedException {
        String masterId = null;
        String[] lines = cli(anyLivePort(), "cluster", "nodes").split("\n");
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            if (f.length > 1 && f[1].startsWith("127.0.0.1:" + masterPort + "@")) {
                masterId = f[0];
            }
        }
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            if (f.length > 3 && f[3].equals(masterId)) {
                return Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1).split("@")[0]);
            }
        }
        return -1;
    }

    /**
     * SIGKILLs the master on {@code masterPort} and waits until its replica is a master and every
     * live node reports {@code cluster_state:ok} again; returns the promoted replica's port.
     */
    public int killMaster(int masterPort, Duration timeout) throws Exception {
        int replica = replicaOf(masterPort);
        if (replica < 0) {
            throw new IllegalStateException("the master on port " + masterPort + " has no replica");
        }
        kill(masterPort);
        poll("the replica on port " + replica + " to be promoted after its master on " + masterPort + " was killed", timeout,
                () -> cli(replica, "role").startsWith("master"));
        awaitHealthy(timeout);
        return replica;
    }

    /** SIGKILL of the node on {@code port}. */
    public void kill(int port) throws InterruptedException {
        Node n = node(port);
        if (n.process != null) {
            n.process.destroyForcibly();
            n.process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a killed node again on its directory; it rejoins the cluster (as a replica, if it was a master that failed over). */
    public void restart(int port) throws Exception {
        Node n = node(port);
        if (n.process != null && n.process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is running");
        }
        launch(n);
        OwnRedis.awaitPort(port, Duration.ofSeconds(30), "redis-server (cluster node) on port " + port);
    }

    /** Waits until every live node says {@code cluster_state:ok}. */
    public void awaitHealthy(Duration timeout) {
        poll("every live Redis Cluster node to report cluster_state:ok", timeout, () -> {
            for (Node n : nodes) {
                if (n.process != null && n.process.isAlive() && !cli(n.port, "cluster", "info").contains("cluster_state:ok")) {
                    return false;
                }
            }
            return true;
        });
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    /** Like {@link Cluster#await}, a step slower (each check forks redis-cli), a failing check counting as "not yet". */
    private static void poll(String what, Duration timeout, Check check) {
        Cluster.await(what, timeout, () -> {
            try {
                if (check.holds()) {
                    return true;
                }
            } catch (Exception | AssertionError e) {
                // not yet
            }
            Cluster.sleep(100);
            return false;
        });
    }

    private int anyLivePort() {
        for (Node n : nodes) {
            if (n.process != null && n.process.isAlive()) {
                return n.port;
            }
        }
        throw new IllegalStateException("no node of the Redis Cluster runs");
    }

    private Node node(int port) {
        return nodes.stream().filter(n -> n.port == port).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node of this cluster on port " + port));
    }

    /** {@code redis-cli -p port args...}: its output, or an AssertionError with it. */
    public String cli(int port, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        argv.addAll(List.of(args));
        return run(argv);
    }

    private static String run(List<String> argv) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run redis-cli (is it on the PATH?): " + e.getMessage(), e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish within 60 s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): " + text);
        }
        return text;
    }

    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes) {
            if (n.process != null) {
                n.process.destroyForcibly();
                n.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("cannot remove " + dir + ": " + e);
        }
    }
}
