package dev.pipewright.overseer.auth;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoleAndPolicyTest {
    @Test
    void rolesAreOrderedReadSubmitAdmin() {
        assertTrue(Role.ADMIN.includes(Role.SUBMIT));
        assertTrue(Role.ADMIN.includes(Role.READ));
        assertTrue(Role.SUBMIT.includes(Role.READ));
        assertTrue(Role.SUBMIT.includes(Role.SUBMIT));
        assertFalse(Role.READ.includes(Role.SUBMIT));
        assertFalse(Role.SUBMIT.includes(Role.ADMIN));
        assertEquals(Role.SUBMIT, Role.parse(" Submit "));
        assertNull(Role.parse("root"));
        assertNull(Role.parse(null));
        assertEquals("admin", Role.ADMIN.wire());
    }

    @Test
    void ownersAndAdminsSeeJobs() {
        Principal alice = new Principal("alice", Role.SUBMIT, "tok_1");
        assertTrue(alice.canSee("alice"));
        assertFalse(alice.canSee("bob"));
        assertFalse(alice.canSee(null), "a job without owner is for admins only");
        Principal admin = new Principal("ops", Role.ADMIN, "tok_2");
        assertTrue(admin.canSee("bob"));
        assertTrue(admin.canSee(null));
    }

    /** method, path, role needed ("public" for none) with /metrics public. */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "GET, /health, public",
            "GET, /ready, public",
            "GET, /metrics, public",
            "GET, /api/v1/pipelines, read",
            "GET, /api/v1/jobs/abc, read",
            "GET, /api/v1/jobs/abc/consumables/x, read",
            "GET, /api/v1/workers, read",
            "POST, /api/v1/pipelines/validate, read",
            "POST, /api/v1/pipelines, submit",
            "POST, /api/v1/pipelines/p/jobs, submit",
            "POST, /api/v1/jobs/abc/cancel, submit",
            "POST, /api/v1/jobs/abc/retry, submit",
            "DELETE, /api/v1/jobs/abc, submit",
            "GET, /api/v1/admin/queues, admin",
            "POST, /api/v1/admin/pools/p/pause, admin",
            "GET, /api/v1/admin, admin",
            "GET, /api/v1/admin/, admin",
            "GET, /api/v1/tokens, admin",
            "POST, /api/v1/tokens, admin",
            "DELETE, /api/v1/tokens/tok_1, admin",
            "GET, /api/v1/administrators, read",
            "GET, /nowhere, read",
            "POST, /nowhere, submit",
    })
    void routeTable(String method, String path, String needed) {
        AccessPolicy.Access a = new AccessPolicy(true).required(method, path);
        assertEquals(needed, a.isPublic() ? "public" : a.role().wire());
    }

    @Test
    void privateMetricsNeedARead() {
        assertEquals(Role.READ, new AccessPolicy(false).required("GET", "/metrics").role());
    }

    @Test
    void authSettingsDefaultsAndChecks() {
        AuthConfig d = AuthConfig.from(new Settings(Map.of()));
        assertTrue(d.enabled());
        assertTrue(d.metricsPublic());
        assertNull(d.adminDigest());
        assertEquals(AuthConfig.DEFAULT_RATE_LIMIT, d.ratePerSecond());
        assertEquals(AuthConfig.DEFAULT_RATE_BURST, d.rateBurst());

        String admin = "pw_" + "a".repeat(40);
        AuthConfig c = AuthConfig.from(new Settings(Map.of("PW_AUTH", "off", "PW_ADMIN_TOKEN", admin,
                "PW_METRICS_PUBLIC", "false", "PW_RATE_LIMIT", "0")));
        assertFalse(c.enabled());
        assertFalse(c.metricsPublic());
        assertFalse(c.rateLimited());
        assertArrayEquals(TokenSecrets.sha256(admin), c.adminDigest());
        assertFalse(c.toString().contains(admin), "the token must not be printed");

        ConfigException shortToken = assertThrows(ConfigException.class, () -> AuthConfig.from(new Settings(Map.of("PW_ADMIN_TOKEN", "CHANGE-ME"))));
        assertTrue(shortToken.getMessage().contains("PW_ADMIN_TOKEN is too short"), shortToken.getMessage());
        assertFalse(shortToken.getMessage().contains("CHANGE-ME"), "the token must not be printed");
        assertThrows(ConfigException.class, () -> AuthConfig.from(new Settings(Map.of("PW_AUTH", "maybe"))));
        assertThrows(ConfigException.class, () -> AuthConfig.from(new Settings(Map.of("PW_RATE_BURST", "0"))));
    }

    @Test
    void changingModulesNeedsTheDeveloperRoleWhichSitsBetweenSubmitAndAdmin() {
        AccessPolicy policy = new AccessPolicy(false);
        assertEquals(Role.DEVELOPER, policy.required("POST", "/api/v1/modules/my_module").role());
        assertEquals(Role.DEVELOPER, policy.required("DELETE", "/api/v1/modules/my_module/versions/2").role());
        assertEquals(Role.READ, policy.required("GET", "/api/v1/modules").role());
        assertTrue(Role.DEVELOPER.includes(Role.SUBMIT));
        assertFalse(Role.SUBMIT.includes(Role.DEVELOPER));
        assertTrue(Role.ADMIN.includes(Role.DEVELOPER));
        assertEquals(Role.DEVELOPER, Role.parse("developer"));
    }
}
