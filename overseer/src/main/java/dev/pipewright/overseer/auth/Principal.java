package dev.pipewright.overseer.auth;

/**
 * Who makes a request: the owner recorded on what they create, their role, and the id of the token
 * they showed (null when authentication is off). The API's auth handler puts it on each request.
 */
public record Principal(String owner, Role role, String tokenId) {
    /** Stands for every request while {@code PW_AUTH=off}. */
    public static final Principal ANONYMOUS = new Principal("anonymous", Role.ADMIN, null);

    public Principal {
        if (owner == null || owner.isBlank() || role == null) {
            throw new IllegalArgumentException("a principal needs an owner and a role");
        }
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
