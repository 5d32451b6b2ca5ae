package dev.pipewright.infra.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Lua state transition from {@code dev/pipewright/infra/lua}. All of them, with the shared
 * {@code lib.lua}, form one Redis function library ({@link #LIBRARY}): loaded once, so a call runs
 * only its own body instead of rebuilding the helpers it shares with the others, as a script sent
 * by {@code EVALSHA} would. The library and function names carry a digest of the whole text, so
 * processes of different versions each call their own.
 */
public enum Script {
    SUBMIT("submit"), SUBMIT_CHUNK("submit_chunk"), CLAIM("claim"), COMMIT("commit"), RENEW("renew"), RELEASE("release", true),
    TIMER("timer", true), EXPIRE("expire", true), STOP("stop"), POISON("poison"), REQUEUE("requeue", true), LIMITS("limits"),
    START("start"), PIPELINE("pipeline"), SCHEDULE("schedule"), RUN("run"), LEASE("lease"), PURGE("purge"), GRANT("grant"),
    SET_ASIDE("setaside", true), MAP("map", true);

    private static final String LIB = read("lib");
    /** Stands for the version in the library's text while its digest is taken. */
    private static final String VERSION_MARK = "<version>";
    /** A digest of the whole library text (every script and the code that registers them): names the library and its functions. */
    private static final String VERSION;
    /** The function library's source ({@code FUNCTION LOAD}). */
    public static final String LIBRARY;

    static {
        StringBuilder lib = new StringBuilder("#!lua name=pipewright_").append(VERSION_MARK).append('\n').append(LIB).append('\n');
        for (Script s : values()) {
            // each body becomes a local function (its top-level 'return' returns from it), called
            // between begin_call() and end_call(). end_call() writes the state counters of the
            // transitions the call made, so it runs after an error too, before the error goes on
            // to the caller: Redis keeps every write made before an error (no rollback)
            lib.append("local function script_").append(s.file).append("(KEYS, ARGV)\n").append(s.body).append("\nend\n")
                    .append("redis.register_function('").append(functionName(VERSION_MARK, s.file)).append("', function(KEYS, ARGV)\n");
            if (s.fenced) {
                // the shard's owner hash and the caller's id and token come first; the body sees the rest
                lib.append("  local refusal = fenced_out(KEYS, ARGV)\n  if refusal then\n    return redis.error_reply(refusal)\n  end\n")
                        .append("  KEYS, ARGV = drop_first(KEYS, 1), drop_first(ARGV, 2)\n");
            }
            lib.append("  begin_call()\n  local ok, r = pcall(script_").append(s.file).append(", KEYS, ARGV)\n  end_call()\n")
                    .append("  if not ok then\n    error(r, 0)\n  end\n  return r\nend)\n");
        }
        // the registering code is part of what a version runs, so the digest covers it too
        String text = lib.toString();
        VERSION = sha1(text).substring(0, 12);
        LIBRARY = text.replace(VERSION_MARK, VERSION);
    }

    private final String file;
    private final String body;
    /** Called only by the overseer that holds the shard's lease: its owner hash and fencing token come first. */
    private final boolean fenced;

    Script(String file) {
        this(file, false);
    }

    Script(String file, boolean fenced) {
        this.file = file;
        this.body = read(file);
        this.fenced = fenced;
    }

    /** Whether a call must carry the shard's owner hash and the caller's id and fencing token before its own keys and arguments. */
    public boolean fenced() {
        return fenced;
    }

    /** The script with the shared helpers before it: the text a reader of one transition needs. */
    public String source() {
        return LIB + "\n" + body;
    }

    /** The script's own text, without the shared helpers. */
    public String body() {
        return body;
    }

    /** The name it is registered under in the library ({@code FCALL}). */
    public String functionName() {
        return functionName(VERSION, file);
    }

    private static String functionName(String version, String file) {
        return "pw_" + version + "_" + file;
    }

    public static String libraryName() {
        return "pipewright_" + VERSION;
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
