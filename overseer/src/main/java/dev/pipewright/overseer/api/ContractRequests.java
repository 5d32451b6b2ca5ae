package dev.pipewright.overseer.api;

import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.RequestBody;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How requests meet the contract: the body the overseer has already read (under its cap) is what
 * gets validated, a request without a {@code Content-Type} (or with curl's default form type) is
 * read as the operation's first media type, an undeclared media type is a 415, and a validation
 * failure becomes a 400 listing every problem with its location ({@code config.infra.cpu},
 * {@code outputs[0]}, or the query parameter's name).
 */
final class ContractRequests {
    private static final Pattern PARAMETER = Pattern.compile("(?:query|path|header|cookie) parameter (\\S+)");
    /** Where the extractor leaves the request's operation, for the failure handler. */
    static final String OPERATION = "pw.operation";
    private static final String FORM = "application/x-www-form-urlencoded";

    private ContractRequests() {
    }

    /** Validates the body kept under {@code bodyKey} by the body reader. */
    static RequestExtractor extractor(String bodyKey) {
        return (ctx, operation) -> {
            ctx.put(OPERATION, operation);
            Buffer read = ctx.get(bodyKey);
            Buffer body = read == null ? Buffer.buffer() : read;
            return RequestUtils.extract(ctx.request(), operation, () -> Future.succeededFuture(body)).map(request -> {
                RequestBody declared = operation.getRequestBody();
                if (declared == null || body.length() == 0) {
                    return request;
                }
                String type = mediaType(declared, request.getContentType());
                return (ValidatableRequest) new ValidatableRequestImpl(request.getCookies(), request.getHeaders(),
                        request.getPathParameters(), request.getQuery(), request.getBody(), type);
            });
        };
    }

    /** The media type a body is read as; 415 when the operation takes no such type. */
    static String mediaType(RequestBody declared, String contentType) {
        String base = ApiContract.baseType(contentType);
        if (base == null || base.isEmpty() || base.equals(FORM)) {
            return declared.getContent().keySet().iterator().next();
        }
        for (String type : declared.getContent().keySet()) {
            if (ApiContract.baseType(type).equals(base)) {
                return contentType;
            }
        }
        throw new ApiException(415, "unsupported_media_type", "Content-Type '" + contentType + "' is not taken here; send one of "
                + declared.getContent().keySet(), List.of(new Problem("Content-Type", "expected one of " + declared.getContent().keySet())));
    }

    /** The refusal a routing failure stands for, or null when it is not one of the contract's. */
    static ApiException refusal(Throwable failure, Operation operation) {
        if (failure instanceof ApiException api) {
            return api;
        }
        Throwable cause = failure instanceof HttpException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ValidatorException invalid) {
            List<Problem> problems = problems(invalid).stream().map(p -> explained(p, operation)).toList();
            return ApiException.badRequest("invalid_request", "the request does not match the API contract: "
                    + problems.stream().map(p -> p.path() + ": " + p.message()).reduce((a, b) -> a + "; " + b).orElse(invalid.getMessage()),
                    problems);
        }
        return null;
    }

    /** A parameter's problem, with what the contract says the parameter takes. */
    private static Problem explained(Problem p, Operation operation) {
        if (operation == null) {
            return p;
        }
        for (Parameter param : operation.getParameters()) {
            String about = param.getOpenAPIModel().getString("description");
            if (param.getName().equals(p.path()) && about != null) {
                return new Problem(p.path(), p.message() + " (" + param.getIn().toString().toLowerCase(java.util.Locale.ROOT)
                        + " parameter " + param.getName() + ": " + about.strip() + ")");
            }
        }
        return p;
    }

    static List<Problem> problems(ValidatorException e) {
        String message = e.getMessage() == null ? "invalid" : e.getMessage();
        Matcher m = PARAMETER.matcher(message);
        String parameter = m.find() ? m.group(1) : null;
        if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
            List<Leaf> leaves = new ArrayList<>();
            collect(schema.getOutputUnit(), leaves);
            Set<Problem> out = new LinkedHashSet<>();
            for (Leaf leaf : leaves) {
                if (leaf.generic() && leaves.stream().anyMatch(o -> !o.generic() && o.within(leaf.path()))) {
                    continue; // "property x does not match schema" when what is wrong inside x is listed
                }
                String path = parameter != null ? parameter : leaf.path().isEmpty() ? "$" : leaf.path();
                out.add(new Problem(path, leaf.message()));
            }
            if (!out.isEmpty()) {
                return new ArrayList<>(out);
            }
        }
        return List.of(new Problem(parameter != null ? parameter : "$", message));
    }

    /** One innermost error at the location ({@code config.infra.cpu}) of the value it is about. */
    private record Leaf(String path, String message, boolean generic) {
        boolean within(String outer) {
            return path.equals(outer) || outer.isEmpty() || path.startsWith(outer + ".") || path.startsWith(outer + "[");
        }
    }

    private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");
    private static final Pattern GENERIC = Pattern.compile("does not match schema|subschema had errors|Items did not match");

    private static void collect(OutputUnit unit, List<Leaf> out) {
        if (unit.getErrors() != null && !unit.getErrors().isEmpty()) {
            for (OutputUnit inner : unit.getErrors()) {
                collect(inner, out);
            }
            return;
        }
        if (unit.getError() == null) {
            return;
        }
        String path = path(unit.getInstanceLocation());
        String error = unit.getError();
        String keyword = unit.getKeywordLocation() == null ? "" : unit.getKeywordLocation();
        Matcher required = REQUIRED.matcher(error);
        if (required.find()) {
            out.add(new Leaf(join(path, required.group(1)), "missing: this field is required", false));
        } else if (keyword.endsWith("additionalProperties") || keyword.endsWith("unevaluatedProperties")) {
            // Vert.x also reports declared properties whose value failed; those are listed on their own
            out.add(new Leaf(path, "unknown field", true));
        } else {
            out.add(new Leaf(path, error, GENERIC.matcher(error).find()));
        }
    }

    /** A JSON pointer ({@code /config/infra/cpu}, {@code /outputs/0}) as the API writes locations. */
    static String path(String pointer) {
        if (pointer == null || pointer.isEmpty() || pointer.equals("#") || pointer.equals("/")) {
            return "";
        }
        String p = pointer.startsWith("#") ? pointer.substring(1) : pointer;
        StringBuilder sb = new StringBuilder();
        for (String part : p.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            String name = part.replace("~1", "/").replace("~0", "~");
            if (name.chars().allMatch(Character::isDigit)) {
                sb.append('[').append(name).append(']');
            } else {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(name);
            }
        }
        return sb.toString();
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
