package dev.pipewright.overseer.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The token store in Redis: {@code <ns>:tokens} maps the SHA-256 (hex) of each secret to its
 * {@link TokenInfo} as JSON, so a presented secret is found by its digest and the secret itself is
 * never stored; {@code <ns>:tokens:used} maps token ids to when each was last used (epoch ms,
 * written at most once a minute per token). The admin token of {@code PW_ADMIN_TOKEN} is not
 * stored: its digest lives in the overseer's memory, so changing the setting retires the old one.
 */
public final class Tokens {
    public static final String ENV_ADMIN_ID = "env-admin";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TOUCH_EVERY_MS = 60_000;

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    private final byte[] adminDigest;
    private final Map<String, Long> touched = new ConcurrentHashMap<>();

    public Tokens(Keys keys, RedisClusterAsyncCommands<String, String> redis, byte[] adminDigest) {
        this.keys = keys;
        this.redis = redis;
        this.adminDigest = adminDigest == null ? null : adminDigest.clone();
    }

    /** A token just made: its record and the secret, which is shown once and then only its digest exists. */
    public record Created(TokenInfo info, String secret) {
    }

    public Created create(String name, String owner, Role role, String createdBy) throws Exception {
        String secret = TokenSecrets.newSecret();
        TokenInfo info = new TokenInfo(TokenSecrets.newId(), name, owner, role, Instant.now(), createdBy);
        Boolean fresh = redis.hsetnx(keys.tokens(), TokenSecrets.sha256Hex(secret), toJson(info)).get(10, TimeUnit.SECONDS);
        if (!Boolean.TRUE.equals(fresh)) {
            throw new IllegalStateException("a 256-bit random secret collided; refusing to overwrite a token");
        }
        return new Created(info, secret);
    }

    /** The token this secret belongs to, or null when it is unknown or revoked; completes on a Lettuce thread. */
    public CompletionStage<TokenInfo> find(String secret) {
        if (adminDigest != null && TokenSecrets.matches(secret, adminDigest)) {
            return CompletableFuture.completedFuture(envAdmin());
        }
        String digest = TokenSecrets.sha256Hex(secret);
        // Looking up by digest leaks through timing at most how a guess's SHA-256 compares with
        // stored digests, which says nothing usable about any secret.
        return redis.hget(keys.tokens(), digest).thenApply(json -> json == null ? null : fromJson(json));
    }

    /**
     * Whether the token with this secret is still stored (not revoked): what an open stream asks
     * again while it runs, so a revocation made on any overseer ends it. The {@code PW_ADMIN_TOKEN}
     * one cannot be revoked. A Redis failure counts as still valid: the stream's own reads fail then.
     */
    public boolean stillValid(String secret) {
        if (adminDigest != null && TokenSecrets.matches(secret, adminDigest)) {
            return true;
        }
        try {
            return Boolean.TRUE.equals(redis.hexists(keys.tokens(), TokenSecrets.sha256Hex(secret)).get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (Exception e) {
            return true;
        }
    }

    /** Records that the token was used, at most once a minute per token; never fails the request. */
    public void touch(TokenInfo info) {
        if (ENV_ADMIN_ID.equals(info.id())) {
            return;
        }
        long now = System.currentTimeMillis();
        Long last = touched.get(info.id());
        if (last == null || now - last >= TOUCH_EVERY_MS) {
            touched.put(info.id(), now);
            redis.hset(keys.tokensUsed(), info.id(), Long.toString(now));
        }
    }

    /** Every stored token (and the {@code PW_ADMIN_TOKEN} one), oldest first, with when each was last used (or null). */
    public List<Map.Entry<TokenInfo, Instant>> list() throws Exception {
        Map<String, String> all = redis.hgetall(keys.tokens()).get(10, TimeUnit.SECONDS);
        Map<String, String> used = redis.hgetall(keys.tokensUsed()).get(10, TimeUnit.SECONDS);
        List<Map.Entry<TokenInfo, Instant>> out = new ArrayList<>();
        if (adminDigest != null) {
            out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(envAdmin(), null));
        }
        List<TokenInfo> stored = new ArrayList<>();
        for (String json : all.values()) {
            stored.add(fromJson(json));
        }
        stored.sort(Comparator.comparing(TokenInfo::createdAt).thenComparing(TokenInfo::id));
        for (TokenInfo t : stored) {
            String u = used.get(t.id());
            out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(t, u == null ? null : Instant.ofEpochMilli(Long.parseLong(u))));
        }
        return out;
    }

    /** Deletes the token with this id; false when there is none. */
    public boolean revoke(String id) throws Exception {
        Map<String, String> all = redis.hgetall(keys.tokens()).get(10, TimeUnit.SECONDS);
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (fromJson(e.getValue()).id().equals(id)) {
                long removed = redis.hdel(keys.tokens(), e.getKey()).get(10, TimeUnit.SECONDS);
                redis.hdel(keys.tokensUsed(), id);
                touched.remove(id);
                return removed > 0;
            }
        }
        return false;
    }

    /** How many tokens are stored (the {@code PW_ADMIN_TOKEN} one not counted). */
    public long count() throws Exception {
        return redis.hlen(keys.tokens()).get(10, TimeUnit.SECONDS);
    }

    public boolean hasEnvAdmin() {
        return adminDigest != null;
    }

    private static TokenInfo envAdmin() {
        return new TokenInfo(ENV_ADMIN_ID, "PW_ADMIN_TOKEN", "admin", Role.ADMIN, Instant.EPOCH, "PW_ADMIN_TOKEN");
    }

    static String toJson(TokenInfo t) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", t.id());
        n.put("name", t.name());
        n.put("owner", t.owner());
        n.put("role", t.role().wire());
        n.put("created_at", t.createdAt().toString());
        n.put("created_by", t.createdBy());
        return n.toString();
    }

    static TokenInfo fromJson(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            Role role = Role.parse(n.path("role").asText());
            if (role == null) {
                throw new IllegalStateException("stored token has an unknown role: " + n.path("role"));
            }
            return new TokenInfo(n.path("id").asText(), n.path("name").asText(), n.path("owner").asText(), role,
                    Instant.parse(n.path("created_at").asText()), n.path("created_by").asText(null));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored token is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
