package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** deploy/k8s: the kustomization's objects exist, parse, hang together and agree with the code. */
class KubernetesTest {
    static final Path K8S = Repo.path("deploy/k8s");
    static final List<JsonNode> OBJECTS = new ArrayList<>();
    static JsonNode kustomization;

    @BeforeAll
    static void load() {
        kustomization = Repo.yaml("deploy/k8s/kustomization.yaml");
        List<String> missing = new ArrayList<>();
        for (JsonNode r : kustomization.path("resources")) {
            Path file = K8S.resolve(r.asText());
            if (!Files.isRegularFile(file)) {
                missing.add(r.asText());
                continue;
            }
            for (JsonNode doc : Repo.yamlDocuments(file)) {
                if (!doc.hasNonNull("apiVersion") || !doc.hasNonNull("kind") || !doc.path("metadata").hasNonNull("name")) {
                    missing.add(r.asText() + ": an object without apiVersion, kind or metadata.name");
                }
                OBJECTS.add(doc);
            }
        }
        Repo.noProblems("kustomization.yaml resources", missing);
    }

    @Test
    void kustomizationListsResourcesAndGeneratorFilesThatExist() {
        assertFalse(kustomization.path("resources").isEmpty(), "no resources");
        for (JsonNode gen : kustomization.path("configMapGenerator")) {
            for (JsonNode f : gen.path("files")) {
                String file = f.asText().contains("=") ? f.asText().split("=", 2)[1] : f.asText();
                assertTrue(Files.isRegularFile(K8S.resolve(file)), "configMapGenerator file " + file);
                Repo.yamlDocuments(K8S.resolve(file));
            }
        }
        Set<String> kinds = new LinkedHashSet<>();
        OBJECTS.forEach(o -> kinds.add(o.get("kind").asText()));
        for (String kind : List.of("Namespace", "Secret", "Deployment", "Service", "PersistentVolumeClaim",
                "ScaledObject", "TriggerAuthentication", "PodDisruptionBudget")) {
            assertTrue(kinds.contains(kind), "no " + kind + " among the resources (" + kinds + ")");
        }
        String ns = Repo.text(kustomization.get("namespace"));
        assertTrue(named("Namespace", ns) != null, "the kustomization's namespace " + ns + " is created by namespace.yaml");
    }

    @Test
    void everyDeploymentHasProbesResourcesAndANonRootSecurityContext() {
        List<String> problems = new ArrayList<>();
        List<JsonNode> deployments = ofKind("Deployment");
        assertTrue(deployments.size() >= 2, "expected an overseer and a worker Deployment");
        for (JsonNode d : deployments) {
            String name = d.path("metadata").path("name").asText();
            JsonNode pod = d.path("spec").path("template").path("spec");
            JsonNode podSec = pod.path("securityContext");
            if (!podSec.path("runAsNonRoot").asBoolean(false)) {
                problems.add(name + ": pod securityContext.runAsNonRoot must be true");
            }
            if (podSec.path("runAsUser").asInt(-1) != 10001) {
                problems.add(name + ": pod securityContext.runAsUser must be 10001 (the images' user)");
            }
            if (!d.path("spec").path("selector").path("matchLabels").isObject()) {
                problems.add(name + ": no selector.matchLabels");
            }
            Set<String> emptyDirs = new LinkedHashSet<>();
            for (JsonNode v : pod.path("volumes")) {
                if (v.has("emptyDir")) {
                    emptyDirs.add(v.path("name").asText());
                }
            }
            for (JsonNode c : pod.path("containers")) {
                String where = name + "/" + c.path("name").asText();
                for (String probe : List.of("livenessProbe", "readinessProbe")) {
                    if (!c.path(probe).path("httpGet").hasNonNull("path")) {
                        problems.add(where + ": no " + probe + " (httpGet)");
                    }
                }
                for (String part : List.of("requests", "limits")) {
                    JsonNode r = c.path("resources").path(part);
                    if (!r.hasNonNull("cpu") || !r.hasNonNull("memory")) {
                        problems.add(where + ": resources." + part + " needs cpu and memory");
                    }
                }
                JsonNode sec = c.path("securityContext");
                if (sec.path("runAsNonRoot").isBoolean() && !sec.path("runAsNonRoot").asBoolean()) {
                    problems.add(where + ": container runAsNonRoot is false");
                }
                if (sec.path("allowPrivilegeEscalation").asBoolean(true)) {
                    problems.add(where + ": allowPrivilegeEscalation must be false");
                }
                if (sec.path("readOnlyRootFilesystem").asBoolean(false)) {
                    boolean tmp = false;
                    for (JsonNode m : c.path("volumeMounts")) {
                        tmp |= m.path("mountPath").asText().equals("/tmp") && emptyDirs.contains(m.path("name").asText());
                    }
                    if (!tmp) {
                        problems.add(where + ": a read-only root file system needs an emptyDir at /tmp (JVM, exec runner)");
                    }
                } else {
                    problems.add(where + ": readOnlyRootFilesystem should be true");
                }
            }
        }
        Repo.noProblems("Deployments", problems);
    }

    @Test
    void overseerProbesAndPortMatchTheHttpApi() {
        JsonNode c = container("pipewright-overseer");
        int port = CodeFacts.overseerHttpPort();
        Set<String> served = CodeFacts.overseerPaths();
        Map<String, String> env = env(c);
        assertEquals(Integer.toString(port), env.getOrDefault("PW_HTTP_PORT", Integer.toString(port)));
        assertEquals(port, containerPort(c, c.path("ports").path(0).path("name").asText()));
        assertProbe(c, "livenessProbe", "/health", port, served);
        assertProbe(c, "readinessProbe", "/ready", port, served);
        if (c.has("startupProbe")) {
            assertProbe(c, "startupProbe", "/health", port, served);
        }
        assertEquals("/data", env.get("PW_DATA_DIR"));
        JsonNode pod = deployment("pipewright-overseer").path("spec").path("template").path("spec");
        String claim = null;
        String dataVolume = mountVolume(c, "/data");
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(dataVolume)) {
                claim = Repo.text(v.path("persistentVolumeClaim").get("claimName"));
            }
        }
        assertNotNull(claim, "the overseer's /data should be a PersistentVolumeClaim");
        assertNotNull(named("PersistentVolumeClaim", claim), "PVC " + claim + " is among the resources");

        JsonNode svc = named("Service", "pipewright-overseer");
        assertNotNull(svc, "Service pipewright-overseer");
        assertEquals(port, svc.path("spec").path("ports").path(0).path("port").asInt());
        assertSelects(svc.path("spec").path("selector"), deployment("pipewright-overseer"), "Service pipewright-overseer");
    }

    @Test
    void severalOverseersRollWithoutAnOutageEachWithItsOwnInstanceId() {
        JsonNode d = deployment("pipewright-overseer");
        JsonNode spec = d.path("spec");
        int replicas = spec.path("replicas").asInt(1);
        assertTrue(replicas >= 2, "two or more overseers (they share the shards through leases), not " + replicas);
        JsonNode strategy = spec.path("strategy");
        assertEquals("RollingUpdate", strategy.path("type").asText("RollingUpdate"),
                "overseers hand their shards over, so a rollout may run old and new side by side (no Recreate)");
        assertEquals("0", strategy.path("rollingUpdate").path("maxUnavailable").asText(),
                "maxUnavailable 0: a new overseer is ready before an old one stops");
        assertFalse(strategy.path("rollingUpdate").path("maxSurge").asText("0").matches("0%?"), "maxSurge above 0");

        // two live overseers must have different ids: the pod name is unique among live pods
        JsonNode c = container("pipewright-overseer");
        JsonNode id = null;
        for (JsonNode e : c.path("env")) {
            if ("PW_INSTANCE_ID".equals(e.path("name").asText())) {
                id = e;
            }
        }
        assertNotNull(id, "PW_INSTANCE_ID is set from the pod (the default, the host name, is the pod name too, but say so)");
        assertFalse(id.has("value"), "a literal PW_INSTANCE_ID is one id for every replica: they would fence each other off");
        assertEquals("metadata.name", id.path("valueFrom").path("fieldRef").path("fieldPath").asText(),
                "PW_INSTANCE_ID from the pod's name (downward API)");

        JsonNode pod = spec.path("template").path("spec");
        long grace = pod.path("terminationGracePeriodSeconds").asLong(30);
        long preStop = 0;
        List<String> preStopCommand = new ArrayList<>();
        c.path("lifecycle").path("preStop").path("exec").path("command").forEach(a -> preStopCommand.add(a.asText()));
        if (preStopCommand.size() == 2 && preStopCommand.get(0).equals("sleep")) {
            preStop = Long.parseLong(preStopCommand.get(1));
        }
        assertTrue(grace >= preStop + 20, "terminationGracePeriodSeconds " + grace + " leaves the preStop " + preStop
                + "s and the hand-over (closing the API, stopping the shards, giving the leases up) their time");

        // spread over nodes, preferred (a one-node cluster still runs them)
        boolean spread = false;
        for (JsonNode t : pod.path("topologySpreadConstraints")) {
            if (t.path("topologyKey").asText().equals("kubernetes.io/hostname")) {
                assertEquals("ScheduleAnyway", t.path("whenUnsatisfiable").asText(), "spreading is a preference");
                assertTrue(selects(t.path("labelSelector").path("matchLabels"), d), "the spread counts the overseer pods");
                spread = true;
            }
        }
        for (JsonNode t : pod.path("affinity").path("podAntiAffinity").path("preferredDuringSchedulingIgnoredDuringExecution")) {
            JsonNode term = t.path("podAffinityTerm");
            spread |= term.path("topologyKey").asText().equals("kubernetes.io/hostname")
                    && selects(term.path("labelSelector").path("matchLabels"), d);
        }
        assertFalse(pod.path("affinity").path("podAntiAffinity").has("requiredDuringSchedulingIgnoredDuringExecution"),
                "a required anti-affinity leaves replicas Pending on small clusters and blocks maxSurge on two nodes");
        assertTrue(spread, "the overseer replicas are spread over nodes (topologySpreadConstraints or a preferred podAntiAffinity)");
    }

    @Test
    void everyOverseerReplicaMountsTheOneDataStoreSoItIsReadWriteMany() {
        JsonNode c = container("pipewright-overseer");
        String volume = mountVolume(c, "/data");
        JsonNode pod = deployment("pipewright-overseer").path("spec").path("template").path("spec");
        String claim = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(volume)) {
                claim = Repo.text(v.path("persistentVolumeClaim").get("claimName"));
            }
        }
        JsonNode pvc = named("PersistentVolumeClaim", claim);
        assertNotNull(pvc, "PVC " + claim);
        List<String> modes = new ArrayList<>();
        pvc.path("spec").path("accessModes").forEach(m -> modes.add(m.asText()));
        assertEquals(List.of("ReadWriteMany"), modes,
                "overseer replicas on different nodes mount " + claim + " at once: ReadWriteOnce would keep all but one Pending");
        String text = Repo.read("deploy/k8s/data-pvc.yaml");
        assertTrue(text.contains("ReadWriteMany") && text.contains("storageClassName"),
                "data-pvc.yaml says which storage class it needs");
    }

    @Test
    void theOverseerDisruptionBudgetKeepsOneServingAndStillLetsDrainsThrough() {
        JsonNode d = deployment("pipewright-overseer");
        int replicas = d.path("spec").path("replicas").asInt(1);
        JsonNode pdb = ofKind("PodDisruptionBudget").stream()
                .filter(p -> selects(p.path("spec").path("selector").path("matchLabels"), d)).findFirst().orElse(null);
        assertNotNull(pdb, "a PodDisruptionBudget selects the overseers");
        JsonNode min = pdb.path("spec").path("minAvailable");
        assertTrue(min.isInt(), "minAvailable as a number of overseers: " + min);
        assertTrue(min.asInt() >= 1, "at least one overseer stays up through a drain");
        assertTrue(min.asInt() < replicas, "minAvailable " + min.asInt() + " below replicas " + replicas + ", or no drain could ever evict one");
    }

    @Test
    void workerProbesUseTheMetricsServerAndItsGraceOutlastsTheShutdownGrace() {
        JsonNode d = deployment("pipewright-worker-default");
        JsonNode c = container("pipewright-worker-default");
        int port = CodeFacts.workerMetricsPort();
        Map<String, String> env = env(c);
        assertEquals(Integer.toString(port), env.get("PW_METRICS_PORT"));
        Set<String> served = CodeFacts.workerPaths();
        // liveness: the process answers; readiness: Redis and RabbitMQ connected, consumers running;
        // start-up: the process is up (it exits by itself when it cannot connect within PW_CONNECT_TIMEOUT)
        assertProbe(c, "livenessProbe", "/health", port, served);
        assertProbe(c, "readinessProbe", "/ready", port, served);
        if (c.has("startupProbe")) {
            assertProbe(c, "startupProbe", "/health", port, served);
        }

        Duration grace = env.containsKey("PW_SHUTDOWN_GRACE") ? CodeFacts.duration(env.get("PW_SHUTDOWN_GRACE"))
                : CodeFacts.workerShutdownGrace();
        long termination = d.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong(30);
        assertTrue(termination > grace.toSeconds() + 5,
                "terminationGracePeriodSeconds " + termination + " must outlast PW_SHUTDOWN_GRACE " + grace);

        assertFalse(d.path("spec").has("replicas"), "KEDA owns the worker replica count; leave replicas out");
        assertEquals("default", env.get("PW_POOLS"));
    }

    @Test
    void workersReadTheProcessorRegistryFromTheGeneratedConfigMap() {
        JsonNode c = container("pipewright-worker-default");
        String file = env(c).get("PW_PROCESSORS");
        assertNotNull(file, "PW_PROCESSORS");
        String dir = file.substring(0, file.lastIndexOf('/'));
        String fileName = file.substring(file.lastIndexOf('/') + 1);
        String volume = mountVolume(c, dir);
        assertNotNull(volume, "nothing is mounted at " + dir);
        JsonNode pod = deployment("pipewright-worker-default").path("spec").path("template").path("spec");
        String configMap = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(volume)) {
                configMap = Repo.text(v.path("configMap").get("name"));
            }
        }
        assertNotNull(configMap, "the volume at " + dir + " should be a ConfigMap");
        boolean generated = false;
        for (JsonNode gen : kustomization.path("configMapGenerator")) {
            if (gen.path("name").asText().equals(configMap)) {
                for (JsonNode f : gen.path("files")) {
                    generated |= f.asText().equals(fileName) || f.asText().startsWith(fileName + "=");
                }
            }
        }
        assertTrue(generated || named("ConfigMap", configMap) != null,
                "ConfigMap " + configMap + " with key " + fileName + " is generated or listed in the kustomization");
    }

    @Test
    void theKubernetesProcessorRegistryRunsTheModulesBakedIntoTheWorkerImage() {
        JsonNode examples = Repo.yaml("examples/processors.yaml").path("processors");
        JsonNode k8s = Repo.yaml("deploy/k8s/processors.yaml").path("processors");
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = examples.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!k8s.has(name)) {
                problems.add("processor " + name + " of examples/processors.yaml is missing");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = k8s.fields(); it.hasNext(); ) {
            var e = it.next();
            String workdir = e.getValue().path("workdir").asText("");
            if (!workdir.startsWith("/app/examples")) {
                problems.add(e.getKey() + ": workdir should be under /app/examples (where the image has examples/), is '" + workdir + "'");
                continue;
            }
            Path local = Repo.path("examples" + workdir.substring("/app/examples".length()));
            for (JsonNode arg : e.getValue().path("command")) {
                String a = arg.asText();
                if (a.endsWith(".py") && !Files.isRegularFile(local.resolve(a))) {
                    problems.add(e.getKey() + ": " + a + " does not exist under " + Repo.ROOT.relativize(local));
                }
            }
            if (examples.has(e.getKey()) && !examples.get(e.getKey()).path("command").equals(e.getValue().path("command"))) {
                problems.add(e.getKey() + ": command differs from examples/processors.yaml");
            }
        }
        Repo.noProblems("deploy/k8s/processors.yaml", problems);
    }

    @Test
    void kedaScalesTheWorkersOnTheirPoolQueue() {
        JsonNode so = ofKind("ScaledObject").get(0);
        String target = so.path("spec").path("scaleTargetRef").path("name").asText();
        JsonNode c = container(target);
        Map<String, String> env = env(c);
        String namespace = env.getOrDefault("PW_NAMESPACE", CodeFacts.defaultNamespace());
        String pool = env.get("PW_POOLS");
        assertFalse(pool.contains(","), "one ScaledObject per pool: the worker Deployment should consume one pool");
        String queue = CodeFacts.poolQueue(namespace, pool);
        assertEquals("pw.pool.default", queue);

        assertTrue(so.path("spec").path("minReplicaCount").asInt(0) >= 1,
                "minReplicaCount >= 1: a new installation refuses jobs until a worker has announced its processors");
        JsonNode triggers = so.path("spec").path("triggers");
        java.util.List<String> queues = new java.util.ArrayList<>();
        triggers.forEach(t -> queues.add(t.path("metadata").path("queueName").asText()));
        assertEquals(java.util.List.of(queue, CodeFacts.poolQueue(namespace, pool + ":high"), CodeFacts.poolQueue(namespace, pool + ":low")),
                queues, "one KEDA trigger per priority queue of the pool");
        JsonNode trigger = triggers.path(0);
        assertEquals("rabbitmq", trigger.path("type").asText());
        assertEquals(queue, trigger.path("metadata").path("queueName").asText(), "KEDA queueName");
        assertEquals("QueueLength", trigger.path("metadata").path("mode").asText());
        assertTrue(trigger.path("metadata").path("value").isTextual(), "KEDA metadata values are strings");

        String authName = trigger.path("authenticationRef").path("name").asText();
        JsonNode auth = named("TriggerAuthentication", authName);
        assertNotNull(auth, "TriggerAuthentication " + authName);
        JsonNode ref = auth.path("spec").path("secretTargetRef").path(0);
        assertEquals("host", ref.path("parameter").asText());
        assertSecretKey(ref.path("name").asText(), ref.path("key").asText(), "TriggerAuthentication " + authName);
    }

    @Test
    void envNamesAreSettingsTheCodeReadsAndSecretsExist() {
        Set<String> known = CodeFacts.envNames();
        List<String> problems = new ArrayList<>();
        for (JsonNode d : ofKind("Deployment")) {
            for (JsonNode c : d.path("spec").path("template").path("spec").path("containers")) {
                for (JsonNode e : c.path("env")) {
                    String name = e.path("name").asText();
                    if (name.startsWith("PW_") && !known.contains(name)) {
                        problems.add(d.path("metadata").path("name").asText() + ": " + name + " is not a setting the code reads");
                    }
                    JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                    if (!ref.isMissingNode()) {
                        JsonNode secret = named("Secret", ref.path("name").asText());
                        if (secret == null || !(secret.path("stringData").has(ref.path("key").asText())
                                || secret.path("data").has(ref.path("key").asText()))) {
                            problems.add(name + ": no Secret " + ref.path("name").asText() + " with key " + ref.path("key").asText());
                        }
                    }
                }
            }
        }
        for (JsonNode s : ofKind("Secret")) {
            for (Iterator<String> it = s.path("stringData").fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (key.startsWith("PW_") && !known.contains(key)) {
                    problems.add("Secret key " + key + " is not a setting the code reads");
                }
            }
        }
        Repo.noProblems("Kubernetes env", problems);
    }

    @Test
    void theOverseerNeedsTokensWithItsAdminTokenFromASecretAndKeepsMetricsOpenForScraping() {
        JsonNode c = container("pipewright-overseer");
        JsonNode admin = null;
        for (JsonNode e : c.path("env")) {
            if ("PW_ADMIN_TOKEN".equals(e.path("name").asText())) {
                admin = e;
            }
        }
        assertNotNull(admin, "the overseer needs PW_ADMIN_TOKEN");
        assertFalse(admin.has("value"), "PW_ADMIN_TOKEN must come from a Secret, not a literal value");
        assertFalse(admin.path("valueFrom").path("secretKeyRef").isMissingNode(), "PW_ADMIN_TOKEN from a secretKeyRef");
        Map<String, String> env = env(c);
        assertTrue(CodeFacts.authOnByDefault());
        assertEquals("on", env.getOrDefault("PW_AUTH", "on"), "the manifests must not switch authentication off");
        // the pod annotations and the PodMonitor scrape without credentials
        assertTrue(Boolean.parseBoolean(env.getOrDefault("PW_METRICS_PUBLIC", Boolean.toString(CodeFacts.metricsPublicByDefault()))),
                "the scrape configuration sends no token, so /metrics must stay public");
    }

    @Test
    void disruptionBudgetsCoverTheOverseerAndTheWorkers() {
        List<JsonNode> pdbs = ofKind("PodDisruptionBudget");
        for (String deployment : List.of("pipewright-overseer", "pipewright-worker-default")) {
            JsonNode d = deployment(deployment);
            boolean covered = false;
            for (JsonNode pdb : pdbs) {
                JsonNode sel = pdb.path("spec").path("selector").path("matchLabels");
                covered |= selects(sel, d);
            }
            assertTrue(covered, "no PodDisruptionBudget selects " + deployment + "'s pods");
        }
    }

    // ---------------------------------------------------------------------------------------------

    static List<JsonNode> ofKind(String kind) {
        return OBJECTS.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    static JsonNode named(String kind, String name) {
        return ofKind(kind).stream().filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst().orElse(null);
    }

    private static JsonNode deployment(String name) {
        JsonNode d = named("Deployment", name);
        if (d == null) {
            fail("no Deployment " + name + " among the kustomization's resources");
        }
        return d;
    }

    private static JsonNode container(String deployment) {
        return deployment(deployment).path("spec").path("template").path("spec").path("containers").path(0);
    }

    private static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            }
        }
        return env;
    }

    private static int containerPort(JsonNode container, String portRef) {
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(portRef) || p.path("containerPort").asText().equals(portRef)) {
                return p.path("containerPort").asInt();
            }
        }
        return fail(container.path("name").asText() + ": no container port " + portRef);
    }

    private static String mountVolume(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(path)) {
                return m.path("name").asText();
            }
        }
        return null;
    }

    private static void assertProbe(JsonNode container, String probe, String path, int port, Set<String> served) {
        JsonNode get = container.path(probe).path("httpGet");
        String where = container.path("name").asText() + " " + probe;
        assertEquals(path, get.path("path").asText(), where + " path");
        assertTrue(served.contains(path), where + ": the code serves " + served + ", not " + path);
        assertEquals(port, containerPort(container, get.path("port").asText()), where + " port");
    }

    private static void assertSecretKey(String secret, String key, String who) {
        JsonNode s = named("Secret", secret);
        assertNotNull(s, who + " refers to Secret " + secret + ", which is not among the resources");
        assertTrue(s.path("stringData").has(key) || s.path("data").has(key), who + ": Secret " + secret + " has no key " + key);
    }

    private static boolean selects(JsonNode matchLabels, JsonNode deployment) {
        JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
        if (!matchLabels.isObject() || matchLabels.isEmpty()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = matchLabels.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    private static void assertSelects(JsonNode selector, JsonNode deployment, String who) {
        assertTrue(selects(selector, deployment), who + " does not select the pods of " + deployment.path("metadata").path("name").asText());
    }
}
