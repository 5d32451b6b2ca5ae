package dev.pipewright.protocol.keys;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** A run's id: {@code r} plus time-ordered base-36 millis plus randomness, safe in keys and URLs. */
public record RunId(String value) {
    private static final Pattern FORMAT = Pattern.compile("r[a-z0-9]{8,40}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public RunId {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("bad run id '" + value + "'");
        }
    }

    public static boolean isValid(String value) {
        return value != null && FORMAT.matcher(value).matches();
    }

    public static RunId random() {
        StringBuilder sb = new StringBuilder("r").append(Long.toString(System.currentTimeMillis(), 36));
        for (int i = 0; i < 12; i++) {
            sb.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return new RunId(sb.toString());
    }

    @Override
    public String toString() {
        return value;
    }
}
