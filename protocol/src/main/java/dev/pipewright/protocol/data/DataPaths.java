package dev.pipewright.protocol.data;

/**
 * Where a data node's {@code source} lives in the data store, without touching it (pure): each owner
 * has an area of their own, {@code owners/<owner>/}, that relative sources resolve in; sources under
 * {@code shared/} name the shared area, which every owner reads and only admins write. A source is
 * refused when it is empty, absolute, holds a NUL byte or another control character, or has a
 * {@code .} or {@code ..} segment (which could step out of its area).
 */
public final class DataPaths {
    /** The area every owner reads and admins write: sources that start with {@code shared/}. */
    public static final String SHARED = "shared";
    /** The directory under the root holding one area per owner. */
    public static final String OWNERS = "owners";
    /** The owner of jobs that have none: every request while authentication is off, and jobs from before owners. */
    public static final String DEFAULT_OWNER = "anonymous";
    /** The longest source accepted (characters, after its placeholders are resolved). */
    public static final int MAX_LENGTH = 1024;

    private DataPaths() {
    }

    /** A source's place in the store: its path from the store's root and whether it is in the shared area. */
    public record Location(String path, boolean shared) {
    }

    /**
     * What is wrong with a source as text (see the class comment), or null when nothing is. A full
     * object store location ({@code s3://bucket/key}) is checked by {@link S3Uri#problem}; whether its
     * bucket and prefix are allowed is {@link #locate(String, String, java.util.List)}'s business.
     */
    public static String problem(String source) {
        if (source == null || source.isBlank()) {
            return "a source must name a file: it is empty";
        }
        if (S3Uri.is(source)) {
            return S3Uri.problem(source);
        }
        if (source.length() > MAX_LENGTH) {
            return "a source must be at most " + MAX_LENGTH + " characters long; it is " + source.length();
        }
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == 0) {
                return "a source must not hold a NUL byte (at character " + i + ")";
            }
            if (Character.isISOControl(c)) {
                return "a source must not hold control characters (U+" + String.format("%04X", (int) c) + " at character " + i + ")";
            }
        }
        if (source.startsWith("/") || source.startsWith("\\") || (source.length() > 1 && source.charAt(1) == ':')) {
            return "a source is relative to its owner's area of the data store (or to shared/); '" + source + "' is absolute";
        }
        if (source.endsWith("/")) {
            return "a source must name a file, not a directory: '" + source + "' ends with '/'";
        }
        for (String segment : source.split("[/\\\\]", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return "a source must not have a '" + segment + "' segment (it stays in its area of the data store): '" + source + "'";
            }
            if (segment.isEmpty()) {
                return "a source must not have an empty segment ('//'): '" + source + "'";
            }
        }
        if (source.equals(SHARED)) {
            return "'shared' is the shared area itself; name a file in it (shared/<path>)";
        }
        return null;
    }

    /** Whether a source names the shared area. */
    public static boolean isShared(String source) {
        return source.startsWith(SHARED + "/");
    }

    /**
     * The location of a source (checked with {@link #problem} first) for a job of {@code owner} (null:
     * {@link #DEFAULT_OWNER}): {@code shared/...} as it is, anything else in {@code owners/<owner>/}.
     */
    public static Location locate(String owner, String source) {
        String problem = problem(source);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (isShared(source)) {
            return new Location(source, true);
        }
        return new Location(area(owner) + "/" + source, false);
    }

    /**
     * Like {@link #locate(String, String)}, and a full {@code s3://bucket/key} source too: it must lie
     * under one of the {@code allowed} prefixes (an admin's choice, {@code PW_S3_SOURCES}), and there in
     * the owner's area ({@code <allowed prefix>owners/<owner>/...}) or the shared one ({@code <allowed
     * prefix>shared/...}), so one owner never reads or overwrites another's objects through a source.
     * The location's path is then the full {@code s3://} name.
     *
     * @throws IllegalArgumentException with the reason, when the source is refused
     */
    public static Location locate(String owner, String source, java.util.List<S3Uri> allowed) {
        if (!S3Uri.is(source)) {
            return locate(owner, source);
        }
        S3Uri object = S3Uri.parse(source);
        S3Uri within = allowed.stream().filter(p -> p.holds(object)).findFirst().orElse(null);
        if (within == null) {
            throw new IllegalArgumentException(allowed.isEmpty()
                    ? "'" + source + "' is in the object store, and no bucket is allowed for sources here (an admin sets PW_S3_SOURCES)"
                    : "'" + source + "' is not in a bucket and prefix allowed for sources: " + allowed);
        }
        String rest = object.key().substring(within.key().length());
        if (isShared(rest)) {
            return new Location(source, true);
        }
        String area = area(owner) + "/";
        if (rest.startsWith(area)) {
            return new Location(source, false);
        }
        throw new IllegalArgumentException("'" + source + "' is outside your areas of " + within + ": name an object under "
                + within + area + " (yours) or " + within + SHARED + "/ (shared)");
    }

    /**
     * What is wrong with a source's allowed prefix as text (at create), or null: an {@code s3://}
     * source whose text before its first placeholder already leaves every allowed prefix.
     */
    public static String allowedProblem(String source, java.util.List<S3Uri> allowed) {
        if (!S3Uri.is(source)) {
            return null;
        }
        int placeholder = source.indexOf("${");
        String fixed = placeholder < 0 ? source : source.substring(0, placeholder);
        for (S3Uri p : allowed) {
            String ps = p.toString();
            if (fixed.startsWith(ps) || (placeholder >= 0 && ps.startsWith(fixed))) {
                return null;
            }
        }
        return allowed.isEmpty()
                ? "'" + source + "' is in the object store, and no bucket is allowed for sources here (an admin sets PW_S3_SOURCES)"
                : "'" + source + "' is not in a bucket and prefix allowed for sources: " + allowed;
    }

    /** An owner's area: {@code owners/<owner as a file name>}. */
    public static String area(String owner) {
        return OWNERS + "/" + fileName(owner == null || owner.isBlank() ? DEFAULT_OWNER : owner);
    }

    /**
     * An owner's name as one file name that no other owner's name gives: letters, digits, '-', '_'
     * and (not first) '.' stay, every other byte of its UTF-8 is written {@code %XX}. So no owner is
     * named '.', '..' or anything with a '/'.
     */
    public static String fileName(String owner) {
        StringBuilder sb = new StringBuilder();
        byte[] utf8 = owner.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '_'
                    || (b == '.' && i > 0);
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(String.format("%02X", b));
            }
        }
        return sb.toString();
    }
}
