package dev.pipewright.overseer.auth;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a token may do, ordered: each role includes the ones before it. {@code read} sees
 * pipelines, its own jobs and workers; {@code submit} also posts pipelines, submits, cancels and
 * re-runs jobs; {@code developer} also uploads and deletes modules (code that workers run);
 * {@code admin} also sees every job and reaches the operator and token endpoints.
 */
public enum Role {
    READ, SUBMIT, DEVELOPER, ADMIN;

    public boolean includes(Role other) {
        return compareTo(other) >= 0;
    }

    /** The name on the wire and on the command line: read, submit, developer, admin. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role of this wire name, or null when there is none. */
    public static Role parse(String text) {
        if (text == null) {
            return null;
        }
        return Arrays.stream(values()).filter(r -> r.wire().equals(text.trim().toLowerCase(Locale.ROOT))).findFirst().orElse(null);
    }

    @Override
    public String toString() {
        return wire();
    }
}
