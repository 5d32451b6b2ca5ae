package dev.pipewright.infra.objectstore;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;
import dev.pipewright.protocol.data.S3Uri;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the object store is and how it is used, from the environment (read by the overseer and the
 * worker alike):
 * <ul>
 *   <li>{@code PW_DATA_STORE=s3://bucket/prefix}: the data store is this bucket and prefix (default: the
 *       file store, {@code PW_DATA_DIR}); large consumables live under {@code <prefix>jobs/<job>/};</li>
 *   <li>{@code PW_S3_SOURCES=s3://lake/,s3://scratch/team/}: prefixes a data node's full {@code s3://}
 *       source may name (none by default);</li>
 *   <li>{@code PW_INLINE_MAX} (bytes, default 256 KiB): a consumable larger than this lives in the
 *       object store when there is one, Redis keeps a reference;</li>
 *   <li>{@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} (an S3-compatible service such as
 *       MinIO; path-style addressing then), {@code AWS_REGION} (default {@code us-east-1}),
 *       {@code PW_S3_PATH_STYLE=true|false}, credentials from the SDK's default chain
 *       ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, profiles, instance roles...).</li>
 * </ul>
 *
 * @param dataStore      the data store's bucket and prefix, or null when the file store is used
 * @param sources        prefixes full {@code s3://} sources may name
 * @param inlineMax      the largest consumable kept in Redis itself while an object store is configured
 * @param endpoint       an S3-compatible endpoint, or null for AWS's own
 * @param region         the signing region
 * @param pathStyle      path-style addressing ({@code http://host/bucket/key})
 */
public record ObjectStoreConfig(S3Uri dataStore, List<S3Uri> sources, long inlineMax, URI endpoint, String region,
                                boolean pathStyle, Credentials credentials, int refLoadMax) {
    /** The largest referenced input a Java (in-process) processor gets in memory ({@code PW_REF_LOAD_MAX}). */
    public static final int DEFAULT_REF_LOAD_MAX = 64 * 1024 * 1024;
    /** Keys given in the settings (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); null: the SDK's default chain. */
    public record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        @Override
        public String toString() {
            return "Credentials[" + accessKeyId + ", secret hidden]";
        }
    }

    public static final long DEFAULT_INLINE_MAX = 256 * 1024;

    /** Whether anything needs an object store client. */
    public boolean used() {
        return dataStore != null || !sources.isEmpty();
    }

    public static ObjectStoreConfig from(Settings settings) {
        S3Uri dataStore = null;
        String ds = settings.string("PW_DATA_STORE", null);
        if (ds != null) {
            try {
                dataStore = S3Uri.prefix(ds);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("PW_DATA_STORE must be s3://bucket/prefix (or unset for the file store PW_DATA_DIR): "
                        + e.getMessage());
            }
        }
        List<S3Uri> sources = new ArrayList<>();
        for (String s : settings.list("PW_S3_SOURCES", "")) {
            try {
                sources.add(S3Uri.prefix(s));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("PW_S3_SOURCES must be a comma-separated list of s3://bucket/prefix/: " + e.getMessage());
            }
        }
        long inlineMax = settings.integer("PW_INLINE_MAX", (int) DEFAULT_INLINE_MAX, 1024, 512 * 1024 * 1024);
        String endpointText = settings.string("AWS_ENDPOINT_URL_S3", settings.string("AWS_ENDPOINT_URL", null));
        URI endpoint = null;
        if (endpointText != null) {
            try {
                endpoint = URI.create(endpointText);
                if (endpoint.getScheme() == null || endpoint.getHost() == null) {
                    throw new IllegalArgumentException("no scheme or host");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("AWS_ENDPOINT_URL(_S3) must be a URL such as http://minio:9000, got '" + endpointText + "'");
            }
        }
        String region = settings.string("AWS_REGION", settings.string("AWS_DEFAULT_REGION", "us-east-1"));
        String pathStyleText = settings.string("PW_S3_PATH_STYLE", null);
        if (pathStyleText != null && !pathStyleText.matches("true|false")) {
            throw new ConfigException("PW_S3_PATH_STYLE must be true or false, got '" + pathStyleText + "'");
        }
        boolean pathStyle = pathStyleText != null ? Boolean.parseBoolean(pathStyleText) : endpoint != null;
        String keyId = settings.string("AWS_ACCESS_KEY_ID", null);
        String secret = settings.string("AWS_SECRET_ACCESS_KEY", null);
        Credentials credentials = keyId != null && secret != null
                ? new Credentials(keyId, secret, settings.string("AWS_SESSION_TOKEN", null)) : null;
        return new ObjectStoreConfig(dataStore, List.copyOf(sources), inlineMax, endpoint, region, pathStyle, credentials,
                settings.integer("PW_REF_LOAD_MAX", DEFAULT_REF_LOAD_MAX, 1024, Integer.MAX_VALUE - 64));
    }

    /** Where the store is, for logs and error messages. */
    public String display() {
        return endpoint != null ? endpoint.toString() : "s3." + region + ".amazonaws.com";
    }
}
