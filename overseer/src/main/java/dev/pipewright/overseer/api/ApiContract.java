package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.mediatype.ContentAnalyser;
import io.vertx.openapi.mediatype.ContentAnalyserFactory;
import io.vertx.openapi.mediatype.MediaTypeRegistration;
import io.vertx.openapi.mediatype.MediaTypeRegistry;
import io.vertx.openapi.validation.ValidationContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP API's contract, {@code overseer/src/main/resources/openapi.yaml}: the router is built
 * from it ({@link HttpApi#router}), requests are validated against it, and it is served at
 * {@value #PATH}. Each operation names the role it needs in {@value #ROLE_EXTENSION}.
 */
public final class ApiContract {
    public static final String PATH = "/openapi.yaml";
    public static final String ROLE_EXTENSION = "x-pipewright-role";
    /**
     * Media types the contract names that Vert.x does not know. Their bodies are never checked
     * against a schema here: pipeline documents are checked by the pipeline parser (every problem
     * with its location), the rest are answers (drawings, event streams, stored values).
     */
    static final List<String> TEXT_TYPES = List.of("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
            "text/plain", "image/svg+xml", "text/vnd.graphviz", "text/event-stream", "*/*",
            // module uploads: checked by the module archive rules (every problem with its entry), never as JSON
            "text/x-python", "application/zip", "application/gzip", "application/x-gzip");

    private static final String TEXT = read();

    private ApiContract() {
    }

    /** The contract as written. */
    public static String text() {
        return TEXT;
    }

    /** The contract as JSON, for Vert.x and for tests. */
    public static JsonObject json() {
        try {
            ObjectMapper yaml = new YAMLMapper();
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = yaml.readValue(TEXT, Map.class);
            return new JsonObject(tree);
        } catch (IOException e) {
            throw new UncheckedIOException("openapi.yaml is not valid YAML", e);
        }
    }

    /**
     * The parsed and checked contract (it fails when the document is not valid OpenAPI 3.1), each of
     * its schemas' validators built once ({@link ReusedValidators}).
     */
    public static Future<OpenAPIContract> load(Vertx vertx) {
        MediaTypeRegistry media = MediaTypeRegistry.createDefault().register(new TextMediaTypes());
        return OpenAPIContract.builder(vertx).setContract(json()).mediaTypeRegistry(media).build().map(ReusedValidators::new);
    }

    /** The role an operation needs: {@code public}, {@code read}, {@code submit} or {@code admin}. */
    public static String role(Operation operation) {
        Object role = operation.getOpenAPIModel().getValue(ROLE_EXTENSION);
        if (!(role instanceof String s)) {
            throw new IllegalStateException("operation " + operation.getOperationId() + " has no " + ROLE_EXTENSION);
        }
        return s;
    }

    /** The base type of a {@code Content-Type} value: lower case, without parameters. */
    public static String baseType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static String read() {
        try (InputStream in = ApiContract.class.getResourceAsStream(PATH)) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the overseer's classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class TextMediaTypes implements MediaTypeRegistration {
        @Override
        public ContentAnalyser createContentAnalyser(String contentType, Buffer content, ValidationContext context) {
            return ContentAnalyserFactory.noop().create(contentType, content, context);
        }

        @Override
        public boolean canHandle(String mediaType) {
            return TEXT_TYPES.contains(baseType(mediaType));
        }

        @Override
        public List<String> supportedTypes() {
            return TEXT_TYPES;
        }
    }
}
