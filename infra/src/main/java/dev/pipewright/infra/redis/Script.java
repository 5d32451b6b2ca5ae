package dev.pipewright.infra.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Lua state transition from {@code dev/pipewright/infra/lua}, with the shared
 * {@code lib.lua} prepended; run by SHA so the text crosses the wire once per connection life.
 */
public enum Script {
    SUBMIT("submit"), CLAIM("claim"), COMMIT("commit"), RENEW("renew"), RELEASE("release"),
    TIMER("timer"), EXPIRE("expire"), STOP("stop"), POISON("poison"), REQUEUE("requeue"), LIMITS("limits"), START("start"),
    PIPELINE("pipeline"),
    SCHEDULE("schedule");

    private final String source;
    private final String sha;

    Script(String file) {
        this.source = read("lib") + "\n" + read(file);
        this.sha = sha1(source);
    }

    public String source() {
        return source;
    }

    public String sha() {
        return sha;
    }

    private static String read(String name) {
        String path = "/dev/pipewright/infra/lua/" + name + ".lua";
        try (InputStream in = Script.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path, e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
