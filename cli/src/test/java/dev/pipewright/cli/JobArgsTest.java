package dev.pipewright.cli;

import dev.pipewright.protocol.pipeline.ParamType;
import dev.pipewright.protocol.pipeline.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobArgsTest {
    private static Map<String, Parameter> declared() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        for (ParamType t : ParamType.values()) {
            m.put(t.wireName(), new Parameter(t.wireName(), t, null, true, null));
        }
        return m;
    }

    @Test
    void splitsAtTheFirstEquals() {
        assertEquals(new JobArgs.KeyValue("k", "a=b"), JobArgs.split("--param", "k=a=b"));
        assertEquals(new JobArgs.KeyValue("k", ""), JobArgs.split("--param", "k="));
    }

    @Test
    void missingEqualsOrNameIsAUsageError() {
        assertEquals(CliException.USAGE, assertThrows(CliException.class, () -> JobArgs.split("--param", "novalue")).exitCode());
        assertEquals(CliException.USAGE, assertThrows(CliException.class, () -> JobArgs.split("--param", "=v")).exitCode());
    }

    @Test
    void convertsToTheDeclaredType() {
        Map<String, Object> p = JobArgs.parameters(List.of(
                "string=42", "integer=42", "number=2.5", "boolean=true",
                "object={\"a\": [1, 2]}", "array=[1, \"x\"]"), declared());
        assertEquals("42", p.get("string"));
        assertEquals(42L, p.get("integer"));
        assertEquals(2.5, p.get("number"));
        assertEquals(Boolean.TRUE, p.get("boolean"));
        assertEquals(Map.of("a", List.of(1, 2)), p.get("object"));
        assertEquals(List.of(1, "x"), p.get("array"));
    }

    @Test
    void undeclaredParametersStayText() {
        Map<String, Object> p = JobArgs.parameters(List.of("other=12", "flag=true"), declared());
        assertEquals("12", p.get("other"));
        assertEquals("true", p.get("flag"));
    }

    @Test
    void laterValuesWin() {
        assertEquals(2L, JobArgs.parameters(List.of("integer=1", "integer=2"), declared()).get("integer"));
    }

    @Test
    void badValuesAreReportedTogether() {
        CliException e = assertThrows(CliException.class, () -> JobArgs.parameters(List.of(
                "integer=x", "number=NaN", "boolean=yes", "object=[1]", "array={", "integer=1.5"), declared()));
        assertEquals(CliException.FAILURE, e.exitCode());
        String[] lines = e.getMessage().split("\n");
        assertEquals(6, lines.length, e.getMessage());
        assertTrue(lines[0].startsWith("--param integer: expected integer"), lines[0]);
        assertTrue(lines[1].startsWith("--param number: expected number"), lines[1]);
        assertTrue(lines[2].startsWith("--param boolean: expected boolean"), lines[2]);
        assertTrue(lines[3].startsWith("--param object: expected object"), lines[3]);
        assertTrue(lines[4].startsWith("--param array: expected array"), lines[4]);
    }

    @Test
    void convertWithoutTypeIsText() {
        assertEquals("7", JobArgs.convert(null, "7"));
        assertEquals(-7L, JobArgs.convert(ParamType.INTEGER, " -7 "));
    }

    @Test
    void inputsFromFilesAreBase64AndOthersText(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("in.bin");
        byte[] bytes = {0, 1, 2, (byte) 0xff, 'a'};
        Files.write(f, bytes);
        Map<String, Object> in = JobArgs.inputs(List.of("raw=@" + f, "text=hello=world", "empty="));
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = (Map<String, Object>) in.get("raw");
        assertEquals(Map.of("base64", Base64.getEncoder().encodeToString(bytes)), raw);
        assertEquals("hello=world", in.get("text"));
        assertEquals("", in.get("empty"));
    }

    @Test
    void missingInputFileIsAUsageError(@TempDir Path dir) {
        CliException e = assertThrows(CliException.class, () -> JobArgs.inputs(List.of("raw=@" + dir.resolve("nope"))));
        assertEquals(CliException.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        assertEquals(CliException.USAGE, assertThrows(CliException.class, () -> JobArgs.inputs(List.of("raw=@"))).exitCode());
    }
}
