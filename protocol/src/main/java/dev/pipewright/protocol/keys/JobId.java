package dev.pipewright.protocol.keys;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** A job's id: time-ordered base-36 millis plus randomness, safe in keys and URLs. */
public record JobId(String value) {
    private static final Pattern FORMAT = Pattern.compile("[a-z0-9]{8,40}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public JobId {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("bad job id '" + value + "'");
        }
    }

    public static boolean isValid(String value) {
        return value != null && FORMAT.matcher(value).matches();
    }

    public static JobId random() {
        String time = Long.toString(System.currentTimeMillis(), 36);
        StringBuilder sb = new StringBuilder(time);
        for (int i = 0; i < 12; i++) {
            sb.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return new JobId(sb.toString());
    }

    /** The shard this job lives in, fixed by its id and the installation's shard count. */
    public int shard(int shards) {
        return Math.floorMod(value.hashCode(), shards);
    }

    @Override
    public String toString() {
        return value;
    }
}
