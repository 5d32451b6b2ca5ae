package dev.pipewright.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.infra.state.StateGateway;
import dev.pipewright.protocol.message.ContentTypes;
import dev.pipewright.protocol.message.TaskSpec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inputs shaped like the real ones: what the Lua scripts answer and what the overseer stores,
 * with the sizes of an ordinary task (a few config keys, two small input values).
 */
final class Fixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String JOB = "lz9k3abcdefghijk";
    static final int SHARD = 7;

    private Fixtures() {
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A task message exactly as lib.lua's task_message writes it. */
    static String taskMessage(String node, long dispatch) {
        return "{\"type\":\"task\",\"v\":1,\"job\":\"" + JOB + "\",\"shard\":" + SHARD + ",\"node\":\"" + node
                + "\",\"dispatch\":" + dispatch + "}";
    }

    /** A task's spec as JobSubmitter stores it. */
    static byte[] spec() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("epochs", 10);
        config.put("learning_rate", 0.01);
        config.put("columns", List.of("age", "income", "region"));
        return write(new TaskSpec("train_model", config, List.of("features", "labels"), List.of("model"), 600_000));
    }

    /** A job's parameters as JobSubmitter stores them. */
    static byte[] params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("date", "2024-06-01");
        params.put("region", "eu-west-1");
        return write(params);
    }

    /** A small output or input value: a JSON document of about 80 bytes. */
    static byte[] smallValue() {
        return b("{\"rows\": 1200, \"path\": \"s3://bucket/features/2024-06-01.parquet\", \"ok\": true}");
    }

    /** A job's infra as JobSubmitter stores it, or "" when the job asks for nothing. */
    static String infra(boolean set) {
        return set ? "{\"cpu\":2,\"memory\":\"4Gi\"}" : "";
    }

    /** The claim script's raw reply for one claimed attempt with two inputs (claim.lua). */
    static List<Object> claimScriptReply(String infra) {
        List<Object> ok = List.of(b("ok"), spec(), params(), b("1"), b("30000"), b("1834"), b(infra), smallValue(), smallValue());
        return List.of(ok);
    }

    /** A batch of successful commits, each with two outputs of a small value (content types sniffed as the worker does). */
    static List<StateGateway.Commit> commits(int n) {
        List<StateGateway.Commit> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Map<String, StateGateway.Output> outputs = new LinkedHashMap<>();
            byte[] value = smallValue();
            outputs.put("model", new StateGateway.Output(value, ContentTypes.sniff(value)));
            outputs.put("metrics", new StateGateway.Output(value, ContentTypes.sniff(value)));
            out.add(new StateGateway.Commit(JOB, "train_" + i, "w1-" + (1000 + i), StateGateway.Outcome.OK, null, false, outputs));
        }
        return out;
    }

    /**
     * A dispatching script's raw reply (lib.lua's reply): a status, nothing ended, then id, routing
     * key, message, shard and processor per dispatched entry.
     */
    static List<Object> releaseScriptReply(int dispatched) {
        List<Object> raw = new ArrayList<>(3 + 5 * dispatched);
        raw.add(b("ok"));
        raw.add(b(""));
        raw.add(b(""));
        for (int i = 0; i < dispatched; i++) {
            raw.add(b("1718000000000-" + i));
            raw.add(b("default"));
            raw.add(b(taskMessage("score_" + i, 100_000L + i)));
            raw.add(b(Integer.toString(SHARD)));
            raw.add(b("score"));
        }
        return raw;
    }

    private static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
