package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A thin client for the overseer's HTTP API (docs/api.md). Every call answers a {@link Response}
 * whatever its status; a server that cannot be reached becomes a {@link CliException} with exit
 * code 2. A 429 (the token's rate limit) is retried after the server's {@code Retry-After}, for up
 * to a minute per request, so long polls and the benchmark's checks slow down instead of failing.
 */
public final class ApiClient {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String token;
    private final HttpClient http;
    private final Duration requestTimeout;

    public ApiClient(String baseUrl, String token) {
        this(baseUrl, token, Duration.ofMinutes(5));
    }

    public ApiClient(String baseUrl, String token, Duration requestTimeout) {
        String url = baseUrl == null || baseUrl.isBlank() ? DEFAULT_URL : baseUrl.trim();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("bad server URL '" + url + "': " + e.getMessage());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw CliException.usage("bad server URL '" + url + "': expected http://host:port");
        }
        this.baseUrl = url;
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** An HTTP answer: status, body bytes and content type. */
    public record Response(int status, byte[] body, String contentType) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw CliException.failure("the server answered HTTP " + status + " with a body that is not JSON: " + abbreviate(text()));
            }
        }

        /** The error message of an error answer ({@code {"error": {"message": ..}}}), else the raw body. */
        public String errorMessage() {
            try {
                JsonNode n = JSON.readTree(body);
                JsonNode err = n == null ? null : n.get("error");
                if (err != null && err.hasNonNull("message")) {
                    return err.get("message").asText();
                }
            } catch (IOException ignored) {
                // not JSON: fall through
            }
            String t = text().strip();
            return t.isEmpty() ? "HTTP " + status : abbreviate(t);
        }

        /** How a refused call is reported: {@code what: message (HTTP status)}. */
        public String refusal(String what) {
            return what + ": " + errorMessage() + " (HTTP " + status + ")";
        }

        /** The problems of an error answer as {@code path: message} lines. */
        public List<String> problems() {
            List<String> out = new ArrayList<>();
            try {
                JsonNode n = JSON.readTree(body);
                JsonNode list = n == null ? null : n.path("error").path("problems");
                if (list != null && list.isArray()) {
                    for (JsonNode p : list) {
                        out.add(p.path("path").asText("$") + ": " + p.path("message").asText(""));
                    }
                }
            } catch (IOException ignored) {
                // no problems to list
            }
            return out;
        }
    }

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    public Response delete(String path) {
        return send(request(path).DELETE().build());
    }

    public Response post(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    public Response postJson(String path, Object body) {
        try {
            return post(path, "application/json", JSON.writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public Response putJson(String path, Object body) {
        try {
            return send(request(path).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public Response postJson(String path, Object body, java.util.Map<String, String> headers) {
        try {
            HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            headers.forEach(b::header);
            return send(b.build());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * JSON of a 2xx answer; otherwise a failure naming what was asked (exit 1), with the answer's
     * problems under it when there are several.
     */
    public static JsonNode expect(Response r, String what) {
        if (!r.ok()) {
            List<String> problems = r.problems();
            throw CliException.failure(r.refusal(what) + (problems.size() > 1 ? "\n  " + String.join("\n  ", problems) : ""));
        }
        return r.json();
    }

    /** JSON of a 2xx answer; otherwise a failure naming what was asked with every problem of the answer under it. */
    static JsonNode expectAllProblems(Response r, String what) {
        if (!r.ok()) {
            throw refusedWithProblems(r, what);
        }
        return r.json();
    }

    /** The failure of a refused call: what was asked, the server's message, and every problem of the answer under it. */
    static CliException refusedWithProblems(Response r, String what) {
        StringBuilder msg = new StringBuilder(r.refusal(what));
        r.problems().forEach(p -> msg.append("\n  ").append(p));
        return CliException.failure(msg.toString());
    }

    /** JSON of a 2xx answer; otherwise a one-line failure naming what was asked. */
    static JsonNode expectOneLine(Response r, String what) {
        if (!r.ok()) {
            throw CliException.failure(r.refusal(what));
        }
        return r.json();
    }

    /**
     * Reads a Server-Sent Events answer, calling {@code onEvent(event, data)} for each event until
     * it returns false or the server ends the stream. A non-2xx answer is a failure naming {@code what}.
     */
    public void events(String path, String what, java.util.function.BiPredicate<String, String> onEvent) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Accept", "text/event-stream").GET().build();
        if (token != null) {
            req = HttpRequest.newBuilder(req, (n, v) -> true).header("Authorization", "Bearer " + token).build();
        }
        HttpResponse<java.util.stream.Stream<String>> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable(e.getMessage() == null ? "connection refused" : e.getMessage());
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failure("interrupted");
        }
        try (java.util.stream.Stream<String> lines = r.body()) {
            if (r.statusCode() / 100 != 2) {
                String body = String.join("\n", lines.toList());
                throw CliException.failure(new Response(r.statusCode(), body.getBytes(StandardCharsets.UTF_8), "").refusal(what));
            }
            String event = "message";
            StringBuilder data = new StringBuilder();
            for (java.util.Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (!data.isEmpty() && !onEvent.test(event, data.toString())) {
                        return;
                    }
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).stripLeading());
                }
            }
        }
    }

    /** GET that must answer 2xx with JSON; otherwise a one-line failure naming what was asked. */
    public JsonNode getJson(String path, String what) {
        return expectOneLine(get(path), what);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout)
                .header("Accept", "application/json, */*");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    static final Duration RATE_LIMIT_PATIENCE = Duration.ofMinutes(1);

    private Response send(HttpRequest request) {
        long deadline = System.nanoTime() + RATE_LIMIT_PATIENCE.toNanos();
        while (true) {
            HttpResponse<byte[]> r = sendOnce(request);
            long waitMs = retryAfterMs(r);
            if (r.statusCode() != 429 || System.nanoTime() + waitMs * 1_000_000 > deadline) {
                return new Response(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
            }
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.failure("interrupted");
            }
        }
    }

    /** The 429 answer's Retry-After (seconds) in ms, at least 100 ms, at most 10 s. */
    private static long retryAfterMs(HttpResponse<?> r) {
        long s = 1;
        try {
            s = Long.parseLong(r.headers().firstValue("Retry-After").orElse("1").trim());
        } catch (NumberFormatException ignored) {
            // an HTTP date or junk: wait a second
        }
        return Math.max(100, Math.min(10_000, s * 1000));
    }

    private HttpResponse<byte[]> sendOnce(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("connection timed out");
        } catch (ConnectException e) {
            throw unreachable(e.getMessage() == null || e.getMessage().isBlank() ? "connection refused" : e.getMessage());
        } catch (HttpTimeoutException e) {
            throw CliException.failure("the server at " + baseUrl + " did not answer " + request.method() + " "
                    + request.uri().getPath() + " within " + requestTimeout.toSeconds() + " s");
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failure("interrupted");
        }
    }

    private CliException unreachable(String reason) {
        return CliException.usage("cannot reach the Pipewright server at " + baseUrl + ": " + reason
                + " (set PW_URL or --url)");
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\s+", " ").strip();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }
}
