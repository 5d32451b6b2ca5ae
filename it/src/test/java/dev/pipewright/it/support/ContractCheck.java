package dev.pipewright.it.support;

import dev.pipewright.overseer.api.ApiContract;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Response;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every answer the integration tests get from the overseer is checked against the contract
 * ({@code openapi.yaml}): the operation exists, the status is one it declares, the Content-Type is
 * one it declares for that status, and a JSON body matches the declared schema. A mismatch fails
 * the test that made the request. {@link #seen()} lists the operations answered so far.
 */
public final class ContractCheck {
    private static final Vertx VERTX = Vertx.vertx();
    private static final OpenAPIContract CONTRACT = ApiContract.load(VERTX).await();
    private static final Map<String, Boolean> SEEN = new ConcurrentHashMap<>();

    private ContractCheck() {
    }

    public static OpenAPIContract contract() {
        return CONTRACT;
    }

    /** Operation ids answered with a documented success (2xx) so far, in this JVM. */
    public static Set<String> seen() {
        return new TreeSet<>(SEEN.keySet());
    }

    /**
     * Checks one answer.
     *
     * @param path the request path without the query
     * @throws AssertionError naming the operation and what does not match
     */
    public static void verify(String method, String path, int status, String contentType, byte[] body) {
        Operation op = CONTRACT.findOperation(path, HttpMethod.valueOf(method));
        if (op == null) {
            if (status == 404 || status == 401 || status == 413 || status == 414 || status == 429 || status == 431) {
                return; // an endpoint nobody serves: refused before any operation is known
            }
            if (status == 405) {
                boolean served = false;
                for (HttpMethod other : java.util.List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH)) {
                    served |= CONTRACT.findOperation(path, other) != null;
                }
                if (!served) {
                    throw new AssertionError("contract: " + method + " " + path + " answered 405 but no method of that path is in openapi.yaml");
                }
                return; // a path of the contract asked with a method it does not take
            }
            throw new AssertionError("contract: " + method + " " + path + " answered " + status + " but openapi.yaml has no such operation");
        }
        String where = op.getOperationId() + " (" + method + " " + path + ") answered " + status;
        Response declared = op.getResponse(status);
        if (declared == null) {
            declared = op.getDefaultResponse();
        }
        if (declared == null) {
            throw new AssertionError("contract: " + where + ", a status openapi.yaml does not declare for it: "
                    + abbreviate(new String(body, java.nio.charset.StandardCharsets.UTF_8)));
        }
        if (declared.getContent().isEmpty()) {
            return;
        }
        MediaType media = mediaType(declared, contentType);
        if (media == null) {
            throw new AssertionError("contract: " + where + " with Content-Type '" + contentType + "', not one of "
                    + declared.getContent().keySet());
        }
        if (media.getSchema() != null && "application/json".equals(ApiContract.baseType(contentType))) {
            Object value;
            try {
                value = Json.decodeValue(Buffer.buffer(body));
            } catch (DecodeException e) {
                throw new AssertionError("contract: " + where + " with a body that is not JSON: " + abbreviate(new String(body)));
            }
            OutputUnit result = CONTRACT.getSchemaRepository().validator(media.getSchema()).validate(value);
            if (!Boolean.TRUE.equals(result.getValid())) {
                throw new AssertionError("contract: " + where + " with a body that does not match its schema: "
                        + describe(result) + "\nbody: " + abbreviate(new String(body)));
            }
        }
        if (status >= 200 && status < 300) {
            SEEN.put(op.getOperationId(), true);
        }
    }

    private static MediaType mediaType(Response declared, String contentType) {
        String base = ApiContract.baseType(contentType);
        MediaType wildcard = null;
        for (Map.Entry<String, MediaType> e : declared.getContent().entrySet()) {
            String type = ApiContract.baseType(e.getKey());
            if (type.equals(base)) {
                return e.getValue();
            }
            if (type.equals("*/*")) {
                wildcard = e.getValue();
            }
        }
        return base == null ? null : wildcard;
    }

    private static String describe(OutputUnit unit) {
        StringBuilder sb = new StringBuilder();
        describe(unit, sb);
        return sb.toString();
    }

    private static void describe(OutputUnit unit, StringBuilder sb) {
        if (unit.getErrors() != null && !unit.getErrors().isEmpty()) {
            unit.getErrors().forEach(u -> describe(u, sb));
        } else if (unit.getError() != null) {
            sb.append("\n  ").append(unit.getInstanceLocation()).append(": ").append(unit.getError())
                    .append(" (").append(unit.getKeywordLocation()).append(')');
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }
}
