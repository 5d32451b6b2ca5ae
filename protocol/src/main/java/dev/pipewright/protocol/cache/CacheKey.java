package dev.pipewright.protocol.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The key of a memoised result: SHA-256 (hex) of a canonical JSON document holding the processor's
 * name and version, the node's effective config (maps ordered by key), the names of its input and
 * output data nodes (a processor reads and writes by name), the SHA-256 digests of its input values
 * in input order, and, when the policy says so, the digest of the job's parameters. The overseer
 * computes it at submit to find hits and the worker after a successful run to store the entry, both
 * from the same task spec, so the two always agree.
 */
public final class CacheKey {
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private CacheKey() {
    }

    /**
     * @param inputDigests SHA-256 (hex) of each input value, in the order of {@code inputs}
     * @param paramsDigest {@link #paramsDigest} of the job's parameters, or null when the key leaves them out
     */
    public static String of(String processor, String version, Map<String, Object> config, List<String> inputs,
                            List<String> outputs, List<String> inputDigests, String paramsDigest) {
        return of(processor, version, config, inputs, outputs, inputDigests, paramsDigest, null);
    }

    /**
     * The key of a task of this spec. A spec with typed outputs adds their declared types and
     * schemas: a result stored before a schema was added or tightened was never checked against it,
     * so it must not be taken for the new one (without typed outputs the key is as before).
     */
    public static String of(dev.pipewright.protocol.message.TaskSpec spec, String version, List<String> inputDigests, String paramsDigest) {
        return of(spec.processor(), version, spec.config(), spec.inputs(), spec.outputs(), inputDigests, paramsDigest, spec.outputTypes());
    }

    private static String of(String processor, String version, Map<String, Object> config, List<String> inputs,
                             List<String> outputs, List<String> inputDigests, String paramsDigest,
                             Map<String, dev.pipewright.protocol.message.OutputType> outputTypes) {
        if (inputs.size() != inputDigests.size()) {
            throw new IllegalArgumentException(inputs.size() + " inputs but " + inputDigests.size() + " digests");
        }
        ObjectNode doc = CANONICAL.createObjectNode();
        doc.put("k", 1); // the layout of this document; a change of it makes every old entry a miss
        doc.put("processor", processor);
        doc.put("version", version == null ? "" : version);
        doc.set("config", CANONICAL.valueToTree(config == null ? Map.of() : config));
        ArrayNode in = doc.putArray("inputs");
        for (int i = 0; i < inputs.size(); i++) {
            in.addArray().add(inputs.get(i)).add(inputDigests.get(i));
        }
        ArrayNode out = doc.putArray("outputs");
        outputs.forEach(out::add);
        if (paramsDigest != null) {
            doc.put("params", paramsDigest);
        }
        if (outputTypes != null && !outputTypes.isEmpty()) {
            doc.set("types", CANONICAL.valueToTree(outputTypes));
        }
        try {
            // valueToTree keeps map order; writing the tree through a sorted copy makes the text canonical
            Object sorted = CANONICAL.treeToValue(doc, Object.class);
            return sha256(CANONICAL.writeValueAsString(sorted).getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The digest of a job's parameters: of their canonical JSON (keys sorted at every level). */
    public static String paramsDigest(Map<String, Object> params) {
        try {
            Object sorted = CANONICAL.treeToValue(CANONICAL.valueToTree(params == null ? Map.of() : params), Object.class);
            return sha256(CANONICAL.writeValueAsString(sorted).getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("parameters cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Whether the parameters belong in the key: the policy says so, or the config holds a
     * {@code ${param}} placeholder (then the effective config depends on them).
     */
    public static boolean usesParams(boolean policyIncludesParams, Map<String, Object> config) {
        if (policyIncludesParams) {
            return true;
        }
        try {
            return config != null && CANONICAL.writeValueAsString(config).contains("${");
        } catch (JsonProcessingException e) {
            return true;
        }
    }

    /** SHA-256 of the bytes, lower-case hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a string is a key this class makes (64 lower-case hex digits): what the API accepts as {key}. */
    public static boolean isKey(String s) {
        return s != null && s.matches("[0-9a-f]{64}");
    }
}
