package dev.pipewright.protocol.cache;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One memoised result as stored in Redis (one string, written with its time to live in one
 * command, so an entry never outlives its TTL): where it came from (pipeline, node, job,
 * processor and version), when it was made and expires (epoch ms), and the outputs in the node's
 * output order, each with its value, content type and SHA-256 digest. The digests let a plan
 * chain availability to the nodes downstream without reading the values.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CacheEntry(String key, String pipeline, String node, String job, String processor, String version,
                         long created, long expires, List<Output> outputs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One stored output: its data node in the job that made it, its value, content type and value digest. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String dataNode, byte[] value, String contentType, String digest) {
    }

    public byte[] encode() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entry, or null when the bytes are not one (a foreign or damaged value is a miss, never an error). */
    public static CacheEntry decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            CacheEntry e = JSON.readValue(bytes, CacheEntry.class);
            return e.outputs() == null ? null : e;
        } catch (IOException e) {
            return null;
        }
    }

    public static CacheEntry decode(String text) {
        return text == null ? null : decode(text.getBytes(StandardCharsets.UTF_8));
    }

    /** What the listing shows of an entry, kept apart from its values (one tab-separated line). */
    public record Meta(String key, String pipeline, String node, String job, String processor, long created, long expires) {
        public static Meta of(CacheEntry e) {
            return new Meta(e.key(), e.pipeline(), e.node(), e.job(), e.processor(), e.created(), e.expires());
        }

        public String format() {
            return String.join("\t", clean(pipeline), clean(node), clean(job), clean(processor), Long.toString(created),
                    Long.toString(expires));
        }

        /** The meta stored under this key, or null when the line is not one. */
        public static Meta parse(String key, String line) {
            String[] f = line == null ? new String[0] : line.split("\t", -1);
            if (f.length < 6) {
                return null;
            }
            try {
                return new Meta(key, f[0], f[1], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        private static String clean(String s) {
            return s == null ? "" : s.replace('\t', ' ');
        }
    }
}
