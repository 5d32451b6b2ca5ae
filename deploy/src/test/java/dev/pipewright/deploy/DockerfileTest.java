package dev.pipewright.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/docker/Dockerfile: stages, jar names, users, ports and health checks agree with the code and poms. */
class DockerfileTest {
    static final String FILE = "deploy/docker/Dockerfile";
    static final Map<String, String> TARGET_MODULE = Map.of("overseer", "overseer", "worker", "worker", "cli", "cli");
    /** The targets whose images start with a class-data archive made at build time. */
    static final Set<String> ARCHIVED = Set.of("overseer", "worker");

    final DockerfileReader docker = DockerfileReader.read(FILE);

    @Test
    void buildStageUsesMavenOnJava21AndRuntimeTheTemurin21Jre() {
        assertEquals("maven:3.9-eclipse-temurin-21", docker.stage("build").from);
        for (String target : TARGET_MODULE.keySet()) {
            assertEquals("eclipse-temurin:21-jre", docker.baseImage(target), "base image of target " + target);
        }
    }

    @Test
    void buildStageCopiesEveryPomBeforeAnySourceAndBuildsTheRunnableModules() {
        DockerfileReader.Stage build = docker.stage("build");
        List<String> problems = new ArrayList<>();
        int firstSource = Integer.MAX_VALUE;
        int firstBuild = Integer.MAX_VALUE;
        Set<String> pomsBeforeBuild = new LinkedHashSet<>();
        Set<String> sources = new LinkedHashSet<>();
        for (int i = 0; i < build.instructions.size(); i++) {
            DockerfileReader.Instruction ins = build.instructions.get(i);
            if (ins.keyword().equals("COPY")) {
                String src = ins.args().split(" ")[0];
                if (src.endsWith("pom.xml")) {
                    if (i > firstSource) {
                        problems.add("COPY " + src + " comes after sources were copied: poms first, for layer caching");
                    }
                    if (i < firstBuild) {
                        pomsBeforeBuild.add(src);
                    }
                } else if (src.endsWith("/src")) {
                    firstSource = Math.min(firstSource, i);
                    sources.add(src.substring(0, src.length() - "/src".length()));
                }
            } else if (ins.keyword().equals("RUN") && ins.args().contains("mvn ")) {
                firstBuild = Math.min(firstBuild, i);
                if (!ins.args().contains("mvn -B -q -DskipTests") || !ins.args().contains("package")) {
                    problems.add("RUN should build with `mvn -B -q -DskipTests ... package`: " + ins.args());
                }
            }
        }
        // Maven reads every module the root pom lists, so each pom must be there before the first build.
        Set<String> wanted = new LinkedHashSet<>();
        wanted.add("pom.xml");
        for (String m : CodeFacts.modules()) {
            wanted.add(m + "/pom.xml");
        }
        for (String pom : wanted) {
            if (!pomsBeforeBuild.contains(pom)) {
                problems.add("the build stage does not COPY " + pom + " before its first mvn run (root pom modules: "
                        + CodeFacts.modules() + ")");
            }
        }
        // Sources of the runnable modules and of every module they depend on.
        for (String m : dependencyClosure(List.of("overseer", "worker", "cli"))) {
            if (!sources.contains(m)) {
                problems.add("the build stage does not COPY " + m + "/src");
            }
        }
        for (String m : sources) {
            if (!Files.isDirectory(Repo.path(m + "/src"))) {
                problems.add("COPY " + m + "/src: no such directory");
            }
        }
        Repo.noProblems(FILE + " build stage", problems);
    }

    @Test
    void eachTargetCopiesTheJarItsPomProducesAndRunsItWithTheSameEntrypoint() {
        List<String> problems = new ArrayList<>();
        for (var e : TARGET_MODULE.entrySet()) {
            String target = e.getKey();
            String jar = CodeFacts.jarName(e.getValue());
            String copy = "--from=build /src/" + e.getValue() + "/target/" + jar + " /app/" + jar;
            if (!docker.stage(target).all("COPY").contains(copy)) {
                problems.add(target + ": expected COPY " + copy + " (the pom's finalName is " + jar + ")");
            }
            String entry = docker.effective(target, "ENTRYPOINT");
            // tini as PID 1 (installed in the runtime stage): signals reach the JVM, orphans are reaped
            String archive = ARCHIVED.contains(target)
                    ? "\"-XX:SharedArchiveFile=" + archiveOf(jar) + "\", \"-Xlog:cds*=off\", " : "";
            String want = "[\"/usr/bin/tini\", \"--\", \"java\", \"-XX:MaxRAMPercentage=75\", " + archive + "\"-jar\", \"/app/" + jar + "\"]";
            if (!String.join(" ", docker.stage("runtime").all("RUN")).contains(" tini")) {
                problems.add("runtime: tini is not installed, yet the ENTRYPOINTs run it");
            }
            if (!want.equals(entry)) {
                problems.add(target + ": ENTRYPOINT should be " + want + ", is " + entry);
            }
            if (!"SIGTERM".equals(docker.effective(target, "STOPSIGNAL"))) {
                problems.add(target + ": STOPSIGNAL SIGTERM missing");
            }
        }
        Repo.noProblems(FILE + " targets", problems);
    }

    /**
     * The overseer and worker images make their class-data archive at build time, with the image's
     * own JVM, from the jar they run, and start with it: the jar's training run under
     * -XX:ArchiveClassesAtExit after the jar is in place and before USER (root owns the archive, so
     * the image's user cannot change it), checked in the same RUN with -Xshare:on (which fails where
     * the JVM would quietly start without it), both with a heap under 32 GB (compressed oops, the
     * mode a container's JVM runs in). The ENTRYPOINT names the archive but must not make start-up
     * depend on it: no -Xshare:on, and nothing that writes an archive (read-only root file systems).
     */
    @Test
    void overseerAndWorkerStartWithTheClassDataArchiveTheirImageBuildMade() {
        String flag = CodeFacts.trainingRunFlag();
        Set<String> known = CodeFacts.envNames();
        List<String> problems = new ArrayList<>();
        for (String target : ARCHIVED) {
            String jar = CodeFacts.jarName(TARGET_MODULE.get(target));
            String archive = archiveOf(jar);
            List<DockerfileReader.Instruction> ins = docker.stage(target).instructions;
            int copy = -1;
            int training = -1;
            int user = -1;
            for (int i = 0; i < ins.size(); i++) {
                String kw = ins.get(i).keyword();
                String args = ins.get(i).args();
                if ((kw.equals("COPY") || kw.equals("ADD")) && (args.endsWith(" /app/" + jar) || args.endsWith(" " + archive))) {
                    if (training >= 0) {
                        problems.add(target + ": " + kw + " " + args + " comes after the archive was made: it no longer fits the jar");
                    }
                    copy = i;
                } else if (kw.equals("RUN") && args.contains("-XX:ArchiveClassesAtExit=")) {
                    training = i;
                } else if (kw.equals("USER") && user < 0) {
                    user = i;
                }
            }
            if (training < 0) {
                problems.add(target + ": no RUN makes the class-data archive (java -XX:ArchiveClassesAtExit=" + archive + " ...)");
                continue;
            }
            String run = ins.get(training).args();
            if (copy < 0 || copy > training) {
                problems.add(target + ": the archive must be made after COPY ... /app/" + jar);
            }
            if (user >= 0 && user < training) {
                problems.add(target + ": the archive must be made before USER, so the image's user cannot change it");
            }
            if (!run.matches(".*\\bjava (-\\S+ )*-XX:ArchiveClassesAtExit=" + Pattern.quote(archive) + " (-\\S+ )*-jar /app/"
                    + Pattern.quote(jar) + " " + Pattern.quote(flag) + "( .*)?")) {
                problems.add(target + ": the archive should come from `java ... -XX:ArchiveClassesAtExit=" + archive + " ... -jar /app/"
                        + jar + " " + flag + "` (the training run the mains take): " + run);
            }
            if (!run.matches(".*&& java (-\\S+ )*-Xshare:on (-\\S+ )*-XX:SharedArchiveFile=" + Pattern.quote(archive)
                    + " (-\\S+ )*-cp /app/" + Pattern.quote(jar) + " -version.*")) {
                problems.add(target + ": the same RUN should check the archive: `&& java ... -Xshare:on ... -XX:SharedArchiveFile="
                        + archive + " ... -cp /app/" + jar + " -version`: " + run);
            }
            Matcher heap = Pattern.compile("\\bjava (?:-\\S+ )*?-Xmx(\\d+)([mMgG])\\b").matcher(run);
            int javas = run.split("\\bjava ", -1).length - 1;
            int small = 0;
            while (heap.find()) {
                long mb = Long.parseLong(heap.group(1)) * (heap.group(2).equalsIgnoreCase("g") ? 1024 : 1);
                small += mb < 32 * 1024 ? 1 : 0;
            }
            if (small != javas) {
                problems.add(target + ": each java in the archive's RUN needs -Xmx under 32g (a big build machine's default heap turns "
                        + "compressed oops off, and the archive would not fit the containers): " + run);
            }
            Matcher inline = Pattern.compile("\\b(PW_[A-Z0-9_]+)=").matcher(run);
            while (inline.find()) {
                if (!known.contains(inline.group(1))) {
                    problems.add(target + ": the training run sets " + inline.group(1) + ", which the code does not read");
                }
            }
            for (int i = training + 1; i < ins.size(); i++) {
                if (ins.get(i).keyword().equals("RUN") && (ins.get(i).args().contains(archive) || ins.get(i).args().contains("/app/" + jar))) {
                    problems.add(target + ": a RUN after the archive was made touches the jar or the archive: " + ins.get(i).args());
                }
            }
            String entry = docker.effective(target, "ENTRYPOINT");
            int named = entry.indexOf("\"-XX:SharedArchiveFile=" + archive + "\"");
            if (named < 0 || named > entry.indexOf("\"-jar\"")) {
                problems.add(target + ": the ENTRYPOINT should start the JVM with -XX:SharedArchiveFile=" + archive + ": " + entry);
            }
            if (!entry.contains("\"-Xlog:cds*=off\"")) {
                problems.add(target + ": the ENTRYPOINT should keep the JVM's notes on an archive it cannot use quiet (-Xlog:cds*=off; "
                        + "JDK 22+ prints them as errors, yet the JVM just starts without the archive): " + entry);
            }
            for (String risky : List.of("-Xshare:on", "AutoCreateSharedArchive", "ArchiveClassesAtExit", "RequireSharedSpaces")) {
                if (entry.contains(risky)) {
                    problems.add(target + ": the ENTRYPOINT must not use " + risky + " (start-up would fail, or the JVM write an archive, "
                            + "when the archive does not fit): " + entry);
                }
            }
        }
        for (String target : TARGET_MODULE.keySet()) {
            if (!ARCHIVED.contains(target) && String.join(" ", docker.inherited(target, "RUN")).contains("ArchiveClassesAtExit")) {
                problems.add(target + ": makes a class-data archive, but DockerfileTest.ARCHIVED does not list it");
            }
        }
        Repo.noProblems(FILE + " class-data archives", problems);
    }

    /** /app/overseer.jsa for overseer.jar. */
    static String archiveOf(String jar) {
        return "/app/" + jar.substring(0, jar.length() - ".jar".length()) + ".jsa";
    }

    @Test
    void everyTargetRunsAsTheUnprivilegedUser10001() {
        String runtime = String.join("\n", docker.stage("runtime").all("RUN"));
        assertTrue(runtime.contains("useradd --uid 10001"), "the runtime stage should create uid 10001");
        for (String target : TARGET_MODULE.keySet()) {
            String user = docker.effective(target, "USER");
            assertNotNull(user, target + ": no USER: the image would run as root");
            String uid = user.split(":")[0];
            assertEquals("10001", uid, target + ": USER should be 10001, is " + user);
        }
    }

    @Test
    void overseerExposesItsHttpPortAndChecksHealthOnAPathTheApiServes() {
        int port = CodeFacts.overseerHttpPort();
        assertExposes("overseer", port);
        assertHealthCheck("overseer", "PW_HTTP_PORT", port, CodeFacts.overseerPaths());
        Map<String, String> env = docker.env("overseer");
        assertEquals(Integer.toString(port), env.get("PW_HTTP_PORT"));
        assertEquals("/data", env.get("PW_DATA_DIR"), "the overseer image keeps its data store in /data");
        assertTrue(String.join("\n", docker.stage("overseer").all("RUN")).contains("chown 10001:10001 /data"),
                "/data must belong to the image's user");
    }

    @Test
    void workerExposesItsMetricsPortChecksHealthAndHasPython() {
        int port = CodeFacts.workerMetricsPort();
        assertExposes("worker", port);
        assertHealthCheck("worker", "PW_METRICS_PORT", port, CodeFacts.workerPaths());
        assertEquals(Integer.toString(port), docker.env("worker").get("PW_METRICS_PORT"));
        String runs = String.join("\n", docker.inherited("worker", "RUN"));
        assertTrue(runs.matches("(?s).*apt-get install -y --no-install-recommends[^\\n]*\\bpython3\\b.*"),
                "the worker image needs python3 for the example exec processors");
        assertTrue(docker.stage("worker").all("COPY").contains("examples /app/examples"),
                "the worker image bakes the example modules in at /app/examples (deploy/k8s/processors.yaml uses them)");
    }

    @Test
    void cliHasNoPortsAndNoHealthCheck() {
        assertTrue(docker.inherited("cli", "EXPOSE").isEmpty(), "the CLI serves nothing");
        assertEquals("NONE", docker.effective("cli", "HEALTHCHECK"));
    }

    @Test
    void envNamesSetInTheImagesAreReadByTheCode() {
        Set<String> known = CodeFacts.envNames();
        List<String> problems = new ArrayList<>();
        for (String target : TARGET_MODULE.keySet()) {
            for (String name : docker.env(target).keySet()) {
                if (name.startsWith("PW_") && !known.contains(name)) {
                    problems.add(target + ": ENV " + name + " is not read anywhere in the code");
                }
            }
        }
        Repo.noProblems(FILE + " ENV", problems);
    }

    @Test
    void dockerignoreKeepsBuildOutputLocalStateAndHistoryOut() {
        Set<String> lines = new LinkedHashSet<>(Repo.read(".dockerignore").lines().map(String::strip).toList());
        for (String wanted : List.of("target/", "var/", ".git")) {
            assertTrue(lines.contains(wanted), ".dockerignore should list " + wanted);
        }
        for (String line : lines) {
            assertTrue(!line.equals("examples") && !line.equals("examples/") && !line.startsWith("deploy"),
                    ".dockerignore must not drop what the build copies: " + line);
        }
    }

    private void assertExposes(String target, int port) {
        List<String> exposed = docker.stage(target).all("EXPOSE");
        assertTrue(exposed.stream().anyMatch(e -> List.of(e.split(" ")).contains(Integer.toString(port))
                        || List.of(e.split(" ")).contains(port + "/tcp")),
                target + ": should EXPOSE " + port + " (the code's default), has " + exposed);
    }

    private void assertHealthCheck(String target, String portVar, int port, Set<String> servedPaths) {
        String hc = docker.effective(target, "HEALTHCHECK");
        assertNotNull(hc, target + ": no HEALTHCHECK");
        Matcher m = Pattern.compile("http://(?:127\\.0\\.0\\.1|localhost):(\\S+?)(/[A-Za-z0-9/_-]*)").matcher(hc);
        assertTrue(m.find(), target + ": HEALTHCHECK should request http://127.0.0.1:<port>/<path>: " + hc);
        String portExpr = m.group(1).replace("\"", "");
        String expected = "${" + portVar + ":-" + port + "}";
        assertTrue(portExpr.equals(Integer.toString(port)) || portExpr.equals(expected),
                target + ": HEALTHCHECK port should be " + port + " or " + expected + ", is " + portExpr);
        assertEquals("/health", m.group(2), target + ": HEALTHCHECK path");
        assertTrue(servedPaths.contains(m.group(2)), target + ": the code serves " + servedPaths + ", not " + m.group(2));
    }

    /** The modules, among the root pom's, that the given ones depend on (transitively), themselves included. */
    static Set<String> dependencyClosure(List<String> start) {
        List<String> modules = CodeFacts.modules();
        Set<String> out = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(start);
        Pattern dep = Pattern.compile("<groupId>dev\\.pipewright</groupId>\\s*<artifactId>([^<]+)</artifactId>");
        while (!todo.isEmpty()) {
            String m = todo.remove(0);
            if (!out.add(m)) {
                continue;
            }
            String pom = Repo.read(m + "/pom.xml");
            // only the <dependencies> part: the <parent> also names a dev.pipewright artifact
            int deps = pom.indexOf("<dependencies>");
            Matcher d = dep.matcher(deps < 0 ? "" : pom.substring(deps));
            while (d.find()) {
                if (modules.contains(d.group(1))) {
                    todo.add(d.group(1));
                }
            }
        }
        return out;
    }
}
