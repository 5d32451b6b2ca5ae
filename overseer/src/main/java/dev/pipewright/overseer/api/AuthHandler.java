package dev.pipewright.overseer.api;

import dev.pipewright.overseer.auth.AccessPolicy;
import dev.pipewright.overseer.auth.AuthConfig;
import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.auth.RateLimiter;
import dev.pipewright.overseer.auth.Role;
import dev.pipewright.overseer.auth.TokenInfo;
import dev.pipewright.overseer.auth.TokenSecrets;
import dev.pipewright.overseer.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Runs before every route: finds what the route needs ({@link AccessPolicy}), checks the bearer
 * token, the role and the token's rate, and puts the {@link Principal} on the request. Refusals:
 * 401 with {@code WWW-Authenticate: Bearer} for a missing, malformed, unknown or revoked token, 403
 * naming the role needed and the role held, 429 with {@code Retry-After} past the token's rate (read
 * and submit tokens only; admin tokens are not rate limited).
 * The request body is not read before the caller is known.
 */
public final class AuthHandler implements Handler<RoutingContext> {
    private static final String PRINCIPAL = "pw.principal";

    /**
     * The principal this handler put on the request. Fails closed: a route that needs none (a probe)
     * has none, and asking for it there is a bug, not an anonymous admin.
     */
    public static Principal principal(RoutingContext ctx) {
        Principal p = ctx.get(PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("no principal on " + ctx.request().method() + " " + ctx.normalizedPath()
                    + ": the route is public or the auth handler did not run");
        }
        return p;
    }

    private static final String TOKEN_CHECK = "pw.token.check";

    /**
     * Asks whether the request's token is still valid (not revoked since the request began): a long
     * answer (a log stream) asks it again while it runs. Always true where no token was checked
     * ({@code PW_AUTH=off}).
     */
    public static java.util.function.BooleanSupplier tokenCheck(RoutingContext ctx) {
        java.util.function.BooleanSupplier check = ctx.get(TOKEN_CHECK);
        return check == null ? () -> true : check;
    }

    private static final Logger LOG = LoggerFactory.getLogger(AuthHandler.class);
    private static final String CHALLENGE = "Bearer realm=\"pipewright\"";

    private final AuthConfig config;
    private final AccessPolicy policy;
    private final Tokens tokens;
    private final RateLimiter limiter;
    private final BiConsumer<RoutingContext, ApiException> refuse;

    /** @param refuse writes an error answer (the API's one error shape) */
    public AuthHandler(AuthConfig config, Tokens tokens, BiConsumer<RoutingContext, ApiException> refuse) {
        this.config = config;
        this.policy = new AccessPolicy(config.metricsPublic());
        this.tokens = tokens;
        this.limiter = config.rateLimited() ? new RateLimiter(config.ratePerSecond(), config.rateBurst()) : null;
        this.refuse = refuse;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        AccessPolicy.Access access = policy.required(req.method().name(), ctx.normalizedPath());
        if (access.isPublic()) {
            ctx.next();
            return;
        }
        if (!config.enabled()) {
            ctx.put(PRINCIPAL, Principal.ANONYMOUS);
            ctx.next();
            return;
        }
        String header = req.getHeader("Authorization");
        if (header == null || header.isBlank()) {
            unauthorized(ctx, null, "this endpoint needs a bearer token: send 'Authorization: Bearer <token>' "
                    + "(the CLI sends $PW_TOKEN; an admin makes tokens with 'pipewright token create')");
            return;
        }
        String secret = bearer(header);
        if (secret == null) {
            unauthorized(ctx, "invalid_request", "malformed Authorization header: expected 'Bearer <token>'");
            return;
        }
        req.pause(); // the body stays unread until the caller is known
        Future.fromCompletionStage(tokens.find(secret), ctx.vertx().getOrCreateContext()).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("token lookup failed: {}", ar.cause().toString());
                refuse.accept(ctx, ApiException.unavailable("cannot check the token: the token store (Redis) is unavailable; try again"));
                return;
            }
            TokenInfo token = ar.result();
            if (token == null) {
                unauthorized(ctx, "invalid_token", "the bearer token is unknown or revoked");
                return;
            }
            if (!token.role().includes(access.role())) {
                ctx.response().putHeader("WWW-Authenticate", CHALLENGE + ", error=\"insufficient_scope\"");
                refuse.accept(ctx, new ApiException(403, "forbidden", req.method().name() + " " + ctx.normalizedPath()
                        + " needs role '" + access.role().wire() + "'; token " + token.id() + " ('" + token.name()
                        + "') has role '" + token.role().wire() + "'", List.of()));
                return;
            }
            if (limiter != null && limited(token.role())) {
                Duration wait = limiter.acquire(token.id());
                if (!wait.isZero()) {
                    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
                    ctx.response().putHeader("Retry-After", Long.toString(seconds));
                    refuse.accept(ctx, new ApiException(429, "rate_limited", "token " + token.id() + " made more than "
                            + config.ratePerSecond() + " requests per second (burst " + config.rateBurst()
                            + "); retry after " + seconds + " s", List.of()));
                    return;
                }
            }
            tokens.touch(token);
            ctx.put(PRINCIPAL, token.principal());
            ctx.put(TOKEN_CHECK, (java.util.function.BooleanSupplier) () -> tokens.stillValid(secret));
            ctx.next();
        });
    }

    /**
     * Whether a token of this role is held to {@code PW_RATE_LIMIT}: {@code read} and {@code submit}
     * tokens are; {@code admin} tokens (operators' automation, the benchmark) are not, so watching or
     * submitting in bulk with one never waits on the limit.
     */
    static boolean limited(Role role) {
        return !role.includes(Role.ADMIN);
    }

    /** Forgets a revoked token's rate bucket. */
    public void revoked(String tokenId) {
        if (limiter != null) {
            limiter.forget(tokenId);
        }
    }

    private void unauthorized(RoutingContext ctx, String error, String message) {
        ctx.response().putHeader("WWW-Authenticate", error == null ? CHALLENGE : CHALLENGE + ", error=\"" + error + "\"");
        refuse.accept(ctx, new ApiException(401, "unauthorized", message, List.of()));
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null when the header is not one. */
    static String bearer(String header) {
        String h = header.trim();
        int space = h.indexOf(' ');
        if (space < 0 || !h.substring(0, space).equalsIgnoreCase("Bearer")) {
            return null;
        }
        String token = h.substring(space + 1).trim();
        if (token.isEmpty() || token.length() > TokenSecrets.MAX_PRESENTED_LENGTH || !token.matches("[\\x21-\\x7e]+")) {
            return null;
        }
        return token;
    }
}
