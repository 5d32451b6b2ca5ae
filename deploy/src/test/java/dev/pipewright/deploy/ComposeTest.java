package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** docker-compose.yml and the Prometheus/Grafana files it mounts agree with the code and the Dockerfile. */
class ComposeTest {
    final JsonNode compose = Repo.yaml("docker-compose.yml");
    final JsonNode services = compose.path("services");

    @Test
    void hasTheServices() {
        for (String s : List.of("rabbitmq", "redis", "redis-exporter", "overseer", "proxy", "worker", "prometheus", "grafana")) {
            assertTrue(services.has(s), "docker-compose.yml has no service " + s);
        }
    }

    @Test
    void rabbitmqAndRedisAreHealthCheckedAndRedisPersists() {
        JsonNode rabbit = service("rabbitmq");
        assertEquals("rabbitmq:3.13-management", Repo.text(rabbit.get("image")));
        assertTrue(healthTest(rabbit).contains("rabbitmq-diagnostics -q ping"), "rabbitmq healthcheck");

        JsonNode redis = service("redis");
        assertTrue(Repo.text(redis.get("image")).startsWith("redis:7"), "redis image");
        String cmd = commandLine(redis.get("command"));
        for (String flag : List.of("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction")) {
            assertTrue(cmd.contains(flag), "redis should run with " + flag + ": " + cmd);
        }
        assertTrue(mounts(redis).containsValue("/data"), "redis needs a volume for its AOF");
        assertTrue(healthTest(redis).contains("redis-cli ping"), "redis healthcheck");
    }

    @Test
    void imagesAreBuiltFromTargetsTheDockerfileHas() {
        DockerfileReader docker = DockerfileReader.read(DockerfileTest.FILE);
        for (String name : List.of("overseer", "worker", "cli")) {
            JsonNode build = service(name).path("build");
            assertEquals(".", Repo.text(build.get("context")), name + ": build context is the repository root");
            assertEquals(DockerfileTest.FILE, Repo.text(build.get("dockerfile")), name + ": dockerfile");
            String target = Repo.text(build.get("target"));
            assertEquals(name, target, name + ": build target");
            docker.stage(target);
        }
    }

    @Test
    void overseerScalesDependsOnHealthyServicesAndKeepsDataInASharedVolume() {
        JsonNode overseer = service("overseer");
        Map<String, String> env = env(overseer);
        int port = CodeFacts.overseerHttpPort();
        assertEquals(Integer.toString(port), env.getOrDefault("PW_HTTP_PORT", Integer.toString(port)));
        // `docker compose up --scale overseer=N`: no fixed name, no host port (the proxy publishes it)
        assertFalse(overseer.has("container_name"), "a fixed container_name stops `--scale overseer=N`");
        assertFalse(overseer.has("ports"), "a host port stops `--scale overseer=N`; the proxy service publishes the API");
        assertTrue(strings(overseer.get("expose")).contains(Integer.toString(port)), "overseer should expose " + port + " to the proxy");
        // two live overseers must never share an instance id: each takes the default, its container's host name
        assertFalse(env.containsKey("PW_INSTANCE_ID"), "a fixed PW_INSTANCE_ID makes scaled overseers fence each other off");
        assertTrue(Repo.read(CodeFacts.OVERSEER_CONFIG).contains("\"PW_INSTANCE_ID\", \"overseer-\" + hostName()"),
                "the compose file counts on PW_INSTANCE_ID defaulting to the host name (the container id)");
        assertFalse(overseer.has("hostname"), "a fixed hostname would give every replica the same default instance id");

        assertEquals("/data", env.get("PW_DATA_DIR"));
        String source = mounts(overseer).entrySet().stream().filter(e -> stripMode(e.getValue()).equals("/data"))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        assertNotNull(source, "the overseer's /data should be a volume");
        assertTrue(compose.path("volumes").has(source),
                "/data is the named volume " + source + " (declared under volumes:), which every overseer replica shares");
        for (String dep : List.of("rabbitmq", "redis")) {
            assertEquals("service_healthy", Repo.text(overseer.path("depends_on").path(dep).get("condition")),
                    "overseer depends_on " + dep + " with condition service_healthy");
        }
        JsonNode seed = service("data-seed");
        assertTrue(mounts(seed).containsKey("./examples/data"), "the data volume is seeded from ./examples/data");
        assertEquals("/data", stripMode(mounts(seed).get(source)), "data-seed fills the overseers' volume " + source);
        assertTrue(Files.isDirectory(Repo.path("examples/data")), "examples/data");
        assertEquals("service_completed_successfully",
                Repo.text(overseer.path("depends_on").path("data-seed").get("condition")));
    }

    @Test
    void theProxyServiceIsTheOneApiAddressInFrontOfEveryOverseer() {
        int port = CodeFacts.overseerHttpPort();
        List<String> publishing = new ArrayList<>();
        services.fields().forEachRemaining(e -> {
            for (String p : strings(e.getValue().get("ports"))) {
                if (p.endsWith(":" + port) || p.endsWith(":" + port + "/tcp")) {
                    publishing.add(e.getKey());
                }
            }
        });
        assertEquals(List.of("proxy"), publishing, "only the proxy publishes the API port " + port);
        JsonNode proxy = service("proxy");
        assertTrue(strings(proxy.get("ports")).contains(port + ":" + port), "proxy publishes " + port + ":" + port);
        assertTrue(Repo.text(proxy.get("image")).matches("haproxy:\\d+\\.\\d+(-alpine)?"),
                "a pinned HAProxy image line: " + Repo.text(proxy.get("image")));
        assertEquals("/usr/local/etc/haproxy/haproxy.cfg", stripMode(mounts(proxy).get("./deploy/haproxy/haproxy.cfg")),
                "the proxy reads deploy/haproxy/haproxy.cfg where the image looks for its configuration");
        String health = healthTest(proxy);
        assertTrue(health.contains("http://127.0.0.1:" + port + "/ready"),
                "the proxy is healthy while an overseer behind it is ready: " + health);

        HaproxyConfig cfg = HaproxyConfig.read("deploy/haproxy/haproxy.cfg");
        List<HaproxyConfig.Section> frontends = cfg.ofKind("frontend");
        assertEquals(1, frontends.size(), "one frontend");
        HaproxyConfig.Section frontend = frontends.get(0);
        assertEquals(List.of("bind", ":" + port), frontend.first("bind"), "the frontend listens on " + port);
        List<String> defaultBackend = frontend.first("default_backend");
        assertNotNull(defaultBackend, "the frontend has a default_backend");
        HaproxyConfig.Section backend = cfg.section("backend", defaultBackend.get(1));
        assertEquals("http", cfg.section("defaults", "").first("mode").get(1), "HTTP mode (health checks on a path)");

        // every replica of the compose service `overseer`, found through Docker's DNS at run time
        List<String> template = backend.first("server-template");
        assertNotNull(template, "the backend fills its servers from DNS with server-template");
        assertEquals("overseer:" + port, template.get(3), "server-template names the overseer service and its API port");
        assertTrue(services.has(template.get(3).split(":")[0]), "the name resolves to a compose service");
        assertTrue(Integer.parseInt(template.get(2).replaceAll("^\\d+-", "")) >= 2, "room for several overseers: " + template);
        List<String> serverOptions = new ArrayList<>(template);
        List<String> defaults = backend.first("default-server");
        if (defaults != null) {
            serverOptions.addAll(defaults);
        }
        assertTrue(serverOptions.contains("check"), "servers are health-checked: " + serverOptions);
        int r = serverOptions.indexOf("resolvers");
        assertTrue(r >= 0, "servers are re-resolved at run time (resolvers), so scaled replicas are found: " + serverOptions);
        HaproxyConfig.Section resolvers = cfg.section("resolvers", serverOptions.get(r + 1));
        assertTrue(resolvers.all("nameserver").stream().anyMatch(l -> l.get(2).equals("127.0.0.11:53")),
                "the resolvers ask Docker's embedded DNS (127.0.0.11:53)");
        int init = serverOptions.indexOf("init-addr");
        assertTrue(init >= 0 && serverOptions.get(init + 1).contains("none"),
                "init-addr none: the proxy starts before the overseers answer DNS");

        // the check is the overseer's readiness, which follows its shard lease rounds
        assertNotNull(backend.first("option", "httpchk"), "HTTP health checks");
        List<String> send = backend.first("http-check", "send");
        String checkPath = send == null ? null : send.get(send.indexOf("uri") + 1);
        assertEquals("/ready", checkPath, "the health check asks /ready");
        assertTrue(CodeFacts.overseerPaths().contains(checkPath), "the overseer serves " + checkPath);
        assertEquals(List.of("http-check", "expect", "status", "200"), backend.first("http-check", "expect"));

        // the CLI goes through the proxy
        JsonNode cli = service("cli");
        URI url = URI.create(env(cli).get("PW_URL"));
        assertEquals("proxy", url.getHost(), "the cli service talks to the proxy: " + url);
        assertEquals(port, url.getPort());
        assertEquals("service_healthy", Repo.text(cli.path("depends_on").path("proxy").get("condition")));
    }

    @Test
    void workerScalesAndReadsTheMountedProcessorRegistry() {
        JsonNode worker = service("worker");
        assertFalse(worker.has("container_name"), "a fixed container_name stops `--scale worker=N`");
        assertFalse(worker.has("ports"), "a host port stops `--scale worker=N`");
        Map<String, String> env = env(worker);
        int port = CodeFacts.workerMetricsPort();
        assertEquals(Integer.toString(port), env.get("PW_METRICS_PORT"));
        assertTrue(strings(worker.get("expose")).contains(Integer.toString(port)), "worker should expose " + port);

        assertEquals("/examples/processors.yaml", env.get("PW_PROCESSORS"));
        boolean mounted = strings(worker.get("volumes")).contains("./examples:/examples:ro");
        assertTrue(mounted, "./examples must be mounted read-only at /examples");
        assertTrue(Files.isRegularFile(Repo.path("examples/processors.yaml")), "examples/processors.yaml");

        Duration grace = env.containsKey("PW_SHUTDOWN_GRACE") ? CodeFacts.duration(env.get("PW_SHUTDOWN_GRACE"))
                : CodeFacts.workerShutdownGrace();
        JsonNode stop = worker.get("stop_grace_period");
        assertNotNull(stop, "worker: stop_grace_period (Docker's default 10s cuts the shutdown grace short)");
        assertTrue(CodeFacts.duration(stop.asText()).compareTo(grace) > 0,
                "worker stop_grace_period " + stop.asText() + " must be longer than PW_SHUTDOWN_GRACE " + grace);
    }

    @Test
    void connectionSettingsPointAtTheComposeServices() {
        List<String> problems = new ArrayList<>();
        for (String name : List.of("overseer", "worker")) {
            Map<String, String> env = env(service(name));
            URI rabbit = URI.create(env.getOrDefault("PW_RABBITMQ_URI", ""));
            URI redis = URI.create(env.getOrDefault("PW_REDIS_URI", ""));
            if (!"amqp".equals(rabbit.getScheme()) || !"rabbitmq".equals(rabbit.getHost()) || rabbit.getPort() != 5672) {
                problems.add(name + ": PW_RABBITMQ_URI should be amqp://...@rabbitmq:5672, is " + rabbit);
            }
            if (!"redis".equals(redis.getScheme()) || !"redis".equals(redis.getHost()) || redis.getPort() != 6379) {
                problems.add(name + ": PW_REDIS_URI should be redis://redis:6379, is " + redis);
            }
            for (String dep : List.of("rabbitmq", "redis")) {
                if (!"service_healthy".equals(Repo.text(service(name).path("depends_on").path(dep).get("condition")))) {
                    problems.add(name + ": depends_on " + dep + " should wait for service_healthy");
                }
            }
        }
        Repo.noProblems("connection settings", problems);
    }

    @Test
    void everyPwVariableTheComposeFileSetsIsReadByTheCode() {
        Set<String> known = CodeFacts.envNames();
        List<String> problems = new ArrayList<>();
        for (var it = services.fields(); it.hasNext(); ) {
            var e = it.next();
            for (String name : env(e.getValue()).keySet()) {
                if (name.startsWith("PW_") && !known.contains(name)) {
                    problems.add(e.getKey() + ": " + name + " is not a setting the code reads");
                }
            }
        }
        Repo.noProblems("docker-compose.yml environment", problems);
    }

    @Test
    void theApiNeedsTokensAndTheAdminTokenComesFromTheEnvironment() {
        Map<String, String> overseer = env(service("overseer"));
        assertTrue(CodeFacts.authOnByDefault(), "AuthConfig: PW_AUTH defaults to on");
        assertEquals("on", overseer.getOrDefault("PW_AUTH", "on"), "docker-compose.yml must not switch authentication off");
        String admin = overseer.get("PW_ADMIN_TOKEN");
        assertNotNull(admin, "the overseer needs PW_ADMIN_TOKEN: without it nobody can make the first token");
        assertTrue(admin.matches("\\$\\{PW_ADMIN_TOKEN:\\?.+}"), "PW_ADMIN_TOKEN must come from the environment, required: " + admin);
        assertTrue(env(service("cli")).getOrDefault("PW_TOKEN", "").startsWith("${PW_TOKEN"), "the cli service passes PW_TOKEN through");
    }

    @Test
    void prometheusCanScrapeTheOverseerWithoutATokenOrHasOne() {
        boolean open = Boolean.parseBoolean(env(service("overseer")).getOrDefault("PW_METRICS_PUBLIC",
                Boolean.toString(CodeFacts.metricsPublicByDefault())));
        JsonNode job = null;
        for (JsonNode j : Repo.yaml("deploy/prometheus/prometheus.yml").path("scrape_configs")) {
            if ("overseer".equals(Repo.text(j.get("job_name")))) {
                job = j;
            }
        }
        assertNotNull(job, "scrape job overseer");
        assertTrue(open || job.has("authorization"),
                "PW_METRICS_PUBLIC is false, so the overseer scrape job needs an authorization (a read token)");
    }

    @Test
    void namespaceAndShardsAreTheSameForEveryProcess() {
        Map<String, String> seen = new LinkedHashMap<>();
        for (String name : List.of("overseer", "worker")) {
            Map<String, String> env = env(service(name));
            for (String key : List.of("PW_NAMESPACE", "PW_SHARDS", "PW_QUEUE_TYPE")) {
                String v = env.getOrDefault(key, "(default)");
                String before = seen.putIfAbsent(key, v);
                assertTrue(before == null || before.equals(v), key + " differs between services: " + before + " vs " + v);
            }
        }
    }

    @Test
    void prometheusScrapesEveryOverseerAndEveryWorker() {
        JsonNode prom = service("prometheus");
        assertTrue(mounts(prom).containsKey("./deploy/prometheus"), "prometheus mounts ./deploy/prometheus");
        assertTrue(mounts(prom).get("./deploy/prometheus").startsWith("/etc/prometheus"), "at /etc/prometheus");
        assertTrue(strings(prom.get("command")).contains("--config.file=/etc/prometheus/prometheus.yml"));

        JsonNode config = Repo.yaml("deploy/prometheus/prometheus.yml");
        Map<String, JsonNode> jobs = new LinkedHashMap<>();
        for (JsonNode job : config.path("scrape_configs")) {
            jobs.put(Repo.text(job.get("job_name")), job);
        }
        JsonNode overseer = jobs.get("overseer");
        assertNotNull(overseer, "scrape job overseer");
        assertEquals("/metrics", overseer.path("metrics_path").asText("/metrics"));
        assertTrue(CodeFacts.overseerPaths().contains("/metrics"), "HttpApi serves /metrics");
        // every overseer replica, not the proxy: each reports its own shards
        JsonNode overseerDns = overseer.path("dns_sd_configs").path(0);
        assertEquals(List.of("overseer"), strings(overseerDns.get("names")), "DNS discovery of every replica of the overseer service");
        assertEquals("A", overseerDns.path("type").asText());
        assertEquals(CodeFacts.overseerHttpPort(), overseerDns.path("port").asInt());
        assertFalse(overseer.has("static_configs"), "a static overseer target would be one replica (or the proxy)");

        JsonNode worker = jobs.get("worker");
        assertNotNull(worker, "scrape job worker");
        assertEquals("/metrics", worker.path("metrics_path").asText("/metrics"));
        assertTrue(CodeFacts.workerPaths().contains("/metrics"), "WorkerMain serves /metrics");
        JsonNode dns = worker.path("dns_sd_configs").path(0);
        assertEquals(List.of("worker"), strings(dns.get("names")), "DNS discovery of every replica of the worker service");
        assertEquals("A", dns.path("type").asText());
        assertEquals(CodeFacts.workerMetricsPort(), dns.path("port").asInt());

        for (JsonNode rules : config.path("rule_files")) {
            assertTrue(Files.isRegularFile(Repo.path("deploy/prometheus").resolve(rules.asText())),
                    "rule file " + rules.asText() + " exists next to prometheus.yml");
        }
        assertFalse(config.path("rule_files").isEmpty(), "prometheus.yml loads the alert rules");
    }

    @Test
    void prometheusScrapesRabbitMqThroughItsPluginAndRedisThroughAnExporter() {
        Map<String, JsonNode> jobs = new LinkedHashMap<>();
        for (JsonNode job : Repo.yaml("deploy/prometheus/prometheus.yml").path("scrape_configs")) {
            jobs.put(Repo.text(job.get("job_name")), job);
        }
        // RabbitMQ: the rabbitmq_prometheus plugin serves :15692/metrics
        JsonNode rabbit = service("rabbitmq");
        String plugins = mounts(rabbit).entrySet().stream().filter(e -> stripMode(e.getValue()).equals("/etc/rabbitmq/enabled_plugins"))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        assertNotNull(plugins, "rabbitmq mounts an enabled_plugins file at /etc/rabbitmq/enabled_plugins");
        String enabled = Repo.read(plugins.replaceFirst("^\\./", ""));
        assertTrue(enabled.trim().matches("\\[[a-z_,\\s]+]\\.") , "enabled_plugins is an Erlang list term: " + enabled);
        for (String plugin : List.of("rabbitmq_prometheus", "rabbitmq_management")) {
            assertTrue(enabled.contains(plugin), plugins + " enables " + plugin + ": " + enabled);
        }
        assertTrue(strings(rabbit.get("expose")).contains("15692"), "rabbitmq exposes the plugin's port 15692");
        JsonNode rabbitJob = jobs.get("rabbitmq");
        assertNotNull(rabbitJob, "scrape job rabbitmq");
        assertEquals(List.of("rabbitmq:15692"), strings(rabbitJob.path("static_configs").path(0).get("targets")));
        assertEquals("/metrics", rabbitJob.path("metrics_path").asText("/metrics"));

        // Redis: redis_exporter on :9121, pointed at the compose redis service
        JsonNode exporter = service("redis-exporter");
        assertTrue(Repo.text(exporter.get("image")).matches("oliver006/redis_exporter:v\\d+\\.\\d+\\.\\d+"),
                "a pinned oliver006/redis_exporter image: " + Repo.text(exporter.get("image")));
        URI addr = URI.create(env(exporter).getOrDefault("REDIS_ADDR", ""));
        assertEquals("redis", addr.getHost(), "REDIS_ADDR names the redis service: " + addr);
        assertEquals(6379, addr.getPort(), "REDIS_ADDR port: " + addr);
        assertEquals("service_healthy", Repo.text(exporter.path("depends_on").path("redis").get("condition")));
        assertTrue(strings(exporter.get("expose")).contains("9121"), "redis-exporter exposes 9121");
        JsonNode redisJob = jobs.get("redis");
        assertNotNull(redisJob, "scrape job redis");
        assertEquals(List.of("redis-exporter:9121"), strings(redisJob.path("static_configs").path(0).get("targets")));
        assertEquals("/metrics", redisJob.path("metrics_path").asText("/metrics"));
    }

    @Test
    void grafanaIsProvisionedWithTheDatasourceAndTheDashboard() {
        JsonNode grafana = service("grafana");
        Map<String, String> mounts = mounts(grafana);
        assertEquals("/etc/grafana/provisioning", stripMode(mounts.get("./deploy/grafana/provisioning")));
        String dashboardsDir = stripMode(mounts.get("./deploy/grafana/dashboards"));
        assertNotNull(dashboardsDir, "grafana mounts ./deploy/grafana/dashboards");

        JsonNode ds = Repo.yaml("deploy/grafana/provisioning/datasources/prometheus.yml").path("datasources").path(0);
        assertEquals("prometheus", ds.path("type").asText());
        assertEquals("http://prometheus:9090", ds.path("url").asText());
        JsonNode provider = Repo.yaml("deploy/grafana/provisioning/dashboards/dashboards.yml").path("providers").path(0);
        assertEquals("file", provider.path("type").asText());
        assertEquals(dashboardsDir, provider.path("options").path("path").asText(),
                "the dashboard provider reads the directory compose mounts the dashboards at");
        String home = env(grafana).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        if (home != null) {
            String file = home.substring(home.lastIndexOf('/') + 1);
            assertTrue(home.startsWith(dashboardsDir + "/") && Files.isRegularFile(Repo.path("deploy/grafana/dashboards/" + file)),
                    "home dashboard " + home);
        }
    }

    // ---------------------------------------------------------------------------------------------

    private JsonNode service(String name) {
        JsonNode s = services.get(name);
        if (s == null) {
            fail("docker-compose.yml has no service " + name);
        }
        return s;
    }

    /** environment as a map, from either the mapping or the list (`- NAME=value`) form. */
    static Map<String, String> env(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = service.path("environment");
        if (e.isObject()) {
            e.fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
        } else if (e.isArray()) {
            for (JsonNode item : e) {
                String[] kv = item.asText().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return env;
    }

    /** Short-syntax volumes as source -> target[:mode]. */
    private static Map<String, String> mounts(JsonNode service) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String v : strings(service.get("volumes"))) {
            String[] parts = v.split(":", 2);
            out.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        return out;
    }

    private static String stripMode(String target) {
        return target == null ? null : target.replaceAll(":(ro|rw)$", "");
    }

    static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else if (node != null && node.isValueNode()) {
            out.add(node.asText());
        }
        return out;
    }

    private static String commandLine(JsonNode command) {
        return String.join(" ", strings(command));
    }

    private static String healthTest(JsonNode service) {
        List<String> test = strings(service.path("healthcheck").get("test"));
        assertFalse(test.isEmpty(), "no healthcheck");
        return String.join(" ", test);
    }
}
