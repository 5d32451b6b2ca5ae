package dev.pipewright.protocol.data;

/**
 * An object in an S3-compatible store named as {@code s3://bucket/key} (pure). The bucket follows
 * S3's naming rules (3 to 63 of {@code a-z 0-9 . -}); the key holds no control character and no
 * {@code .}, {@code ..} or empty segment, so that a key never means something else once a store or a
 * file system normalises it. A prefix ({@link #prefix}) is a bucket and a key ending in {@code /}
 * (or none at all).
 */
public record S3Uri(String bucket, String key) {
    public static final String SCHEME = "s3://";

    /** Whether a text names an object store location ({@code s3://...}). */
    public static boolean is(String text) {
        return text != null && text.startsWith(SCHEME);
    }

    /** What is wrong with {@code text} as an object's name (placeholders allowed in the key as text), or null. */
    public static String problem(String text) {
        return problem(text, false);
    }

    private static String problem(String text, boolean prefix) {
        if (!is(text)) {
            return "an object store location starts with s3://, got '" + text + "'";
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") || bucket.contains("..")) {
            return "'" + bucket + "' in '" + text + "' is not a bucket name (3 to 63 characters: a-z, 0-9, '.', '-')";
        }
        if (prefix) {
            if (!key.isEmpty() && !key.endsWith("/")) {
                return "a prefix must end with '/': '" + text + "'";
            }
            return key.isEmpty() ? null : keyProblem(key.substring(0, key.length() - 1), text);
        }
        if (key.isEmpty()) {
            return "'" + text + "' names a bucket, not an object (s3://bucket/key)";
        }
        if (key.endsWith("/")) {
            return "an object's key must not end with '/': '" + text + "'";
        }
        return keyProblem(key, text);
    }

    private static String keyProblem(String key, String text) {
        if (key.length() > DataPaths.MAX_LENGTH) {
            return "an object's key must be at most " + DataPaths.MAX_LENGTH + " characters long; it is " + key.length();
        }
        for (int i = 0; i < key.length(); i++) {
            if (Character.isISOControl(key.charAt(i))) {
                return "an object's key must not hold control characters (U+" + String.format("%04X", (int) key.charAt(i))
                        + " at character " + i + ")";
            }
        }
        for (String segment : key.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return "an object's key must not have a '" + segment + "' segment: '" + text + "'";
            }
            if (segment.isEmpty()) {
                return "an object's key must not have an empty segment ('//'): '" + text + "'";
            }
        }
        return null;
    }

    /** An object's location ({@link #problem} must be null). */
    public static S3Uri parse(String text) {
        String problem = problem(text);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        return new S3Uri(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /**
     * A bucket and a key prefix: {@code s3://bucket}, {@code s3://bucket/} or {@code s3://bucket/a/b/};
     * a missing trailing '/' is added ({@code s3://bucket/a} means {@code a/}). The key is "" or ends with '/'.
     */
    public static S3Uri prefix(String text) {
        String t = text.trim();
        if (is(t) && t.indexOf('/', SCHEME.length()) > 0 && !t.endsWith("/")) {
            t = t + "/";
        }
        if (is(t) && t.indexOf('/', SCHEME.length()) < 0) {
            t = t + "/";
        }
        String problem = problem(t, true);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        String rest = t.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        return new S3Uri(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** Whether this prefix holds {@code object} (the same bucket, the key under this one). */
    public boolean holds(S3Uri object) {
        return bucket.equals(object.bucket) && object.key.startsWith(key);
    }

    @Override
    public String toString() {
        return SCHEME + bucket + "/" + key;
    }
}
