package dev.pipewright.overseer.api;

import dev.pipewright.overseer.auth.Role;
import dev.pipewright.overseer.auth.TokenSecrets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The auth handler's pure parts: which roles are rate limited, how a bearer header is read. */
class AuthHandlerTest {
    @Test
    void onlyReadAndSubmitTokensAreRateLimited() {
        assertTrue(AuthHandler.limited(Role.READ));
        assertTrue(AuthHandler.limited(Role.SUBMIT));
        assertFalse(AuthHandler.limited(Role.ADMIN));
    }

    @Test
    void bearerHeaderParsing() {
        assertEquals("pw_abc", AuthHandler.bearer("Bearer pw_abc"));
        assertEquals("pw_abc", AuthHandler.bearer("bearer   pw_abc "));
        assertNull(AuthHandler.bearer("Basic dXNlcjpwYXNz"));
        assertNull(AuthHandler.bearer("Bearer"));
        assertNull(AuthHandler.bearer("Bearer "));
        assertNull(AuthHandler.bearer("pw_abc"));
        assertNull(AuthHandler.bearer("Bearer two words"));
        assertNull(AuthHandler.bearer("Bearer " + "x".repeat(TokenSecrets.MAX_PRESENTED_LENGTH + 1)));
    }
}
