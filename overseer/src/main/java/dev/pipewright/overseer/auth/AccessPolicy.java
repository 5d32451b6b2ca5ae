package dev.pipewright.overseer.auth;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one table of which role each route needs; the first rule that matches wins. New endpoints
 * fall under the defaults at the bottom: reading needs {@code read}, changing needs {@code submit},
 * everything under {@code /api/v1/admin} and {@code /api/v1/tokens} needs {@code admin}; changing
 * modules ({@code /api/v1/modules}) needs {@code developer}. A path
 * nobody serves still needs a token, so an anonymous caller learns nothing about the routes.
 */
public final class AccessPolicy {
    /** What a request needs: nothing ({@link #isPublic()}), or a token of at least {@link #role()}. */
    public record Access(Role role) {
        public static final Access PUBLIC = new Access(null);

        public boolean isPublic() {
            return role == null;
        }
    }

    private record Rule(Set<String> methods, Predicate<String> path, Access access, String why) {
        boolean matches(String method, String p) {
            return (methods.isEmpty() || methods.contains(method)) && path.test(p);
        }
    }

    private static final Set<String> ANY = Set.of();
    private static final Set<String> READING = Set.of("GET", "HEAD", "OPTIONS");

    private final List<Rule> rules;

    /** @param metricsPublic whether {@code /metrics} answers without a token ({@code PW_METRICS_PUBLIC}) */
    public AccessPolicy(boolean metricsPublic) {
        this.rules = List.of(
                new Rule(ANY, exact("/health"), Access.PUBLIC, "liveness probe"),
                new Rule(ANY, exact("/ready"), Access.PUBLIC, "readiness probe"),
                new Rule(READING, exact("/openapi.yaml"), Access.PUBLIC, "the API contract"),
                new Rule(ANY, exact("/metrics"), metricsPublic ? Access.PUBLIC : new Access(Role.READ), "Prometheus scrape"),
                new Rule(ANY, under("/api/v1/admin"), new Access(Role.ADMIN), "operator endpoints"),
                new Rule(ANY, under("/api/v1/tokens"), new Access(Role.ADMIN), "token management"),
                new Rule(Set.of("POST", "PUT", "DELETE"), under("/api/v1/modules"), new Access(Role.DEVELOPER),
                        "modules are code workers run: uploading and deleting them is its own role"),
                new Rule(Set.of("POST"), exact("/api/v1/pipelines/validate"), new Access(Role.READ), "validation changes nothing"),
                new Rule(Set.of("POST"), p -> p.startsWith("/api/v1/pipelines/") && p.endsWith("/plan")
                        && p.indexOf('/', "/api/v1/pipelines/".length()) == p.length() - "/plan".length(),
                        new Access(Role.READ), "a plan with input values changes nothing"),
                new Rule(READING, p -> true, new Access(Role.READ), "reading"),
                new Rule(ANY, p -> true, new Access(Role.SUBMIT), "anything that changes state"));
    }

    /** What a request with this method and (normalized) path needs. */
    public Access required(String method, String path) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (Rule r : rules) {
            if (r.matches(method, p)) {
                return r.access();
            }
        }
        throw new IllegalStateException("the last rule matches everything");
    }

    private static Predicate<String> exact(String path) {
        return path::equals;
    }

    private static Predicate<String> under(String prefix) {
        return p -> p.equals(prefix) || p.startsWith(prefix + "/");
    }
}
