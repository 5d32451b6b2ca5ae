package dev.pipewright.overseer.paging;

import dev.pipewright.protocol.keys.JobId;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque cursors of a job's own listings ({@code /jobs/{id}/tasks}, {@code /jobs/{id}/consumables}):
 * base64url of {@code <kind>:<job id>:<position>}. The position, decimal digits, is where the listing
 * resumes (an index into the job's task list, or a Redis {@code HSCAN} cursor, an unsigned 64-bit
 * number); naming the kind and the job makes a cursor of another listing, or of another job, a bad
 * cursor instead of a silently wrong page.
 */
public final class JobCursor {
    /** A cursor of a job's task listing. */
    public static final String TASKS = "t";
    /** A cursor of a job's consumables listing. */
    public static final String CONSUMABLES = "c";

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final int MAX_DIGITS = 20; // 2^64 - 1

    private JobCursor() {
    }

    /** @param position decimal digits */
    public static String encode(String kind, JobId job, String position) {
        if (!digits(position)) {
            throw new IllegalArgumentException("a cursor position is decimal digits, got '" + position + "'");
        }
        return ENCODER.encodeToString((kind + ":" + job.value() + ":" + position).getBytes(StandardCharsets.UTF_8));
    }

    public static String encode(String kind, JobId job, long position) {
        return encode(kind, job, Long.toString(position));
    }

    /** The position (decimal digits) in a cursor of this kind and job; null when the text is not one. */
    public static String decode(String kind, JobId job, String cursor) {
        if (cursor == null || cursor.isEmpty() || cursor.length() > 200) {
            return null;
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String prefix = kind + ":" + job.value() + ":";
        if (!text.startsWith(prefix)) {
            return null;
        }
        String position = text.substring(prefix.length());
        return digits(position) ? position : null;
    }

    private static boolean digits(String s) {
        return s != null && !s.isEmpty() && s.length() <= MAX_DIGITS && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
