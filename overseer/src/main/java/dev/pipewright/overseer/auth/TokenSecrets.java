package dev.pipewright.overseer.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Token secrets: {@code pw_} followed by 32 random bytes (256 bits) in unpadded base64url. Only
 * their SHA-256 is ever stored; a secret is compared by its digest in constant time.
 */
public final class TokenSecrets {
    public static final String PREFIX = "pw_";
    static final int SECRET_BYTES = 32;
    /** {@code pw_} + 43 base64url characters. */
    public static final int LENGTH = PREFIX.length() + 43;
    /** A longer Authorization header is refused before anything is hashed. */
    public static final int MAX_PRESENTED_LENGTH = 512;

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenSecrets() {
    }

    public static String newSecret() {
        byte[] b = new byte[SECRET_BYTES];
        RANDOM.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A short public id for listing and revoking, e.g. {@code tok_3f9a0c12d4e6}. */
    public static String newId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return "tok_" + HexFormat.of().formatHex(b);
    }

    public static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String sha256Hex(String secret) {
        return HexFormat.of().formatHex(sha256(secret));
    }

    /** Constant-time: the time taken does not depend on where the digests differ. */
    public static boolean matches(String presented, byte[] expectedDigest) {
        return expectedDigest != null && MessageDigest.isEqual(sha256(presented), expectedDigest);
    }
}
