package dev.pipewright.worker.module;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * The name of a virtual environment: the SHA-256 of what decides its content — the sorted pip
 * requirements, the Python it is made from (version and machine) and the index pip installs from.
 * Two modules with the same requirements share one environment; a change of any of the three
 * makes another.
 */
public final class VenvKey {
    private VenvKey() {
    }

    public static String of(List<String> requirements, String pythonVersion, String indexUrl) {
        StringBuilder text = new StringBuilder();
        for (String r : new TreeSet<>(requirements)) {
            text.append("requirement=").append(r).append('\n');
        }
        text.append("python=").append(pythonVersion).append('\n');
        text.append("index=").append(indexUrl == null ? "" : indexUrl).append('\n');
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
