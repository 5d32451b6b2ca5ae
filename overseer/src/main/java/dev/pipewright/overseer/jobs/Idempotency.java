package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.pipewright.overseer.refusal.Refusal;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.keys.Keys;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key} of a job submission (Stripe's semantics): the first request with a key
 * claims it for 24 h ({@code SET NX EX}) with the id of the job it creates and a digest of the
 * request; the same key with the same request answers that job again; with a different request it
 * is a conflict. A refused request gives its key back so that a corrected retry can use it.
 */
public final class Idempotency {
    public static final String HEADER = "Idempotency-Key";
    public static final long TTL_SECONDS = 24 * 3600;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._:\\-]{1,255}");

    private final Keys keys;
    private final RedisClusterAsyncCommands<String, String> redis;

    public Idempotency(Keys keys, RedisClusterAsyncCommands<String, String> redis) {
        this.keys = keys;
        this.redis = redis;
    }

    public static void validate(String key) {
        if (!KEY.matcher(key).matches()) {
            throw Refusal.invalid("header " + HEADER + " must be 1 to 255 letters, digits, '.', '_', ':' or '-'", HEADER);
        }
    }

    public static String digest(String... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                d.update(p.getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            return HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A canonical text of a parsed JSON request, so that the same request digests the same however
     * it is spaced or its keys ordered: object keys sorted, numbers in their shortest exact form
     * ({@code 1.50} and {@code 1.5} alike), everything else as JSON writes it.
     */
    public static String canonical(JsonNode node) {
        StringBuilder out = new StringBuilder();
        canonical(node, out);
        return out.toString();
    }

    private static void canonical(JsonNode node, StringBuilder out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
            node.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            out.append('{');
            boolean first = true;
            for (java.util.Map.Entry<String, JsonNode> e : sorted.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append(TextNode.valueOf(e.getKey()).toString()).append(':');
                canonical(e.getValue(), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                canonical(node.get(i), out);
            }
            out.append(']');
        } else if (node.isNumber()) {
            java.math.BigDecimal d = node.decimalValue();
            out.append(d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString());
        } else {
            out.append(node.toString());
        }
    }

    /**
     * Claims the key for {@code fresh}; returns null when this request now owns it (create the job),
     * else the id of the job an earlier identical request created.
     */
    public JobId claim(String owner, String key, String digest, JobId fresh) throws Exception {
        String redisKey = keys.idempotency(owner + ":" + key);
        String claimed = redis.set(redisKey, fresh.value() + " " + digest, SetArgs.Builder.nx().ex(TTL_SECONDS))
                .get(10, TimeUnit.SECONDS);
        if ("OK".equals(claimed)) {
            return null;
        }
        String value = redis.get(redisKey).get(10, TimeUnit.SECONDS);
        if (value == null) { // expired in between
            return claim(owner, key, digest, fresh);
        }
        int space = value.indexOf(' ');
        if (!value.substring(space + 1).equals(digest)) {
            throw Refusal.conflict("the " + HEADER + " '" + key + "' was used with a different request; use a new key");
        }
        return new JobId(value.substring(0, space));
    }

    /** Gives the key back after the request it was claimed for was refused (only if it still names that job). */
    public void release(String owner, String key, JobId fresh) throws Exception {
        String redisKey = keys.idempotency(owner + ":" + key);
        String value = redis.get(redisKey).get(10, TimeUnit.SECONDS);
        if (value != null && value.startsWith(fresh.value() + " ")) {
            redis.del(redisKey).get(10, TimeUnit.SECONDS);
        }
    }
}
