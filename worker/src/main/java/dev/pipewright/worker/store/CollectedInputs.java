package dev.pipewright.worker.store;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.data.ObjectRef;
import dev.pipewright.worker.processor.TaskFailure;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inputs a collecting node reads: a per-item output is stored as one value per item
 * ({@code <name>[<i>]}) and, once every item ended, as a small mark under its own name saying how
 * many items there are ({@code \0pw-collect:1\n{"n":N}}, written by the group's end in
 * {@code lib.lua}). Here each mark is replaced by the items' values in order as one JSON array,
 * read a bounded slice per Redis call; an item that is JSON goes in as it is, any other as a JSON
 * string, and a large item held by reference is loaded first.
 */
public final class CollectedInputs {
    private static final byte[] MARK = "\0pw-collect:1\n".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Items read per Redis call. */
    static final int SLICE = 1_000;

    private CollectedInputs() {
    }

    /** Whether a value is a collect mark (a prefix comparison; nothing is read). */
    public static boolean isMark(byte[] value) {
        return value != null && value.length >= MARK.length && Arrays.equals(value, 0, MARK.length, MARK, 0, MARK.length);
    }

    /** Whether any input is a collect mark. */
    public static boolean any(Map<String, byte[]> inputs) {
        for (byte[] v : inputs.values()) {
            if (isMark(v)) {
                return true;
            }
        }
        return false;
    }

    /** The inputs with every collect mark replaced by its items as a JSON array. */
    public static Map<String, byte[]> expand(String job, Map<String, byte[]> inputs, AttemptStore store, LargeValues large)
            throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>(inputs);
        for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
            if (isMark(e.getValue())) {
                out.put(e.getKey(), collect(job, e.getKey(), e.getValue(), store, large));
            }
        }
        return out;
    }

    private static byte[] collect(String job, String name, byte[] mark, AttemptStore store, LargeValues large) throws Exception {
        JsonNode meta = JSON.readTree(new String(mark, MARK.length, mark.length - MARK.length, StandardCharsets.UTF_8));
        long n = meta.get("n").asLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator out = JSON.createGenerator(bytes)) {
            out.writeStartArray();
            for (long from = 0; from < n; from += SLICE) {
                List<String> fields = new ArrayList<>();
                for (long i = from; i < Math.min(n, from + SLICE); i++) {
                    fields.add(name + "[" + i + "]");
                }
                List<byte[]> values = store.readData(job, fields);
                for (int j = 0; j < values.size(); j++) {
                    byte[] v = values.get(j);
                    if (v == null) {
                        throw TaskFailure.permanent("collected input '" + name + "' has no value for item " + (from + j));
                    }
                    if (ObjectRef.isRef(v)) {
                        v = large.load(Map.of(fields.get(j), v)).get(fields.get(j));
                    }
                    writeItem(out, v);
                }
            }
            out.writeEndArray();
        }
        return bytes.toByteArray();
    }

    private static void writeItem(JsonGenerator out, byte[] v) throws IOException {
        JsonNode tree;
        try {
            tree = JSON.readTree(v);
        } catch (IOException notJson) {
            tree = null;
        }
        if (tree == null || tree.isMissingNode()) {
            out.writeString(new String(v, StandardCharsets.UTF_8));
        } else {
            out.writeTree(tree);
        }
    }
}
