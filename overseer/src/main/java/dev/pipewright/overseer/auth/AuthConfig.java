package dev.pipewright.overseer.auth;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;

/**
 * Authentication settings.
 *
 * @param enabled       {@code PW_AUTH}: {@code on} (default) or {@code off}; off lets every request
 *                      through as an anonymous admin and is meant for local experiments only
 * @param adminDigest   SHA-256 of {@code PW_ADMIN_TOKEN}, an admin token for automation and the
 *                      first start (the plain value is not kept); null when unset
 * @param metricsPublic {@code PW_METRICS_PUBLIC} (default true): {@code /metrics} answers without a
 *                      token, so Prometheus scrapes as before; false needs a read token
 * @param ratePerSecond {@code PW_RATE_LIMIT}: requests per second per read or submit token (0: no limit);
 *                      admin tokens are not limited
 * @param rateBurst     {@code PW_RATE_BURST}: requests a token may make at once
 */
public record AuthConfig(boolean enabled, byte[] adminDigest, boolean metricsPublic, int ratePerSecond, int rateBurst) {
    public static final int DEFAULT_RATE_LIMIT = 50;
    public static final int DEFAULT_RATE_BURST = 100;
    /** Shorter admin tokens are refused at start-up: they could be guessed. */
    public static final int MIN_ADMIN_TOKEN_LENGTH = 32;

    public static AuthConfig from(Settings s) {
        boolean enabled = flag(s, "PW_AUTH", true, "on", "off");
        String admin = s.string("PW_ADMIN_TOKEN", null);
        if (admin != null && admin.length() < MIN_ADMIN_TOKEN_LENGTH) {
            throw new ConfigException("PW_ADMIN_TOKEN is too short: use at least " + MIN_ADMIN_TOKEN_LENGTH
                    + " random characters, e.g. pw_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')");
        }
        if (admin != null && !admin.matches("[\\x21-\\x7e]+")) {
            throw new ConfigException("PW_ADMIN_TOKEN must be printable ASCII without spaces");
        }
        return new AuthConfig(enabled, admin == null ? null : TokenSecrets.sha256(admin),
                flag(s, "PW_METRICS_PUBLIC", true, "true", "false"),
                s.integer("PW_RATE_LIMIT", DEFAULT_RATE_LIMIT, 0, 1_000_000),
                s.integer("PW_RATE_BURST", DEFAULT_RATE_BURST, 1, 1_000_000));
    }

    private static boolean flag(Settings s, String name, boolean fallback, String yes, String no) {
        String v = s.string(name, fallback ? yes : no).toLowerCase(java.util.Locale.ROOT);
        if (v.equals(yes)) {
            return true;
        }
        if (v.equals(no)) {
            return false;
        }
        throw new ConfigException(name + "='" + v + "' is not valid: expected " + yes + " or " + no);
    }

    public boolean rateLimited() {
        return ratePerSecond > 0;
    }

    @Override
    public String toString() {
        return "AuthConfig[enabled=" + enabled + ", adminToken=" + (adminDigest != null ? "set" : "unset")
                + ", metricsPublic=" + metricsPublic + ", rate=" + ratePerSecond + "/s burst " + rateBurst + "]";
    }
}
