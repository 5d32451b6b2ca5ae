package dev.pipewright.infra.objectstore;

import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.protocol.data.S3Uri;
import dev.pipewright.protocol.message.ContentTypes;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An S3-compatible object store (AWS SDK v2, synchronous client over {@code HttpURLConnection}: no
 * Netty beside Vert.x's). Everything large is streamed: uploads go in parts read from a file, downloads
 * go to a file or an output stream, copies between two places of the store are server-side. Failures
 * come out as {@link IOException}s whose message names the object and the store; a store that cannot
 * be reached is an {@link Unreachable}.
 */
public final class ObjectStore implements AutoCloseable {
    /** Part size of multipart uploads: memory per upload stays at the HTTP client's buffers, whatever the object's size. */
    static final long PART_SIZE = 16L * 1024 * 1024;
    /** The largest single CopyObject; larger objects are copied part by part (UploadPartCopy). */
    static final long COPY_MAX = 5L * 1024 * 1024 * 1024;

    private final S3Client s3;
    private final ObjectStoreConfig config;

    public ObjectStore(ObjectStoreConfig config) {
        this.config = config;
        var builder = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(config.credentials() == null ? DefaultCredentialsProvider.builder().build()
                        : software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(config.credentials().sessionToken() == null
                        ? software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(config.credentials().accessKeyId(),
                                config.credentials().secretAccessKey())
                        : software.amazon.awssdk.auth.credentials.AwsSessionCredentials.create(config.credentials().accessKeyId(),
                                config.credentials().secretAccessKey(), config.credentials().sessionToken())))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(60)))
                // checksums and aws-chunked bodies only where the API requires them: S3-compatible
                // services (MinIO versions, s3rver...) differ in what they accept beyond that
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(config.pathStyle())
                        .chunkedEncodingEnabled(false)
                        .build());
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        this.s3 = builder.build();
    }

    public ObjectStoreConfig config() {
        return config;
    }

    /** The store cannot be reached (connection refused, unknown host, timeout). */
    public static final class Unreachable extends IOException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private IOException failure(String what, S3Uri where, SdkException e) {
        if (e instanceof SdkClientException) {
            return new Unreachable("the object store at " + config.display() + " cannot be reached (" + what + " " + where + "): "
                    + rootMessage(e), e);
        }
        if (e instanceof S3Exception s && s.awsErrorDetails() != null) {
            return new IOException(what + " " + where + " failed: " + s.awsErrorDetails().errorCode() + " (HTTP " + s.statusCode() + ")"
                    + (s.awsErrorDetails().errorMessage() == null ? "" : ": " + s.awsErrorDetails().errorMessage()), e);
        }
        return new IOException(what + " " + where + " failed: " + e.getMessage(), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        // the reason in words ("Connection refused"); the class name only when there are none
        return t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Checks that the bucket can be reached; throws with the reason otherwise. */
    public void checkBucket(String bucket) throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            throw failure("reaching bucket", new S3Uri(bucket, ""), e);
        }
    }

    /** The object's size, or -1 when there is none. */
    public long size(S3Uri at) throws IOException {
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(at.bucket()).key(at.key()));
            return head.contentLength();
        } catch (NoSuchKeyException e) {
            return -1;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return -1;
            }
            throw failure("reading", at, e);
        } catch (SdkException e) {
            throw failure("reading", at, e);
        }
    }

    /** The object's bytes, or null when there is none (for small objects: job inputs under the inline limit). */
    public byte[] read(S3Uri at) throws IOException {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(at.bucket()).key(at.key())).asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        } catch (SdkException e) {
            throw failure("reading", at, e);
        }
    }

    /** A stream of the object's bytes (the caller closes it), or null when there is none. */
    public InputStream open(S3Uri at) throws IOException {
        try {
            return s3.getObject(b -> b.bucket(at.bucket()).key(at.key()));
        } catch (NoSuchKeyException e) {
            return null;
        } catch (SdkException e) {
            throw failure("reading", at, e);
        }
    }

    public void write(S3Uri at, byte[] bytes, String contentType) throws IOException {
        try {
            s3.putObject(b -> b.bucket(at.bucket()).key(at.key()).contentType(contentType), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("writing", at, e);
        }
    }

    /**
     * Uploads a file as the object at {@code at}, in parts of {@link #PART_SIZE} read from the file as
     * they are sent (the whole file is never in memory), and answers its reference (size, SHA-256
     * computed in one read of the file first, content type sniffed from its first bytes). A failed
     * upload is aborted, so no parts are left behind.
     */
    public ObjectRef upload(Path file, S3Uri at) throws IOException {
        long size = Files.size(file);
        String sha256;
        String contentType;
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[64 * 1024];
            byte[] head = null;
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (head == null) {
                    head = java.util.Arrays.copyOf(buffer, n);
                }
                digest.update(buffer, 0, n);
            }
            sha256 = HexFormat.of().formatHex(digest.digest());
            contentType = sniffHead(head == null ? new byte[0] : head, size);
        }
        String ct = contentType;
        if (size <= PART_SIZE) {
            try {
                s3.putObject(b -> b.bucket(at.bucket()).key(at.key()).contentType(ct), RequestBody.fromFile(file));
            } catch (SdkException e) {
                throw failure("writing", at, e);
            }
            return new ObjectRef(at.bucket(), at.key(), size, sha256, contentType);
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(at.bucket()).key(at.key()).contentType(ct)).uploadId();
        } catch (SdkException e) {
            throw failure("writing", at, e);
        }
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += PART_SIZE, number++) {
                long length = Math.min(PART_SIZE, size - offset);
                long from = offset;
                int part = number;
                // a new stream of this slice of the file each time the SDK asks (signing, a retry)
                RequestBody body = RequestBody.fromContentProvider(() -> slice(file, from, length), length, "application/octet-stream");
                String etag = s3.uploadPart(b -> b.bucket(at.bucket()).key(at.key()).uploadId(uploadId).partNumber(part)
                        .contentLength(length), body).eTag();
                parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(at.bucket()).key(at.key()).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
        } catch (SdkException | java.io.UncheckedIOException e) {
            abortQuietly(at, uploadId);
            throw e instanceof SdkException se ? failure("writing", at, se) : ((java.io.UncheckedIOException) e).getCause();
        } catch (RuntimeException e) {
            abortQuietly(at, uploadId);
            throw e;
        }
        return new ObjectRef(at.bucket(), at.key(), size, sha256, contentType);
    }

    private void abortQuietly(S3Uri at, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(at.bucket()).key(at.key()).uploadId(uploadId));
        } catch (SdkException ignored) {
            // the job's prefix is deleted with the job, and a bucket lifecycle rule can drop stale parts
        }
    }

    private static InputStream slice(Path file, long offset, long length) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            InputStream in = Channels.newInputStream(channel);
            return new FilterInputStream(in) {
                long left = length;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int b = super.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(b, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Streams the referenced object into {@code out}, checking its size and SHA-256 on the way; a
     * missing object or one that changed is an {@link IOException} naming it.
     */
    public void download(ObjectRef ref, OutputStream out) throws IOException {
        S3Uri at = new S3Uri(ref.bucket(), ref.key());
        try (InputStream in = open(at)) {
            if (in == null) {
                throw new IOException("the object " + at + " is missing from the object store (" + config.display() + ")");
            }
            MessageDigest digest = sha256();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                total += n;
            }
            if (total != ref.size() || (ref.sha256() != null && !ref.sha256().equals(HexFormat.of().formatHex(digest.digest())))) {
                throw new IOException("the object " + at + " changed since it was written (" + total + " bytes read, "
                        + ref.size() + " expected, or another SHA-256)");
            }
        } catch (SdkException e) {
            throw failure("reading", at, e);
        }
    }

    /** Streams the referenced object into a file (created or replaced). */
    public void download(ObjectRef ref, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            download(ref, out);
        }
    }

    /** A server-side copy (CopyObject; part by part with UploadPartCopy above 5 GiB): the bytes never pass through here. */
    public void copy(S3Uri from, long size, S3Uri to) throws IOException {
        try {
            if (size <= COPY_MAX) {
                s3.copyObject(b -> b.sourceBucket(from.bucket()).sourceKey(from.key()).destinationBucket(to.bucket())
                        .destinationKey(to.key()));
                return;
            }
            String uploadId = s3.createMultipartUpload(b -> b.bucket(to.bucket()).key(to.key())).uploadId();
            try {
                List<CompletedPart> parts = new ArrayList<>();
                long partSize = 1024L * 1024 * 1024;
                int number = 1;
                for (long offset = 0; offset < size; offset += partSize, number++) {
                    String range = "bytes=" + offset + "-" + (Math.min(size, offset + partSize) - 1);
                    int part = number;
                    String etag = s3.uploadPartCopy(b -> b.sourceBucket(from.bucket()).sourceKey(from.key())
                            .destinationBucket(to.bucket()).destinationKey(to.key()).uploadId(uploadId).partNumber(part)
                            .copySourceRange(range)).copyPartResult().eTag();
                    parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
                }
                s3.completeMultipartUpload(b -> b.bucket(to.bucket()).key(to.key()).uploadId(uploadId)
                        .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            } catch (SdkException e) {
                abortQuietly(to, uploadId);
                throw e;
            }
        } catch (SdkException e) {
            throw failure("copying " + from + " to", to, e);
        }
    }

    /** Deletes one object (none there is fine). */
    public void delete(S3Uri at) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(at.bucket()).key(at.key()));
        } catch (SdkException e) {
            throw failure("deleting", at, e);
        }
    }

    /** Deletes every object under a prefix (its key ends with '/'); answers how many. */
    public int deletePrefix(S3Uri prefix) throws IOException {
        if (!prefix.key().endsWith("/")) {
            throw new IllegalArgumentException("a prefix to delete must end with '/': " + prefix);
        }
        int n = 0;
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(prefix.bucket()).prefix(prefix.key())).contents()) {
                s3.deleteObject(b -> b.bucket(prefix.bucket()).key(o.key()));
                n++;
            }
        } catch (SdkException e) {
            throw failure("deleting the objects under", prefix, e);
        }
        return n;
    }

    /** The keys under a prefix (for tests and tools). */
    public List<String> list(S3Uri prefix) throws IOException {
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(prefix.bucket()).prefix(prefix.key())).contents()) {
                keys.add(o.key());
            }
            return keys;
        } catch (SdkException e) {
            throw failure("listing", prefix, e);
        }
    }

    /** A content type from an object's first bytes (the sniffer treats a cut-off UTF-8 sequence at the end as text). */
    static String sniffHead(byte[] head, long size) {
        if (head.length == size) {
            return ContentTypes.sniff(head);
        }
        // a large value: text or binary from its head (a multi-byte character cut at the end of the head is trimmed)
        int end = head.length;
        for (int i = 0; i < 3 && end > 0 && (head[end - 1] & 0xC0) == 0x80; i++) {
            end--;
        }
        if (end > 0 && (head[end - 1] & 0xC0) == 0xC0) {
            end--;
        }
        String t = ContentTypes.sniff(java.util.Arrays.copyOf(head, end));
        return ContentTypes.JSON.equals(t) ? ContentTypes.TEXT : t;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Uploads bytes already in memory (a Java processor's large output) and answers its reference. */
    public ObjectRef upload(byte[] bytes, S3Uri at) throws IOException {
        String sha256 = HexFormat.of().formatHex(sha256().digest(bytes));
        String contentType = ContentTypes.sniff(bytes);
        write(at, bytes, contentType);
        return new ObjectRef(at.bucket(), at.key(), bytes.length, sha256, contentType);
    }

    /** The prefix holding a job's objects: {@code <data store prefix>jobs/<job>/}. */
    public S3Uri jobPrefix(String job) {
        S3Uri ds = config.dataStore();
        return new S3Uri(ds.bucket(), ds.key() + "jobs/" + job + "/");
    }

    @Override
    public void close() {
        s3.close();
    }
}
