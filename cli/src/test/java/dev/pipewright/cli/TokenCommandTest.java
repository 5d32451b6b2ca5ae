package dev.pipewright.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token commands and the client's token handling, against a small local HTTP server that records requests. */
class TokenCommandTest {
    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger tooMany = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + auth + " " + body);
            String answer;
            int status;
            if (tooMany.getAndDecrement() > 0) {
                status = 429;
                ex.getResponseHeaders().add("Retry-After", "1");
                answer = "{\"error\": {\"code\": \"rate_limited\", \"message\": \"slow down\"}}";
            } else if (!"Bearer pw_good".equals(auth)) {
                status = 401;
                answer = "{\"error\": {\"code\": \"unauthorized\", \"message\": \"the bearer token is unknown or revoked\"}}";
            } else if (ex.getRequestMethod().equals("POST")) {
                status = 201;
                answer = "{\"id\": \"tok_1\", \"name\": \"ci\", \"owner\": \"ci\", \"role\": \"submit\", \"token\": \"pw_secret\"}";
            } else if (ex.getRequestMethod().equals("DELETE")) {
                status = 200;
                answer = "{\"id\": \"tok_1\", \"revoked\": true}";
            } else {
                status = 200;
                answer = "{\"tokens\": [{\"id\": \"tok_1\", \"name\": \"ci\", \"owner\": \"ci\", \"role\": \"submit\","
                        + " \"created_at\": \"2026-01-01T00:00:00Z\", \"last_used_at\": null, \"source\": \"api\"}]}";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void createPrintsOnlyTheSecretOnStdoutAndSendsTheToken() {
        Run r = run("token", "create", "--role", "Submit", "--name", "ci", "--url", url(), "--token", "pw_good");
        assertEquals(0, r.exit(), r.err());
        assertEquals("pw_secret", r.out().strip());
        assertTrue(r.err().contains("tok_1") && r.err().contains("shown only this once"), r.err());
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).startsWith("POST /api/v1/tokens Bearer pw_good {"), seen.get(0));
        assertTrue(seen.get(0).contains("\"role\":\"submit\"") && seen.get(0).contains("\"name\":\"ci\""), seen.get(0));
    }

    @Test
    void aBadRoleIsAUsageErrorAndNothingIsSent() {
        Run r = run("token", "create", "--role", "root", "--url", url(), "--token", "pw_good");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("expected read, submit, developer or admin"), r.err());
        assertEquals(List.of(), seen);
    }

    @Test
    void listAndRevoke() {
        Run list = run("token", "list", "--url", url(), "--token", "pw_good");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("tok_1") && list.out().contains("submit"), list.out());
        Run revoke = run("token", "revoke", "tok_1", "--url", url(), "--token", "pw_good");
        assertEquals(0, revoke.exit(), revoke.err());
        assertEquals("token tok_1: revoked", revoke.out().strip());
        assertTrue(seen.get(1).startsWith("DELETE /api/v1/tokens/tok_1 Bearer pw_good"), seen.get(1));
    }

    @Test
    void aRefusedTokenIsReportedWithTheServersMessage() {
        Run r = run("token", "list", "--url", url(), "--token", "pw_bad");
        assertEquals(1, r.exit());
        assertEquals("cannot list tokens: the bearer token is unknown or revoked (HTTP 401)", r.err().strip());
    }

    @Test
    void theClientWaitsOutA429AndRetries() {
        tooMany.set(1);
        ApiClient.Response r = new ApiClient(url(), "pw_good").get("/api/v1/tokens");
        assertEquals(200, r.status(), r.text());
        assertEquals(2, seen.size(), seen::toString);
    }
}
