package dev.pipewright.protocol.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A consumable that lives in the object store: what Redis keeps in its place in the job's
 * {@code :data} hash. Encoded as the bytes {@link #MAGIC} ({@code "\0pw-object-ref:1\n"}) followed by
 * one JSON object {@code {"bucket","key","size","sha256","contentType"}} (UTF-8). The leading NUL
 * keeps it apart from any text or JSON value, and a value a user gives or a command writes that
 * starts with the marker is refused, so a reference is always one the platform made. Readers check
 * {@link #isRef} (a prefix comparison; no Redis or object store call for ordinary values).
 *
 * @param bucket      the object's bucket
 * @param key         the object's key (under the data store's {@code <prefix>/jobs/<job>/})
 * @param size        its length in bytes
 * @param sha256      the hex SHA-256 of its bytes
 * @param contentType its content type (sniffed from its first bytes when written)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectRef(String bucket, String key, long size, String sha256, String contentType) {
    /** The bytes every reference starts with. */
    public static final byte[] MAGIC = "\0pw-object-ref:1\n".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether a consumable's value is a reference (starts with {@link #MAGIC}). */
    public static boolean isRef(byte[] value) {
        return value != null && value.length > MAGIC.length && Arrays.equals(value, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Whether a value starts with the marker (a value that does but is not one the platform wrote is refused). */
    public static boolean startsWithMagic(byte[] head, int length) {
        return length >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    public byte[] encode() {
        try {
            byte[] json = JSON.writeValueAsBytes(this);
            byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + json.length);
            System.arraycopy(json, 0, out, MAGIC.length, json.length);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The reference a value holds ({@link #isRef} must be true). */
    public static ObjectRef decode(byte[] value) {
        if (!isRef(value)) {
            throw new IllegalArgumentException("not an object reference");
        }
        try {
            ObjectRef ref = JSON.readValue(value, MAGIC.length, value.length - MAGIC.length, ObjectRef.class);
            if (ref.bucket() == null || ref.key() == null || ref.size() < 0) {
                throw new IllegalArgumentException("an object reference without bucket, key or size");
            }
            return ref;
        } catch (IOException e) {
            throw new IllegalArgumentException("an unreadable object reference: " + e.getMessage(), e);
        }
    }

    /** {@code s3://bucket/key}. */
    public String uri() {
        return S3Uri.SCHEME + bucket + "/" + key;
    }
}
