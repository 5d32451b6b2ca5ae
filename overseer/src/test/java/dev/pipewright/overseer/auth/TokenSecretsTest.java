package dev.pipewright.overseer.auth;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenSecretsTest {
    @Test
    void secretsArePrefixedBase64urlOf256RandomBits() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String s = TokenSecrets.newSecret();
            assertEquals(TokenSecrets.LENGTH, s.length(), s);
            assertTrue(s.matches("pw_[A-Za-z0-9_-]{43}"), s);
            assertEquals(32, java.util.Base64.getUrlDecoder().decode(s.substring(3)).length);
            assertTrue(seen.add(s), "a secret repeated");
        }
    }

    @Test
    void idsAreShortAndDistinct() {
        String a = TokenSecrets.newId();
        assertTrue(a.matches("tok_[0-9a-f]{12}"), a);
        assertNotEquals(a, TokenSecrets.newId());
    }

    @Test
    void digestIsSha256OfTheUtf8Text() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TokenSecrets.sha256Hex("abc"));
        assertEquals(32, TokenSecrets.sha256("pw_x").length);
    }

    @Test
    void matchesComparesDigests() {
        String s = TokenSecrets.newSecret();
        byte[] digest = TokenSecrets.sha256(s);
        assertTrue(TokenSecrets.matches(s, digest));
        assertFalse(TokenSecrets.matches(s + "x", digest));
        assertFalse(TokenSecrets.matches(s.substring(1), digest));
        assertFalse(TokenSecrets.matches(s, null));
        assertEquals(HexFormat.of().formatHex(digest), TokenSecrets.sha256Hex(s));
    }
}
