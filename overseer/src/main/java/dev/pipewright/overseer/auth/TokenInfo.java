package dev.pipewright.overseer.auth;

import java.time.Instant;

/**
 * What is known about a token besides its secret: the public id, a label, the owner recorded on
 * jobs it creates, its role, when and by whom it was made. Stored as JSON under the secret's SHA-256.
 */
public record TokenInfo(String id, String name, String owner, Role role, Instant createdAt, String createdBy) {
    public Principal principal() {
        return new Principal(owner, role, id);
    }
}
