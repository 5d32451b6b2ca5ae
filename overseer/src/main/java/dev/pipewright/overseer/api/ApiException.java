package dev.pipewright.overseer.api;

import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/** A refusal the API reports as {@code {"error": {code, message, problems}}} with an HTTP status. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final transient List<Problem> problems;

    public ApiException(int status, String code, String message, List<Problem> problems) {
        super(message);
        this.status = status;
        this.code = code;
        this.problems = List.copyOf(problems);
    }

    /** The HTTP answer to a domain refusal: the one place a refusal gets its status. */
    public static ApiException of(Refusal r) {
        int status = switch (r) {
            case Refusal.Invalid i -> 400;
            case Refusal.Forbidden f -> 403;
            case Refusal.NotFound n -> 404;
            case Refusal.Conflict c -> 409;
            case Refusal.Unavailable u -> 503;
        };
        ApiException e = new ApiException(status, r.code(), r.getMessage(), r.problems());
        e.initCause(r);
        return e;
    }

    public static ApiException badRequest(String code, String message, List<Problem> problems) {
        return new ApiException(400, code, message, problems);
    }

    public static ApiException badRequest(String message, String path) {
        return new ApiException(400, "bad_request", message, List.of(new Problem(path, message)));
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message, List.of());
    }

    public static ApiException forbidden(String message, String path) {
        return new ApiException(403, "forbidden", message, path == null ? List.of() : List.of(new Problem(path, message)));
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message, List.of());
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "unavailable", message, List.of());
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<Problem> problems() {
        return problems;
    }
}
