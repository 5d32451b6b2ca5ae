package dev.pipewright.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What {@code kubectl kustomize deploy/k8s} renders — the objects Kubernetes would receive, after
 * the namespace, labels, generated (hash-named) ConfigMap and image overrides are applied — is
 * complete and agrees with the code, the compose file and the Dockerfile. Needs kubectl (it
 * carries kustomize); without it the test fails and says how to get it.
 */
class KustomizeRenderTest {
    static final List<JsonNode> OBJECTS = new ArrayList<>();
    static String namespace;

    /** kubectl from $KUBECTL, the PATH, or the usual places. */
    static Path kubectl() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("KUBECTL");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank()) {
                candidates.add(Path.of(dir, "kubectl"));
            }
        }
        candidates.add(Path.of("/usr/bin/kubectl"));
        candidates.add(Path.of("/usr/local/bin/kubectl"));
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("kubectl is not installed, and this test renders deploy/k8s with `kubectl kustomize`. Install kubectl"
                + " (https://kubernetes.io/docs/tasks/tools/#kubectl: e.g. `curl -LO https://dl.k8s.io/release/v1.32.0/bin/linux/amd64/kubectl"
                + " && install kubectl /usr/local/bin/`, or the kubectl package of the Kubernetes apt repository) or set KUBECTL"
                + " to its path; looked in " + candidates);
    }

    @BeforeAll
    static void render() throws Exception {
        Path kubectl = kubectl();
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", Repo.path("deploy/k8s").toString())
                .redirectErrorStream(false).start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(kubectl + " kustomize deploy/k8s did not finish within 120 s");
        }
        String stdout = new String(out.get(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(kubectl + " kustomize deploy/k8s failed (exit " + p.exitValue() + "): " + new String(err.get(), StandardCharsets.UTF_8));
        }
        try (MappingIterator<JsonNode> it = Repo.YAML.readerFor(JsonNode.class).readValues(stdout)) {
            while (it.hasNextValue()) {
                JsonNode doc = it.nextValue();
                if (doc != null && doc.isObject()) {
                    OBJECTS.add(doc);
                }
            }
        }
        assertFalse(OBJECTS.isEmpty(), "kubectl kustomize rendered nothing");
        namespace = Repo.text(Repo.yaml("deploy/k8s/kustomization.yaml").get("namespace"));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void everyKindIsRenderedInTheNamespace() {
        Set<String> kinds = new LinkedHashSet<>();
        OBJECTS.forEach(o -> kinds.add(o.path("kind").asText()));
        for (String kind : List.of("Namespace", "Secret", "ConfigMap", "Deployment", "Service", "PersistentVolumeClaim",
                "ScaledObject", "TriggerAuthentication", "PodDisruptionBudget")) {
            assertTrue(kinds.contains(kind), "kustomize rendered no " + kind + " (" + kinds + ")");
        }
        assertNotNull(named("Namespace", namespace), "the namespace " + namespace + " itself");
        List<String> problems = new ArrayList<>();
        for (JsonNode o : OBJECTS) {
            String kind = o.path("kind").asText();
            if (!kind.equals("Namespace") && !namespace.equals(o.path("metadata").path("namespace").asText())) {
                problems.add(kind + " " + name(o) + " is not in namespace " + namespace);
            }
            if (!"pipewright".equals(o.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText())) {
                problems.add(kind + " " + name(o) + " lacks the label app.kubernetes.io/part-of: pipewright");
            }
        }
        Repo.noProblems("rendered objects", problems);
    }

    @Test
    void theOverseerHasADeploymentAndAServiceWithItsProbes() {
        JsonNode d = deployment("overseer").get(0);
        JsonNode c = container(d);
        int port = CodeFacts.overseerHttpPort();
        assertEquals(Integer.toString(port), env(c).getOrDefault("PW_HTTP_PORT", Integer.toString(port)));
        Set<String> served = CodeFacts.overseerPaths();
        probe(c, "livenessProbe", "/health", port, served);
        probe(c, "readinessProbe", "/ready", port, served);
        if (c.has("startupProbe")) {
            probe(c, "startupProbe", "/health", port, served);
        }
        List<JsonNode> services = OBJECTS.stream().filter(o -> o.path("kind").asText().equals("Service")
                && selects(o.path("spec").path("selector"), d)).toList();
        assertEquals(1, services.size(), "one Service selects the overseer's pods");
        JsonNode svcPort = services.get(0).path("spec").path("ports").path(0);
        String target = svcPort.path("targetPort").asText(svcPort.path("port").asText());
        assertEquals(port, containerPort(c, target), "the Service sends to the API port");
    }

    @Test
    void theOverseersAreSeveralReplicasWithPodNamedIdsBehindOneServiceAndABudget() {
        List<JsonNode> overseers = deployment("overseer");
        assertEquals(1, overseers.size(), "one overseer Deployment");
        JsonNode d = overseers.get(0);
        assertTrue(d.path("spec").path("replicas").asInt(1) >= 2, "two or more overseer replicas");
        assertEquals("RollingUpdate", d.path("spec").path("strategy").path("type").asText());
        boolean idFromPod = false;
        for (JsonNode e : container(d).path("env")) {
            idFromPod |= e.path("name").asText().equals("PW_INSTANCE_ID")
                    && e.path("valueFrom").path("fieldRef").path("fieldPath").asText().equals("metadata.name");
        }
        assertTrue(idFromPod, "PW_INSTANCE_ID from metadata.name, so every replica has its own");
        String claim = null;
        for (JsonNode v : d.path("spec").path("template").path("spec").path("volumes")) {
            claim = v.has("persistentVolumeClaim") ? v.path("persistentVolumeClaim").path("claimName").asText() : claim;
        }
        JsonNode pvc = named("PersistentVolumeClaim", claim);
        assertNotNull(pvc, "the rendered PVC " + claim);
        assertEquals("ReadWriteMany", pvc.path("spec").path("accessModes").path(0).asText(), "every overseer replica mounts it");
        List<JsonNode> budgets = ofKind("PodDisruptionBudget").stream()
                .filter(p -> selects(p.path("spec").path("selector").path("matchLabels"), d)).toList();
        assertEquals(1, budgets.size(), "one PodDisruptionBudget for the overseers");
        assertTrue(budgets.get(0).path("spec").path("minAvailable").asInt(0) >= 1, "it keeps an overseer up");
    }

    @Test
    void eachWorkerPoolHasADeploymentAndAScaledObjectOnItsQueues() {
        List<JsonNode> workers = deployment("worker");
        assertFalse(workers.isEmpty(), "no worker Deployment");
        List<String> problems = new ArrayList<>();
        for (JsonNode d : workers) {
            Map<String, String> env = env(container(d));
            String ns = env.getOrDefault("PW_NAMESPACE", CodeFacts.defaultNamespace());
            List<String> pools = List.of(env.getOrDefault("PW_POOLS", "default").split(","));
            List<JsonNode> scalers = OBJECTS.stream().filter(o -> o.path("kind").asText().equals("ScaledObject")
                    && o.path("spec").path("scaleTargetRef").path("name").asText().equals(name(d))).toList();
            if (scalers.size() != 1) {
                problems.add("Deployment " + name(d) + ": " + scalers.size() + " ScaledObjects scale it, expected 1");
                continue;
            }
            JsonNode so = scalers.get(0);
            if (d.path("spec").has("replicas")) {
                problems.add("Deployment " + name(d) + " sets replicas, which KEDA owns");
            }
            Set<String> queues = new LinkedHashSet<>();
            for (JsonNode t : so.path("spec").path("triggers")) {
                if (!"rabbitmq".equals(t.path("type").asText())) {
                    problems.add("ScaledObject " + name(so) + ": trigger of type " + t.path("type").asText());
                }
                queues.add(t.path("metadata").path("queueName").asText());
                JsonNode auth = named("TriggerAuthentication", t.path("authenticationRef").path("name").asText());
                if (auth == null) {
                    problems.add("ScaledObject " + name(so) + ": no TriggerAuthentication " + t.path("authenticationRef").path("name").asText());
                } else {
                    for (JsonNode ref : auth.path("spec").path("secretTargetRef")) {
                        secretKey(ref.path("name").asText(), ref.path("key").asText(), "TriggerAuthentication " + name(auth), problems);
                    }
                }
            }
            Set<String> expected = new LinkedHashSet<>();
            for (String pool : pools) {
                for (String suffix : List.of("", ":high", ":low")) {
                    expected.add(CodeFacts.poolQueue(ns, pool + suffix));
                }
            }
            if (!queues.equals(expected)) {
                problems.add("ScaledObject " + name(so) + " triggers on " + queues + ", the pools " + pools + " have " + expected);
            }
        }
        Repo.noProblems("worker pools", problems);
    }

    @Test
    void workersMountTheGeneratedProcessorRegistryAndOutlastTheirShutdownGrace() {
        List<String> problems = new ArrayList<>();
        for (JsonNode d : deployment("worker")) {
            JsonNode c = container(d);
            Map<String, String> env = env(c);
            int port = env.containsKey("PW_METRICS_PORT") ? Integer.parseInt(env.get("PW_METRICS_PORT")) : CodeFacts.workerMetricsPort();
            Set<String> served = CodeFacts.workerPaths();
            probe(c, "livenessProbe", "/health", port, served);
            probe(c, "readinessProbe", "/ready", port, served);
            if (c.has("startupProbe")) {
                probe(c, "startupProbe", "/health", port, served);
            }
            String file = env.get("PW_PROCESSORS");
            if (file == null) {
                problems.add(name(d) + ": no PW_PROCESSORS");
            } else {
                String dir = file.substring(0, file.lastIndexOf('/'));
                String key = file.substring(file.lastIndexOf('/') + 1);
                String volume = null;
                for (JsonNode m : c.path("volumeMounts")) {
                    if (m.path("mountPath").asText().equals(dir)) {
                        volume = m.path("name").asText();
                    }
                }
                String configMap = null;
                for (JsonNode v : d.path("spec").path("template").path("spec").path("volumes")) {
                    if (v.path("name").asText().equals(volume)) {
                        configMap = Repo.text(v.path("configMap").get("name"));
                    }
                }
                JsonNode cm = configMap == null ? null : named("ConfigMap", configMap);
                if (cm == null) {
                    problems.add(name(d) + ": " + dir + " is not a rendered ConfigMap (volume " + volume + ", ConfigMap " + configMap + ")");
                } else if (!cm.path("data").has(key)) {
                    problems.add("ConfigMap " + configMap + " has no key " + key);
                } else {
                    try {
                        JsonNode registry = Repo.YAML.readTree(cm.path("data").path(key).asText());
                        if (!registry.path("processors").isObject() || registry.path("processors").isEmpty()) {
                            problems.add("ConfigMap " + configMap + ": " + key + " registers no processors");
                        }
                    } catch (IOException e) {
                        problems.add("ConfigMap " + configMap + ": " + key + " is not YAML: " + e.getMessage());
                    }
                }
            }
            Duration grace = env.containsKey("PW_SHUTDOWN_GRACE") ? CodeFacts.duration(env.get("PW_SHUTDOWN_GRACE"))
                    : CodeFacts.workerShutdownGrace();
            long termination = d.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong(30);
            if (termination <= grace.toSeconds()) {
                problems.add(name(d) + ": terminationGracePeriodSeconds " + termination + " must outlast PW_SHUTDOWN_GRACE " + grace);
            }
        }
        Repo.noProblems("worker Deployments", problems);
    }

    @Test
    void everyPodHasResourcesANonRootSecurityContextSecretsThatExistAndADisruptionBudget() {
        List<String> problems = new ArrayList<>();
        for (JsonNode d : ofKind("Deployment")) {
            JsonNode pod = d.path("spec").path("template").path("spec");
            JsonNode podSec = pod.path("securityContext");
            if (!podSec.path("runAsNonRoot").asBoolean(false) || podSec.path("runAsUser").asInt(0) == 0) {
                problems.add(name(d) + ": the pod must run as non-root (runAsNonRoot: true, a runAsUser other than 0)");
            }
            for (JsonNode c : pod.path("containers")) {
                String where = name(d) + "/" + c.path("name").asText();
                for (String part : List.of("requests", "limits")) {
                    JsonNode r = c.path("resources").path(part);
                    if (!r.hasNonNull("cpu") || !r.hasNonNull("memory")) {
                        problems.add(where + ": resources." + part + " needs cpu and memory");
                    }
                }
                JsonNode sec = c.path("securityContext");
                if (sec.path("allowPrivilegeEscalation").asBoolean(true)) {
                    problems.add(where + ": allowPrivilegeEscalation must be false");
                }
                if (!sec.path("readOnlyRootFilesystem").asBoolean(false)) {
                    problems.add(where + ": readOnlyRootFilesystem should be true");
                }
                boolean dropsAll = false;
                for (JsonNode cap : sec.path("capabilities").path("drop")) {
                    dropsAll |= cap.asText().equals("ALL");
                }
                if (!dropsAll) {
                    problems.add(where + ": capabilities.drop should be [ALL]");
                }
                for (JsonNode e : c.path("env")) {
                    JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                    if (!ref.isMissingNode()) {
                        secretKey(ref.path("name").asText(), ref.path("key").asText(), where + " env " + e.path("name").asText(), problems);
                    }
                }
            }
            boolean budget = ofKind("PodDisruptionBudget").stream()
                    .anyMatch(pdb -> selects(pdb.path("spec").path("selector").path("matchLabels"), d));
            if (!budget) {
                problems.add(name(d) + ": no PodDisruptionBudget selects its pods");
            }
        }
        Repo.noProblems("pods", problems);
    }

    @Test
    void theImagesAreTheComposeImagesBuiltFromTheDockerfileTargets() {
        DockerfileReader docker = DockerfileReader.read(DockerfileTest.FILE);
        JsonNode services = Repo.yaml("docker-compose.yml").path("services");
        Set<String> kustomizeNames = new LinkedHashSet<>();
        Repo.yaml("deploy/k8s/kustomization.yaml").path("images").forEach(i -> kustomizeNames.add(i.path("name").asText()));
        List<String> problems = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        for (JsonNode d : ofKind("Deployment")) {
            String component = d.path("spec").path("template").path("metadata").path("labels").path("app.kubernetes.io/component").asText();
            for (JsonNode c : d.path("spec").path("template").path("spec").path("containers")) {
                String image = c.path("image").asText();
                String repository = repository(image);
                used.add(repository);
                JsonNode service = services.path(component);
                if (service.isMissingNode()) {
                    problems.add(name(d) + ": no compose service " + component + " to compare its image with");
                    continue;
                }
                String composeRepository = repository(service.path("image").asText());
                if (!repository.equals(composeRepository)) {
                    problems.add(name(d) + ": image " + image + " is not the compose service's " + service.path("image").asText());
                }
                String target = service.path("build").path("target").asText();
                if (!repository.endsWith("/" + target)) {
                    problems.add(name(d) + ": image " + image + " should be named after its Dockerfile target " + target);
                }
                docker.stage(target); // fails the test when the Dockerfile has no such target
                if (!image.contains(":") || image.endsWith(":latest")) {
                    problems.add(name(d) + ": image " + image + " should carry a fixed tag (kustomization images:)");
                }
            }
        }
        for (String n : kustomizeNames) {
            if (!used.contains(n)) {
                problems.add("kustomization images: " + n + " names no container image (the override changes nothing)");
            }
        }
        Repo.noProblems("images", problems);
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * {@code registry:5000/name:tag} → {@code registry:5000/name} (a port in the registry is not a
     * tag; a compose tag may be a variable such as {@code ${PIPEWRIGHT_TAG:-dev}}).
     */
    static String repository(String image) {
        String noDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        int colon = noDigest.indexOf(':', Math.max(0, noDigest.lastIndexOf('/')));
        return colon < 0 ? noDigest : noDigest.substring(0, colon);
    }

    static List<JsonNode> ofKind(String kind) {
        return OBJECTS.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    static JsonNode named(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name(o).equals(name)).findFirst().orElse(null);
    }

    static String name(JsonNode o) {
        return o.path("metadata").path("name").asText();
    }

    private static List<JsonNode> deployment(String component) {
        return ofKind("Deployment").stream().filter(d -> component.equals(
                d.path("spec").path("template").path("metadata").path("labels").path("app.kubernetes.io/component").asText())).toList();
    }

    private static JsonNode container(JsonNode deployment) {
        return deployment.path("spec").path("template").path("spec").path("containers").path(0);
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

    private static int containerPort(JsonNode container, String ref) {
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(ref) || p.path("containerPort").asText().equals(ref)) {
                return p.path("containerPort").asInt();
            }
        }
        return fail(container.path("name").asText() + ": no container port " + ref);
    }

    private static void probe(JsonNode container, String probe, String path, int port, Set<String> served) {
        JsonNode get = container.path(probe).path("httpGet");
        String where = container.path("name").asText() + " " + probe;
        assertEquals(path, get.path("path").asText(), where + " path");
        assertTrue(served.contains(path), where + ": the code serves " + served + ", not " + path);
        assertEquals(port, containerPort(container, get.path("port").asText()), where + " port");
    }

    private static void secretKey(String secret, String key, String who, List<String> problems) {
        JsonNode s = named("Secret", secret);
        if (s == null) {
            problems.add(who + ": no rendered Secret " + secret);
        } else if (!s.path("stringData").has(key) && !s.path("data").has(key)) {
            problems.add(who + ": Secret " + secret + " has no key " + key);
        }
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
}
