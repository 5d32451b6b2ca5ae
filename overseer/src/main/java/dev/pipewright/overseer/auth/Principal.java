package dev.pipewright.overseer.auth;

import io.vertx.ext.web.RoutingContext;

/**
 * Who makes a request: the owner recorded on what they create, their role, and the id of the token
 * they showed (null when authentication is off). Handlers read it with {@link #of(RoutingContext)}.
 */
public record Principal(String owner, Role role, String tokenId) {
    /** Stands for every request while {@code PW_AUTH=off}. */
    public static final Principal ANONYMOUS = new Principal("anonymous", Role.ADMIN, null);

    static final String KEY = "pw.principal";

    public Principal {
        if (owner == null || owner.isBlank() || role == null) {
            throw new IllegalArgumentException("a principal needs an owner and a role");
        }
    }

    /**
     * The principal the auth handler put on this request. Fails closed: a route that needs none
     * (a probe) has none, and asking for it there is a bug, not an anonymous admin.
     */
    public static Principal of(RoutingContext ctx) {
        Principal p = ctx.get(KEY);
        if (p == null) {
            throw new IllegalStateException("no principal on " + ctx.request().method() + " " + ctx.normalizedPath()
                    + ": the route is public or the auth handler did not run");
        }
        return p;
    }

    public boolean isAdmin() {
        return role.includes(Role.ADMIN);
    }

    /**
     * Whether this principal may see something created by {@code owner}: its owner and admins may;
     * something without an owner (created before authentication existed) only admins.
     */
    public boolean canSee(String owner) {
        return isAdmin() || (owner != null && owner.equals(this.owner));
    }
}
