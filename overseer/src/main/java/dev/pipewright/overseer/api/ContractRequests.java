package dev.pipewright.overseer.api;

import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.RequestBody;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How requests meet the contract: the body the overseer has already read (under its cap) is what
 * gets validated, a request without a {@code Content-Type} (or with curl's default form type) is
 * read as the operation's first media type, an undeclared media type is a 415, and a validation
 * failure becomes a 400 listing every problem with its location ({@code config.infra.cpu},
 * {@code outputs[0]}, or the query parameter's name).
 */
final class ContractRequests {
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
        for (var type : declared.getContent().entrySet()) {
            if (ApiContract.baseType(type.getKey()).equals(base)) {
                // a media type declared without a schema is text its handler parses (a pipeline document
                // as JSON gets the parser's problems with their locations, not a bare syntax error)
                return type.getValue().getSchema() == null ? schemaless(declared, contentType) : contentType;
            }
        }
        throw new ApiException(415, "unsupported_media_type", "Content-Type '" + contentType + "' is not taken here; send one of "
                + declared.getContent().keySet(), List.of(new Problem("Content-Type", "expected one of " + declared.getContent().keySet())));
    }

    private static String schemaless(RequestBody declared, String contentType) {
        for (var type : declared.getContent().entrySet()) {
            if (type.getValue().getSchema() == null && ApiContract.TEXT_TYPES.contains(ApiContract.baseType(type.getKey()))) {
                return type.getKey();
            }
        }
        return contentType;
    }

    private static final JsonObject DOCUMENT = ApiContract.json();

    /** Whether a routing failure is a refusal: one of ours, or the contract's validation. */
    static boolean isRefusal(Throwable failure) {
        Throwable cause = failure instanceof HttpException && failure.getCause() != null ? failure.getCause() : failure;
        return failure instanceof ApiException || failure instanceof Refusal || cause instanceof ValidatorException;
    }

    /** The refusal a routing failure stands for, or null when it is not one of the contract's. */
    static ApiException refusal(Throwable failure, RoutingContext ctx, String bodyKey) {
        if (failure instanceof ApiException api) {
            return api;
        }
        if (failure instanceof Refusal r) {
            return ApiException.of(r);
        }
        Throwable cause = failure instanceof HttpException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ValidatorException invalid) {
            Buffer body = ctx.get(bodyKey);
            Map<String, List<String>> query = new LinkedHashMap<>();
            for (String name : ctx.request().params().names()) {
                query.put(name, ctx.request().params().getAll(name));
            }
            for (String name : ctx.request().headers().names()) {
                query.put(ContractProblems.headerKey(name), ctx.request().headers().getAll(name));
            }
            Operation operation = ctx.get(OPERATION);
            return new ContractProblems(operation, DOCUMENT, body == null ? null : body.toString(StandardCharsets.UTF_8), query)
                    .refusal(invalid);
        }
        return null;
    }
}
