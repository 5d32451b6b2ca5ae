package dev.pipewright.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.cli.PipewrightCli;
import dev.pipewright.it.support.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Authentication and authorization against a real overseer: the bad-input table (missing,
 * malformed, unknown, revoked and insufficient tokens get a clear 401 or 403 and change nothing),
 * job ownership (another owner's job is a 404), token management, the body cap with and without a
 * token, the per-token rate limit, and the command line with and without a token.
 */
class AuthIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String JSON = "application/json";
    private static final int MAX_BODY = 4096;
    private static final String SUBMIT_BODY = "{\"inputs\": {\"raw\": \"hello\"}}";
    static Cluster cluster;
    static String reader;
    static String alice;
    static String bob;
    static String revoked;
    static String opsAdmin;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.builder().workers(1).concurrency(2).overseerSetting("PW_MAX_BODY_BYTES", Integer.toString(MAX_BODY)).start();
        cluster.postPipeline("""
                name: copy
                dataNodes:
                  raw:
                  out:
                processNodes:
                  copy: {input: raw, output: out, processor: identity}
                """);
        reader = token("reader", "read", null);
        alice = token("alice-laptop", "submit", "alice");
        bob = token("bob", "submit", null);
        revoked = token("old-ci", "submit", null);
        opsAdmin = token("ops", "admin", null);
        String revokedId = tokenId("old-ci");
        Cluster.Response r = cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/tokens/" + revokedId)).DELETE());
        assertEquals(200, r.status(), r::toString);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Makes a token with the cluster's admin token; returns its secret. */
    private static String token(String name, String role, String owner) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("role", role);
        if (owner != null) {
            body.put("owner", owner);
        }
        Cluster.Response r = cluster.post("/api/v1/tokens", json(body), JSON);
        assertEquals(201, r.status(), r::toString);
        JsonNode t = r.json();
        assertEquals(role, t.path("role").asText());
        assertEquals(owner == null ? name : owner, t.path("owner").asText());
        assertTrue(t.path("token").asText().matches("pw_[A-Za-z0-9_-]{43}"), t::toString);
        return t.path("token").asText();
    }

    private static String tokenId(String name) {
        for (JsonNode t : cluster.get("/api/v1/tokens").json().path("tokens")) {
            if (name.equals(t.path("name").asText())) {
                return t.path("id").asText();
            }
        }
        throw new AssertionError("no token named " + name);
    }

    private static String json(Object o) {
        try {
            return Cluster.JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A request with exactly this Authorization header (null: none). */
    private static Cluster.Response as(String authorization, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.baseUri().resolve(path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", JSON).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return cluster.sendRaw(b.timeout(WAIT).build());
    }

    private static Cluster.Response bearer(String token, String method, String path, String body) {
        return as("Bearer " + token, method, path, body);
    }

    /** What a refused request must leave alone: the jobs, the pipeline's versions, the tokens, the paused pools. */
    private static List<Object> state() {
        List<Object> s = new ArrayList<>();
        s.add(cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size());
        s.add(cluster.get("/api/v1/pipelines/copy").json().path("version").asInt());
        s.add(cluster.get("/api/v1/tokens").json().path("tokens").size());
        s.add(cluster.get("/api/v1/admin/pools").json().toString());
        return s;
    }

    private record Case(String what, String authorization, String method, String path, String body,
                        int status, String code, String messagePart, String challenge) {
    }

    @Test
    void badTokensAreRefusedClearlyAndChangeNothing() {
        String job = cluster.submit("copy", SUBMIT_BODY);
        cluster.awaitJob(job, WAIT);
        String submit = "/api/v1/pipelines/copy/jobs";
        List<Case> table = List.of(
                new Case("no Authorization header", null, "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "needs a bearer token", "Bearer realm=\"pipewright\""),
                new Case("no header on a read", null, "GET", "/api/v1/jobs", null,
                        401, "unauthorized", "needs a bearer token", "Bearer realm=\"pipewright\""),
                new Case("no header on a path nobody serves (no 404 to anonymous callers)", null, "GET", "/api/v1/nothing-here", null,
                        401, "unauthorized", "needs a bearer token", "Bearer realm=\"pipewright\""),
                new Case("Basic instead of Bearer", "Basic YWxpY2U6c2VjcmV0", "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "malformed Authorization header", "error=\"invalid_request\""),
                new Case("Bearer without a token", "Bearer ", "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "malformed Authorization header", "error=\"invalid_request\""),
                new Case("the token without the scheme", alice, "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "malformed Authorization header", "error=\"invalid_request\""),
                new Case("an unknown token", "Bearer pw_" + "A".repeat(43), "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "unknown or revoked", "error=\"invalid_token\""),
                new Case("a token one character off", "Bearer " + alice.substring(0, alice.length() - 1)
                        + (alice.endsWith("x") ? "y" : "x"), "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "unknown or revoked", "error=\"invalid_token\""),
                new Case("a revoked token", "Bearer " + revoked, "POST", submit, SUBMIT_BODY,
                        401, "unauthorized", "unknown or revoked", "error=\"invalid_token\""),
                new Case("a read token submitting", "Bearer " + reader, "POST", submit, SUBMIT_BODY,
                        403, "forbidden", "needs role 'submit'; token ", "error=\"insufficient_scope\""),
                new Case("a read token posting a pipeline", "Bearer " + reader, "POST", "/api/v1/pipelines?name=copy",
                        "{\"dataNodes\": {\"a\": null}}", 403, "forbidden", "has role 'read'", "error=\"insufficient_scope\""),
                new Case("a read token re-running a job", "Bearer " + reader, "POST", "/api/v1/jobs/" + job + "/retry", "{}",
                        403, "forbidden", "needs role 'submit'", "error=\"insufficient_scope\""),
                new Case("a submit token pausing a pool", "Bearer " + alice, "POST", "/api/v1/admin/pools/default/pause", "{}",
                        403, "forbidden", "needs role 'admin'; token ", "error=\"insufficient_scope\""),
                new Case("a submit token making a token", "Bearer " + alice, "POST", "/api/v1/tokens",
                        "{\"name\": \"sneaky\", \"role\": \"admin\"}", 403, "forbidden", "has role 'submit'", "error=\"insufficient_scope\""),
                new Case("a submit token revoking a token", "Bearer " + bob, "DELETE", "/api/v1/tokens/" + tokenId("reader"), null,
                        403, "forbidden", "needs role 'admin'", "error=\"insufficient_scope\""),
                new Case("a read token listing tokens", "Bearer " + reader, "GET", "/api/v1/tokens", null,
                        403, "forbidden", "needs role 'admin'", "error=\"insufficient_scope\""));
        List<Object> before = state();
        List<String> problems = new ArrayList<>();
        for (Case c : table) {
            Cluster.Response r = as(c.authorization(), c.method(), c.path(), c.body());
            JsonNode err = r.status() >= 400 && r.contentType() != null && r.contentType().startsWith(JSON)
                    ? r.json().path("error") : null;
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            if (r.status() != c.status() || err == null || !c.code().equals(err.path("code").asText())
                    || !err.path("message").asText().contains(c.messagePart()) || !challenge.contains(c.challenge())) {
                problems.add(c.what() + ": expected " + c.status() + " " + c.code() + " '" + c.messagePart() + "' with challenge "
                        + c.challenge() + ", got " + r + " WWW-Authenticate: " + challenge);
            }
            if (err != null && r.text().contains(alice)) {
                problems.add(c.what() + ": the answer repeats a secret: " + r);
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(before, state(), "a refused request changed something");
        assertEquals(false, cluster.get("/api/v1/admin/pools").json().path("pools").get(0).path("paused").asBoolean());
    }

    @Test
    void probesStayOpenAndMetricsArePublicByDefault() {
        assertEquals(200, as(null, "GET", "/health", null).status());
        assertEquals(200, as(null, "GET", "/ready", null).status());
        Cluster.Response m = as(null, "GET", "/metrics", null);
        assertEquals(200, m.status());
        assertTrue(m.text().contains("pipewright_"), "Prometheus text expected");
    }

    @Test
    void validTokensWorkWithinTheirRoleAndJobsBelongToTheirOwner() {
        // a read token reads pipelines and validates
        assertEquals(200, bearer(reader, "GET", "/api/v1/pipelines", null).status());
        assertEquals(200, bearer(reader, "POST", "/api/v1/pipelines/validate", "{\"dataNodes\": {\"a\": null}}").status());
        // alice submits and reads her job, its output and its logs
        Cluster.Response sub = bearer(alice, "POST", "/api/v1/pipelines/copy/jobs", SUBMIT_BODY);
        assertEquals(202, sub.status(), sub::toString);
        String job = sub.json().path("id").asText();
        JsonNode done = cluster.awaitJob(job, WAIT);
        assertEquals("SUCCESS", done.path("status").asText(), done::toPrettyString);
        assertEquals("alice", done.path("owner").asText());
        Cluster.Response own = bearer(alice, "GET", "/api/v1/jobs/" + job, null);
        assertEquals(200, own.status(), own::toString);
        Cluster.Response out = bearer(alice, "GET", "/api/v1/jobs/" + job + "/consumables/out", null);
        assertEquals(200, out.status(), out::toString);
        assertEquals("hello", out.text());
        assertEquals(200, bearer(alice, "GET", "/api/v1/jobs/" + job + "/logs", null).status());
        assertTrue(ids(bearer(alice, "GET", "/api/v1/jobs", null)).contains(job));

        // anyone else below admin: the same 404 as for a job that does not exist, and nothing changes
        String missing = cluster.get("/api/v1/jobs/" + job + "zz").json().path("error").path("message").asText();
        assertTrue(missing.contains("no job"), missing);
        for (String other : List.of(bob, reader)) {
            for (String path : List.of("/api/v1/jobs/" + job, "/api/v1/jobs/" + job + "/consumables/out", "/api/v1/jobs/" + job + "/logs")) {
                Cluster.Response r = bearer(other, "GET", path, null);
                assertEquals(404, r.status(), path + ": " + r);
                assertEquals(missing.replace(job + "zz", job), r.json().path("error").path("message").asText(),
                        "word for word what a job that is not there gets");
            }
            assertFalse(ids(bearer(other, "GET", "/api/v1/jobs", null)).contains(job), "another owner's job was listed");
        }
        int jobsBefore = cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size();
        assertEquals(404, bearer(bob, "POST", "/api/v1/jobs/" + job + "/retry", "{}").status());
        assertEquals(404, bearer(bob, "POST", "/api/v1/jobs/" + job + "/cancel", "{}").status());
        assertEquals(jobsBefore, cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size());

        // admins see every job; the owner may re-run hers and owns the re-run
        assertEquals(200, bearer(opsAdmin, "GET", "/api/v1/jobs/" + job, null).status());
        assertTrue(ids(bearer(opsAdmin, "GET", "/api/v1/jobs", null)).contains(job));
        Cluster.Response rerun = bearer(alice, "POST", "/api/v1/jobs/" + job + "/retry", "{}");
        assertEquals(202, rerun.status(), rerun::toString);
        assertEquals("alice", cluster.awaitJob(rerun.json().path("id").asText(), WAIT).path("owner").asText());
        // an admin made through the API reaches the operator endpoints
        assertEquals(200, bearer(opsAdmin, "GET", "/api/v1/admin/queues", null).status());
    }

    private static Set<String> ids(Cluster.Response list) {
        assertEquals(200, list.status(), list::toString);
        Set<String> ids = new HashSet<>();
        list.json().path("jobs").forEach(j -> ids.add(j.path("id").asText()));
        return ids;
    }

    @Test
    void tokenListingShowsNoSecretsAndTheSettingTokenCannotBeRevoked() {
        Cluster.Response list = cluster.get("/api/v1/tokens");
        assertEquals(200, list.status());
        for (String secret : List.of(reader, alice, bob, revoked, opsAdmin, cluster.adminToken())) {
            assertFalse(list.text().contains(secret), "the listing shows a secret");
        }
        Set<String> names = new HashSet<>();
        for (JsonNode t : list.json().path("tokens")) {
            names.add(t.path("name").asText());
            assertFalse(t.has("token"), t::toString);
        }
        assertTrue(names.containsAll(Set.of("PW_ADMIN_TOKEN", "reader", "alice-laptop", "bob", "ops")), names::toString);
        assertFalse(names.contains("old-ci"), "a revoked token is still listed");
        // nothing of a secret is stored in Redis either: only digests as keys
        for (String field : cluster.redis().hkeys(cluster.namespace() + ":tokens")) {
            assertTrue(field.matches("[0-9a-f]{64}"), field);
        }
        assertFalse(cluster.redis().hgetall(cluster.namespace() + ":tokens").toString().contains(alice));

        Cluster.Response env = cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/tokens/env-admin")).DELETE());
        assertEquals(409, env.status(), env::toString);
        Cluster.Response none = cluster.send(HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/tokens/tok_000000000000")).DELETE());
        assertEquals(404, none.status(), none::toString);
        Cluster.Response bad = cluster.post("/api/v1/tokens", "{\"name\": \"x y\", \"role\": \"root\", \"extra\": 1}", JSON);
        assertEquals(400, bad.status(), bad::toString);
        assertEquals(3, bad.json().path("error").path("problems").size(), bad::toString);
    }

    @Test
    void oversizedBodiesAreRefusedWith413WithOrWithoutAToken() {
        String big = "{\"inputs\": {\"raw\": \"" + "x".repeat(MAX_BODY * 2) + "\"}}";
        int jobsBefore = cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size();
        // a declared length over the cap: 413 before anything else
        for (String auth : new String[] {null, "Bearer " + alice}) {
            Cluster.Response r = as(auth, "POST", "/api/v1/pipelines/copy/jobs", big);
            assertEquals(413, r.status(), r::toString);
            assertEquals("body_too_large", r.json().path("error").path("code").asText());
        }
        // a chunked body (no length): the caller is checked first, then the body is read under the cap
        HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String auth : new String[] {null, "Bearer " + alice}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(cluster.baseUri().resolve("/api/v1/pipelines/copy/jobs"))
                    .version(HttpClient.Version.HTTP_1_1).header("Content-Type", JSON).timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofString(big)));
            if (auth != null) {
                b.header("Authorization", auth);
            }
            int status;
            try {
                status = http11.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (java.io.IOException e) {
                // the server may close the connection before the client finished sending; that is a refusal too
                status = -1;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (auth == null) {
                assertTrue(status == 401 || status == -1, "chunked without a token: " + status);
            } else {
                assertTrue(status == 413 || status == -1, "chunked over the cap: " + status);
            }
        }
        assertEquals(jobsBefore, cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size());
        // and the connection pool still works for ordinary requests
        assertEquals(200, bearer(alice, "GET", "/api/v1/pipelines", null).status());
    }

    @Test
    void commandLineWorksWithATokenAndIsRefusedWithout(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pipeline.yaml"), """
                name: cli-copy
                dataNodes:
                  raw:
                  out:
                processNodes:
                  copy: {input: raw, output: out, processor: identity}
                """);
        String url = cluster.baseUri().toString();
        Run created = cli("token", "create", "--role", "submit", "--name", "cli-user", "--url", url, "--token", cluster.adminToken());
        assertEquals(0, created.exit(), created.err());
        String token = created.out().strip();
        assertTrue(token.matches("pw_[A-Za-z0-9_-]{43}"), created.out());
        assertTrue(created.err().contains("shown only this once"), created.err());

        Run listed = cli("token", "list", "--url", url, "--token", cluster.adminToken());
        assertEquals(0, listed.exit(), listed.err());
        assertTrue(listed.out().contains("cli-user") && !listed.out().contains(token), listed.out());

        Run ran = cli("run", file.toString(), "--input", "raw=via-cli", "--url", url, "--token", token, "--timeout", "60s");
        assertEquals(0, ran.exit(), ran.out() + ran.err());
        assertTrue(ran.out().contains("via-cli"), ran.out());

        int jobsBefore = cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size();
        Run anonymous = cli("run", file.toString(), "--input", "raw=no", "--url", url, "--token", "pw_" + "B".repeat(43));
        assertEquals(1, anonymous.exit(), anonymous.out() + anonymous.err());
        assertTrue(anonymous.err().contains("unknown or revoked") && anonymous.err().contains("HTTP 401"), anonymous.err());
        Run forbidden = cli("token", "create", "--role", "admin", "--url", url, "--token", token);
        assertEquals(1, forbidden.exit());
        assertTrue(forbidden.err().contains("needs role 'admin'") && forbidden.err().contains("HTTP 403"), forbidden.err());
        assertEquals(jobsBefore, cluster.get("/api/v1/jobs?limit=1000").json().path("jobs").size());

        String id = null;
        for (JsonNode t : cluster.get("/api/v1/tokens").json().path("tokens")) {
            if ("cli-user".equals(t.path("name").asText())) {
                id = t.path("id").asText();
            }
        }
        assertNotNull(id);
        Run revokedRun = cli("token", "revoke", id, "--url", url, "--token", cluster.adminToken());
        assertEquals(0, revokedRun.exit(), revokedRun.err());
        Run after = cli("token", "list", "--url", url, "--token", token);
        assertEquals(1, after.exit(), after.out() + after.err());
        assertTrue(after.err().contains("unknown or revoked"), after.err());
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run cli(String... args) {
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void authOffLetsEveryRequestInAsAnAnonymousAdmin() throws Exception {
        try (Cluster open = Cluster.builder().workers(0).namespacePrefix("it-noauth").overseerSetting("PW_AUTH", "off").start()) {
            Cluster.Response tokens = open.sendRaw(HttpRequest.newBuilder(open.baseUri().resolve("/api/v1/tokens")).timeout(WAIT).build());
            assertEquals(200, tokens.status(), tokens::toString);
            Cluster.Response posted = open.sendRaw(HttpRequest.newBuilder(open.baseUri().resolve("/api/v1/pipelines?name=open"))
                    .header("Content-Type", JSON).timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"dataNodes\": {\"a\": null, \"b\": null}, \"processNodes\":"
                            + " {\"p\": {\"input\": \"a\", \"output\": \"b\", \"processor\": \"identity\"}}}")).build());
            assertEquals(201, posted.status(), posted::toString);
        }
    }

    @Test
    void aReadOrSubmitTokenPastItsRateGets429WithRetryAfterAndChangesNothingWhileAdminTokensAreNotLimited() throws Exception {
        try (Cluster limited = Cluster.builder().workers(0).namespacePrefix("it-rate")
                .overseerSetting("PW_RATE_LIMIT", "1").overseerSetting("PW_RATE_BURST", "3").start()) {
            Cluster.Response made = limited.post("/api/v1/tokens", "{\"name\": \"hasty\", \"role\": \"submit\"}", JSON);
            assertEquals(201, made.status(), made::toString);
            String hasty = made.json().path("token").asText();
            int created = 0;
            Cluster.Response refused = null;
            for (int i = 0; i < 30 && refused == null; i++) {
                // each a new version (the same document again would answer the latest version, 200)
                String pipeline = "{\"name\": \"rated\", \"description\": \"take " + i + "\", \"dataNodes\": {\"a\": null, \"b\": null},"
                        + " \"processNodes\": {\"p\": {\"input\": \"a\", \"output\": \"b\", \"processor\": \"identity\"}}}";
                Cluster.Response r = limited.sendRaw(HttpRequest.newBuilder(limited.baseUri().resolve("/api/v1/pipelines?name=rated"))
                        .header("Authorization", "Bearer " + hasty).header("Content-Type", JSON).timeout(WAIT)
                        .POST(HttpRequest.BodyPublishers.ofString(pipeline)).build());
                if (r.status() == 201) {
                    created++;
                } else {
                    refused = r;
                }
            }
            assertNotNull(refused, "30 requests at once never met the limit of 1/s, burst 3");
            assertEquals(429, refused.status(), refused::toString);
            assertEquals("rate_limited", refused.json().path("error").path("code").asText());
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElse("0"));
            assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
            assertTrue(created >= 3, "the burst allows 3 at once, got " + created);
            // the refused request stored nothing; another token is not slowed by this one
            Cluster.Response latest = limited.get("/api/v1/pipelines/rated");
            assertEquals(200, latest.status(), latest::toString);
            assertEquals(created, latest.json().path("version").asInt());
            // a read token is held to the limit as well
            String reader = limited.createToken("reader", "read", null);
            Cluster.Response readRefused = null;
            for (int i = 0; i < 30 && readRefused == null; i++) {
                Cluster.Response r = limited.as(reader, "GET", "/api/v1/pipelines/rated", null);
                if (r.status() != 200) {
                    readRefused = r;
                }
            }
            assertNotNull(readRefused, "30 reads at once never met the limit of 1/s, burst 3");
            assertEquals(429, readRefused.status(), readRefused::toString);
            // admin tokens are not rate limited: 50 requests at once all answer (the admin token of the
            // setting, and one made through the API)
            String admin = limited.createToken("ops", "admin", null);
            for (String token : List.of(limited.adminToken(), admin)) {
                for (int i = 0; i < 50; i++) {
                    Cluster.Response r = limited.as(token, "GET", "/api/v1/pipelines/rated", null);
                    assertEquals(200, r.status(), r::toString);
                }
            }
        }
    }
}
