package dev.pipewright.worker.exec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.protocol.parse.DocumentException;
import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.parse.SafeDocumentReader;
import dev.pipewright.protocol.pipeline.Durations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the worker's registry of {@code exec} processors ({@code PW_PROCESSORS}):
 * <pre>
 * processors:
 *   extract_text:
 *     command: [python3, modules/extract_text.py]   # argv; relative paths resolve from workdir
 *     workdir: .                                   # default: this file's directory
 *     env: {LANG: C.UTF-8}
 *     timeout: 10m
 *     permanentExitCodes: [2]                       # these codes fail the task for good
 *     retryableExitCodes: [75]                      # if given, only these codes are retryable
 *     deterministic: false                          # its results are never memoised (cache:)
 * </pre>
 */
public final class ExecRegistryFile {
    private static final Set<String> FIELDS = Set.of("command", "workdir", "env", "timeout", "permanentExitCodes", "retryableExitCodes",
            "description", "deterministic");

    private ExecRegistryFile() {
    }

    public static List<ExecCommand> read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read processor registry " + file + ": " + e.getMessage());
        }
        JsonNode root;
        try {
            root = new SafeDocumentReader().read(text);
        } catch (DocumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        Path base = file.toAbsolutePath().getParent();
        JsonNode processors = root.get("processors");
        if (processors == null || !processors.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping 'processors' of name -> {command: [...]}");
        }
        List<ExecCommand> commands = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = processors.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String where = file + ": processors." + e.getKey();
            if (!PipelineParser.NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException(where + ": bad processor name");
            }
            JsonNode body = e.getValue();
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException(where + ": expected {command: [program, args...]}");
            }
            for (Iterator<String> f = body.fieldNames(); f.hasNext(); ) {
                String field = f.next();
                if (!FIELDS.contains(field)) {
                    throw new IllegalArgumentException(where + "." + field + ": unknown field; expected one of " + FIELDS);
                }
            }
            JsonNode command = body.get("command");
            if (command == null || !command.isArray() || command.isEmpty()) {
                throw new IllegalArgumentException(where + ".command: expected a non-empty list [program, args...]");
            }
            List<String> argv = new ArrayList<>();
            for (JsonNode a : command) {
                if (!a.isValueNode()) {
                    throw new IllegalArgumentException(where + ".command: every element must be text");
                }
                argv.add(a.asText());
            }
            Path workdir = body.hasNonNull("workdir") ? base.resolve(body.get("workdir").asText()).normalize() : base;
            Map<String, String> env = new LinkedHashMap<>();
            if (body.hasNonNull("env")) {
                body.get("env").fields().forEachRemaining(v -> env.put(v.getKey(), v.getValue().asText()));
            }
            Duration timeout = null;
            if (body.hasNonNull("timeout")) {
                timeout = Durations.parse(body.get("timeout").asText());
                if (timeout == null) {
                    throw new IllegalArgumentException(where + ".timeout: expected a duration such as 30s or 10m");
                }
            }
            Set<Integer> permanent = exitCodes(body, "permanentExitCodes", where);
            Set<Integer> retryable = exitCodes(body, "retryableExitCodes", where);
            for (Integer code : permanent) {
                if (retryable.contains(code)) {
                    throw new IllegalArgumentException(where + ": exit code " + code + " is both in permanentExitCodes and in retryableExitCodes");
                }
            }
            boolean deterministic = true;
            if (body.has("deterministic")) {
                if (!body.get("deterministic").isBoolean()) {
                    throw new IllegalArgumentException(where + ".deterministic: expected true or false");
                }
                deterministic = body.get("deterministic").asBoolean();
            }
            commands.add(new ExecCommand(e.getKey(), List.copyOf(argv), workdir, env, timeout, permanent, retryable, deterministic));
        }
        return commands;
    }

    private static Set<Integer> exitCodes(JsonNode body, String field, String where) {
        Set<Integer> codes = new HashSet<>();
        JsonNode list = body.get(field);
        if (list == null || list.isNull()) {
            return codes;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(where + "." + field + ": expected a list of exit codes such as [2, 64]");
        }
        for (JsonNode c : list) {
            if (!c.isInt() || c.asInt() < 1 || c.asInt() > 255) {
                throw new IllegalArgumentException(where + "." + field + ": expected whole numbers from 1 to 255, got " + c);
            }
            codes.add(c.asInt());
        }
        return codes;
    }
}
