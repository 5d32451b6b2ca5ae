package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.auth.AccessPolicy;
import dev.pipewright.overseer.auth.AuthConfig;
import dev.pipewright.protocol.parse.PipelineParser;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract against the code, without services: it is valid OpenAPI 3.1, every operation has
 * exactly one handler (and every handler an operation), each operation's documented role is the
 * one the access policy enforces, and requests the contract refuses are refused before any
 * handler runs (the handlers here have no stores behind them), in the API's error shape.
 */
class ApiContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Vertx vertx;
    private static OpenAPIContract contract;
    private static HttpServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        contract = ApiContract.load(vertx).await();
        HttpApi api = api();
        Router router = api.router(vertx).await();
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
    }

    private static HttpApi api() {
        AuthHandler auth = new AuthHandler(new AuthConfig(false, null, true, 0, 0), null, HttpApi::refuse);
        List<Routes> routes = new ArrayList<>(HttpApi.routes(null, null, null, null, null, null, null,
                new AdminRoutes(null, null, null, null, null, null, null), new TokenRoutes(null, null), new ScheduleRoutes(null, null)));
        routes.add(new ModuleRoutes(null, 1, null));
        return new HttpApi(routes, null, () -> true, 1024, auth);
    }

    @Test
    void everyOperationHasAHandlerAndEveryHandlerAnOperation() {
        Set<String> documented = contract.operations().stream().map(Operation::getOperationId).collect(Collectors.toCollection(TreeSet::new));
        Set<String> implemented = new TreeSet<>(api().operations().keySet());
        assertEquals(documented, implemented);
    }

    @Test
    void everyOperationNeedsTheRoleTheAccessPolicyEnforces() {
        AccessPolicy policy = new AccessPolicy(true);
        List<String> wrong = new ArrayList<>();
        for (Path path : contract.getPaths()) {
            String concrete = path.getName().replaceAll("\\{[^}]+}", "x");
            for (Operation op : path.getOperations()) {
                AccessPolicy.Access needed = policy.required(op.getHttpMethod().name(), concrete);
                String enforced = needed.isPublic() ? "public" : needed.role().wire();
                if (!enforced.equals(ApiContract.role(op))) {
                    wrong.add(op.getHttpMethod() + " " + path.getName() + ": documented " + ApiContract.role(op) + ", enforced " + enforced);
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void eachSchemasValidatorIsBuiltOnceAndStillRefusesWhatTheSchemaRefuses() {
        JsonSchema body = contract.operation("submitJob").getRequestBody().getContent().get("application/json").getSchema();
        Validator first = contract.getSchemaRepository().validator(body);
        assertSame(first, contract.getSchemaRepository().validator(body));
        assertFalse(first.validate(new JsonObject().put("parameters", "not an object")).getValid());
        assertTrue(first.validate(new JsonObject().put("parameters", new JsonObject().put("n", 1))).getValid());
    }

    @Test
    void namePatternsAreTheOnesTheCodeChecks() {
        var schemas = ApiContract.json().getJsonObject("components").getJsonObject("schemas");
        assertEquals("^" + PipelineParser.NAME.pattern() + "$", schemas.getJsonObject("Name").getString("pattern"));
        assertEquals("^" + TokenRoutes.NAME.pattern() + "$", schemas.getJsonObject("TokenName").getString("pattern"));
    }

    @Test
    void theContractIsServedAsWritten() throws Exception {
        HttpResponse<String> r = send("GET", "/openapi.yaml", null, null);
        assertEquals(200, r.statusCode());
        assertEquals(ApiContract.text(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/yaml"));
    }

    /** method, path, content type ("-" none), body ("-" none), status, problem path that must be named. */
    @ParameterizedTest(name = "{0} {1} {3} -> {4} at {5}")
    @CsvSource(delimiter = '|', value = {
            "POST | /api/v1/runs | application/json | {\"name\":\"x\"} | 400 | pipeline_id",
            "POST | /api/v1/runs | application/json | {\"pipeline_id\":\"p\",\"colour\":\"red\"} | 400 | colour",
            "POST | /api/v1/runs | application/json | {\"pipeline_id\":\"p\",\"priority\":\"urgent\"} | 400 | priority",
            "POST | /api/v1/runs | application/json | {\"pipeline_id\":7} | 400 | pipeline_id",
            "POST | /api/v1/runs | application/json | {\"pipeline_id\":\"p\",\"tags\":{\"a\":[1]}} | 400 | tags.a",
            "POST | /api/v1/runs | - | {\"pipeline_id\":\"p\",\"colour\":\"red\"} | 400 | colour",
            "POST | /api/v1/runs | application/json | [1,2] | 400 | $",
            "POST | /api/v1/runs | application/json | {not json | 400 | $",
            "POST | /api/v1/runs | text/csv | a,b | 415 | Content-Type",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"config\":{\"infra\":{\"cpu\":0}}} | 400 | config.infra.cpu",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"config\":{\"infra\":{\"memory\":\"2GB\"}}} | 400 | config.infra.memory",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"config\":{\"infra\":{\"storage\":0}}} | 400 | config.infra.storage",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"outputs\":[\"a\",3]} | 400 | outputs[1]",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"start\":\"yes\"} | 400 | start",
            "POST | /api/v1/pipelines/p/jobs | application/json | {\"inputs\":{\"doc\":null}} | 400 | inputs.doc",
            "POST | /api/v1/runs/rabcdefgh/jobs | application/json | {\"priority\":\"high\"} | 400 | priority",
            "PUT | /api/v1/admin/limits/processor/p | application/json | {\"max\":0} | 400 | max",
            "PUT | /api/v1/admin/limits/queue/p | application/json | {\"max\":3} | 400 | kind",
            "POST | /api/v1/tokens | application/json | {\"name\":\"ci\",\"role\":\"root\"} | 400 | role",
            "GET | /api/v1/jobs?page_size=0 | - | - | 400 | page_size",
            "GET | /api/v1/jobs?page_size=ten | - | - | 400 | page_size",
            "GET | /api/v1/jobs?status=RUNNING,DONE | - | - | 400 | status",
            "GET | /api/v1/runs?priority=urgent | - | - | 400 | priority",
            "GET | /api/v1/jobs?trigger=cron | - | - | 400 | trigger",
            "GET | /api/v1/pipelines/p/graph?format=png | - | - | 400 | format",
            "GET | /api/v1/pipelines/p?version=0 | - | - | 400 | version",
            "POST | /api/v1/admin/pools/default/drain?timeout=-1 | - | - | 400 | timeout",
            "GET | /api/v1/admin/dlq?limit=0 | - | - | 400 | limit",
            "GET | /api/v1/jobs/j/tasks?status=SUCCESS,DONE | - | - | 400 | status",
            "GET | /api/v1/jobs/j/tasks?page_size=1001 | - | - | 400 | page_size",
            "GET | /api/v1/jobs/j/tasks?page_after= | - | - | 400 | page_after",
            "GET | /api/v1/jobs/j/consumables?page_size=0 | - | - | 400 | page_size",
    })
    void refusedByTheContractBeforeAnyHandler(String method, String path, String type, String body, int status, String at) throws Exception {
        HttpResponse<String> r = send(method, path, "-".equals(type) ? null : type, "-".equals(body) ? null : body);
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertTrue(error.path("message").isTextual(), r.body());
        List<String> paths = new ArrayList<>();
        error.path("problems").forEach(p -> paths.add(p.path("path").asText()));
        assertTrue(paths.contains(at), "expected a problem at '" + at + "', got " + paths + ": " + r.body());
    }

    private static HttpResponse<String> send(String method, String path, String type, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
