package dev.pipewright.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the deployment files must agree with, read from the Java sources and poms as text: setting
 * names, default ports, HTTP paths, jar names, modules, the queue naming rule.
 */
final class CodeFacts {
    static final String OVERSEER_CONFIG = "overseer/src/main/java/dev/pipewright/overseer/config/OverseerConfig.java";
    static final String WORKER_CONFIG = "worker/src/main/java/dev/pipewright/worker/config/WorkerConfig.java";
    static final String COMMON_CONFIG = "infra/src/main/java/dev/pipewright/infra/config/CommonConfig.java";
    static final String API_CONTRACT = "overseer/src/main/resources/openapi.yaml";
    static final String WORKER_MAIN = "worker/src/main/java/dev/pipewright/worker/WorkerMain.java";
    static final String KEYS = "protocol/src/main/java/dev/pipewright/protocol/keys/Keys.java";
    static final String AUTH_CONFIG = "overseer/src/main/java/dev/pipewright/overseer/auth/AuthConfig.java";
    static final String WORKER_METRICS = "worker/src/main/java/dev/pipewright/worker/runtime/WorkerMetrics.java";
    static final String OVERSEER_METRICS = "overseer/src/main/java/dev/pipewright/overseer/metrics/OverseerMetrics.java";
    static final String JVM_METERS = "infra/src/main/java/dev/pipewright/infra/metrics/JvmMeters.java";
    static final String TRAINING_RUN = "infra/src/main/java/dev/pipewright/infra/config/TrainingRun.java";
    static final String OVERSEER_MAIN = "overseer/src/main/java/dev/pipewright/overseer/OverseerMain.java";

    /** Modules whose code reads PW_* settings. */
    static final String[] CODE_MODULES = {"protocol", "infra", "overseer", "worker", "cli"};

    private static final Pattern PW_NAME = Pattern.compile("\"(PW_[A-Z0-9_]+)\"");

    private CodeFacts() {
    }

    /** Every PW_* string literal in the main sources: the names a deployment may set. */
    static Set<String> envNames() {
        Set<String> names = new TreeSet<>();
        for (Path file : Repo.mainSources(CODE_MODULES)) {
            Matcher m = PW_NAME.matcher(Repo.read(file));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        if (!names.contains("PW_RABBITMQ_URI") || !names.contains("PW_HTTP_PORT")) {
            fail("reading PW_* names from the sources found too little: " + names);
        }
        return names;
    }

    static int overseerHttpPort() {
        String src = Repo.read(OVERSEER_CONFIG);
        require(src, "\"PW_HTTP_PORT\", DEFAULT_HTTP_PORT", OVERSEER_CONFIG);
        return Integer.parseInt(group(src, "DEFAULT_HTTP_PORT\\s*=\\s*(\\d+)", OVERSEER_CONFIG));
    }

    static int workerMetricsPort() {
        String src = Repo.read(WORKER_CONFIG);
        require(src, "\"PW_METRICS_PORT\", DEFAULT_METRICS_PORT", WORKER_CONFIG);
        return Integer.parseInt(group(src, "DEFAULT_METRICS_PORT\\s*=\\s*(\\d+)", WORKER_CONFIG));
    }

    static Duration workerShutdownGrace() {
        String src = Repo.read(WORKER_CONFIG);
        require(src, "\"PW_SHUTDOWN_GRACE\", DEFAULT_SHUTDOWN_GRACE", WORKER_CONFIG);
        return Duration.ofSeconds(Long.parseLong(group(src, "DEFAULT_SHUTDOWN_GRACE\\s*=\\s*Duration\\.ofSeconds\\((\\d+)\\)", WORKER_CONFIG)));
    }

    /** Whether the overseer serves /metrics without a token unless PW_METRICS_PUBLIC says otherwise. */
    static boolean metricsPublicByDefault() {
        return Boolean.parseBoolean(group(Repo.read(AUTH_CONFIG), "flag\\(s, \"PW_METRICS_PUBLIC\", (true|false),", AUTH_CONFIG));
    }

    /** Whether the overseer's API needs tokens unless PW_AUTH says otherwise. */
    static boolean authOnByDefault() {
        return Boolean.parseBoolean(group(Repo.read(AUTH_CONFIG), "flag\\(s, \"PW_AUTH\", (true|false),", AUTH_CONFIG));
    }

    static String defaultNamespace() {
        return group(Repo.read(COMMON_CONFIG), "DEFAULT_NAMESPACE\\s*=\\s*\"([^\"]+)\"", COMMON_CONFIG);
    }

    /** The GET paths of the overseer's API contract, which its router is built from (openapi.yaml). */
    static Set<String> overseerPaths() {
        Set<String> out = new java.util.TreeSet<>();
        Repo.yaml(API_CONTRACT).path("paths").fields().forEachRemaining(p -> {
            if (p.getValue().has("get")) {
                out.add(p.getKey());
            }
        });
        return out;
    }

    /** The paths the worker's metrics server serves (WorkerMain). */
    static Set<String> workerPaths() {
        return all(Repo.read(WORKER_MAIN), "createContext\\(\"([^\"]+)\"");
    }

    /** The strings of a {@code NAME = List.of("a", "b", ...)} constant in a Java source. */
    static List<String> stringList(String file, String constant) {
        String list = group(Repo.read(file), constant + "\\s*=\\s*List\\.of\\(([^)]*)\\)", file);
        List<String> out = allOrdered(list, "\"([^\"]*)\"");
        if (out.isEmpty()) {
            fail(file + ": " + constant + " lists no strings");
        }
        return out;
    }

    /**
     * The values each metric's {@code outcome} (and {@code reason}) tag can take, in Prometheus
     * names: {@code pipewright_tasks_finished_total} (workers), {@code pipewright_jobs_finished_total}
     * and {@code pipewright_tasks_ended_total} (overseer).
     */
    static java.util.Map<String, java.util.Map<String, List<String>>> labelValues() {
        return java.util.Map.of(
                "pipewright_tasks_finished_total", java.util.Map.of("outcome", stringList(WORKER_METRICS, "OUTCOMES")),
                "pipewright_jobs_finished_total", java.util.Map.of("outcome", stringList(OVERSEER_METRICS, "JOB_OUTCOMES")),
                "pipewright_tasks_ended_total", java.util.Map.of("outcome", stringList(OVERSEER_METRICS, "TASK_END_OUTCOMES"),
                        "reason", stringList(OVERSEER_METRICS, "TASK_END_REASONS")));
    }

    /** The pool queue name, built as Keys.poolQueue builds it: namespace + separator + pool. */
    static String poolQueue(String namespace, String pool) {
        String sep = group(Repo.read(KEYS),
                "String poolQueue\\(String pool\\)\\s*\\{\\s*return namespace \\+ \"([^\"]+)\" \\+ pool;", KEYS);
        return namespace + sep + pool;
    }

    /**
     * The argument that makes the overseer's and the worker's main do a training run (the start-up
     * work that needs no services) and exit, read from infra's TrainingRun; both mains must ask it.
     */
    static String trainingRunFlag() {
        for (String main : List.of(OVERSEER_MAIN, WORKER_MAIN)) {
            require(Repo.read(main), "TrainingRun.requested(args)", main);
        }
        return group(Repo.read(TRAINING_RUN), "String FLAG\\s*=\\s*\"([^\"]+)\"", TRAINING_RUN);
    }

    /** The modules the root pom lists. */
    static List<String> modules() {
        return new ArrayList<>(allOrdered(Repo.read("pom.xml"), "<module>([^<]+)</module>"));
    }

    /** The runnable jar a module's shade plugin writes to target/, e.g. overseer.jar. */
    static String jarName(String module) {
        return group(Repo.read(module + "/pom.xml"), "<finalName>([^<]+)</finalName>", module + "/pom.xml") + ".jar";
    }

    /** 10s, 1m, 500ms, 2h; also a bare number of seconds (Kubernetes fields). */
    static Duration duration(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(text.trim());
        if (!m.matches()) {
            return fail("not a duration: '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static void require(String src, String needle, String where) {
        if (!src.contains(needle)) {
            fail(where + " no longer contains `" + needle + "`: update the deployment tests and files");
        }
    }

    static String group(String text, String regex, String where) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            return fail(where + ": cannot find /" + regex + "/");
        }
        return m.group(1);
    }

    static Set<String> all(String text, String regex) {
        return new TreeSet<>(allOrdered(text, regex));
    }

    private static List<String> allOrdered(String text, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }
}
