package dev.pipewright.overseer.refusal;

import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/**
 * Why the overseer will not do what it was asked, in its own words: the request is invalid (with
 * its problems), something it names does not exist, it conflicts with the current state, the caller
 * may not do it, or a store it needs is unavailable. Stores, the submitter, limits and the scheduler
 * throw these; only the API layer turns them into HTTP, so nothing else knows a status code.
 * {@code code} is the machine-readable word clients see ({@code bad_request}, {@code not_found},
 * {@code job_exists}…).
 */
public abstract sealed class Refusal extends RuntimeException {
    private final String code;
    private final transient List<Problem> problems;

    private Refusal(String code, String message, List<Problem> problems) {
        super(message);
        this.code = code;
        this.problems = List.copyOf(problems);
    }

    public String code() {
        return code;
    }

    public List<Problem> problems() {
        return problems;
    }

    /** The request is wrong: a value, a field, a combination. */
    public static final class Invalid extends Refusal {
        private Invalid(String code, String message, List<Problem> problems) {
            super(code, message, problems);
        }
    }

    /** What the request names does not exist (or the caller may not see it). */
    public static final class NotFound extends Refusal {
        private NotFound(String message) {
            super("not_found", message, List.of());
        }
    }

    /** The request contradicts the current state (already exists, already ended, still in use). */
    public static final class Conflict extends Refusal {
        private Conflict(String code, String message) {
            super(code, message, List.of());
        }
    }

    /** The caller may not do this. */
    public static final class Forbidden extends Refusal {
        private Forbidden(String message, List<Problem> problems) {
            super("forbidden", message, problems);
        }
    }

    /** A store the request needs cannot be reached; trying again later may work. */
    public static final class Unavailable extends Refusal {
        private Unavailable(String message) {
            super("unavailable", message, List.of());
        }
    }

    public static Invalid invalid(String code, String message, List<Problem> problems) {
        return new Invalid(code, message, problems);
    }

    /** One wrong value, at {@code path}. */
    public static Invalid invalid(String message, String path) {
        return new Invalid("bad_request", message, List.of(new Problem(path, message)));
    }

    public static NotFound notFound(String message) {
        return new NotFound(message);
    }

    public static Conflict conflict(String message) {
        return new Conflict("conflict", message);
    }

    public static Conflict conflict(String code, String message) {
        return new Conflict(code, message);
    }

    public static Forbidden forbidden(String message, String path) {
        return new Forbidden(message, path == null ? List.of() : List.of(new Problem(path, message)));
    }

    public static Unavailable unavailable(String message) {
        return new Unavailable(message);
    }
}
