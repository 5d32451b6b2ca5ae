package dev.pipewright.overseer.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/**
 * A token as the tokens API shows it: never its secret, except {@code token} in the answer that
 * created it. The {@code PW_ADMIN_TOKEN} one ({@code source: setting}) has no creation time.
 */
public record TokenView(
        String id, String name, String owner, String role, @JsonProperty("created_at") String createdAt,
        @JsonProperty("created_by") String createdBy, @JsonProperty("last_used_at") String lastUsedAt, String source,
        @JsonInclude(JsonInclude.Include.NON_NULL) String token) {

    /** The token as listed, last used at {@code lastUsed} (null: not yet). */
    public static TokenView of(TokenInfo t, Instant lastUsed) {
        boolean env = Tokens.ENV_ADMIN_ID.equals(t.id());
        return new TokenView(t.id(), t.name(), t.owner(), t.role().wire(), env ? null : t.createdAt().toString(), t.createdBy(),
                lastUsed == null ? null : lastUsed.toString(), env ? "setting" : "api", null);
    }

    /** The answer to its creation: with the secret, shown this once. */
    public static TokenView created(Tokens.Created c) {
        TokenView v = of(c.info(), null);
        return new TokenView(v.id, v.name, v.owner, v.role, v.createdAt, v.createdBy, v.lastUsedAt, v.source, c.secret());
    }

    /** {@code DELETE /tokens/{id}}. */
    public record Revoked(String id, boolean revoked) {
    }
}
