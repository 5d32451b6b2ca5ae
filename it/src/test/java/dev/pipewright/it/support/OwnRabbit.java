package dev.pipewright.it.support;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node owned by one test: its own node name, AMQP and distribution ports, database and
 * logs under a temporary directory, no plugins (or only rabbitmq_prometheus, {@link #startWithPrometheus()}). The machine's broker is never touched. A restart
 * (SIGKILL of the Erlang VM, then a new VM on the same database) keeps durable queues and the
 * persistent messages they confirmed.
 */
public final class OwnRabbit implements AutoCloseable {
    private static final Path SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

    private final int port;
    private final int distPort;
    private final Path dir;
    private final String node;
    private Process process;
    private int prometheusPort;

    private OwnRabbit(int port, int distPort, Path dir) {
        this.port = port;
        this.distPort = distPort;
        this.dir = dir;
        this.node = "pwtest" + port + "@localhost";
    }

    public static OwnRabbit start() throws Exception {
        return start(false);
    }

    /** A node that also serves its own metrics (the rabbitmq_prometheus plugin) on {@link #prometheusPort()}. */
    public static OwnRabbit startWithPrometheus() throws Exception {
        return start(true);
    }

    private static OwnRabbit start(boolean prometheus) throws Exception {
        if (!Files.isExecutable(SERVER)) {
            throw new IllegalStateException(SERVER + " is not installed; the broker-restart fault test needs a local RabbitMQ "
                    + "installation to run a node of its own");
        }
        Path dir = Files.createTempDirectory("pw-own-rabbit-");
        OwnRabbit rabbit = new OwnRabbit(Cluster.freePort(), Cluster.freePort(), dir);
        String conf = "listeners.tcp.local = 127.0.0.1:" + rabbit.port + "\nloopback_users = none\n";
        if (prometheus) {
            rabbit.prometheusPort = Cluster.freePort();
            conf += "prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = " + rabbit.prometheusPort + "\n";
        }
        Files.writeString(dir.resolve("rabbitmq.conf"), conf);
        Files.writeString(dir.resolve("enabled_plugins"), prometheus ? "[rabbitmq_prometheus].\n" : "[].\n");
        rabbit.startProcess();
        return rabbit;
    }

    public URI uri() {
        return URI.create("amqp://guest:guest@127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The port of the node's /metrics (rabbitmq_prometheus), 0 without the plugin. */
    public int prometheusPort() {
        return prometheusPort;
    }

    /** The Erlang node name, for {@code rabbitmqctl -n}. */
    public String nodeName() {
        return node;
    }

    /** The node's HOME, where its Erlang cookie is (rabbitmqctl needs it). */
    public Path home() {
        return dir;
    }

    private void startProcess() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(SERVER.toString())).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("RABBITMQ_"));
        env.put("HOME", dir.toString());
        env.put("RABBITMQ_CONF_ENV_FILE", "/dev/null");
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_NODE_PORT", Integer.toString(port));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_PID_FILE", dir.resolve("pid").toString());
        env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()));
        process = pb.start();
        try {
            OwnRedis.awaitPort(port, Duration.ofSeconds(90), "RabbitMQ node " + node);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; console: " + console(), e);
        }
    }

    private String console() {
        try {
            return Files.readString(dir.resolve("console.log"));
        } catch (IOException e) {
            return "(none)";
        }
    }

    /** SIGKILL of the broker's VM, then a new one on the same database. */
    public void killAndRestart(Duration down) throws Exception {
        kill();
        Thread.sleep(down.toMillis());
        startProcess();
    }

    public void kill() throws InterruptedException {
        // the script execs the Erlang VM, so this is the broker itself
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
