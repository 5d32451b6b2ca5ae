package dev.pipewright.protocol.message;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class TaskSpecModuleJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aModuleSpecRoundTripsAndAPlainSpecCarriesNoModuleField() throws Exception {
        TaskSpec spec = new TaskSpec("my_module@3", Map.of("k", 1), List.of("a"), List.of("b"), 5000,
                new ModuleRef("my_module", 3, "ab".repeat(32), "zip", "main.py", List.of("pandas==1.5.3")));
        String text = JSON.writeValueAsString(spec);
        assertEquals(spec, JSON.readValue(text, TaskSpec.class));

        String plain = JSON.writeValueAsString(new TaskSpec("identity", Map.of(), List.of("a"), List.of("b"), 0));
        assertFalse(plain.contains("module"), plain);
        assertNull(JSON.readValue(plain, TaskSpec.class).module());
        // a spec written before modules existed reads as before
        assertNull(JSON.readValue("{\"processor\":\"noop\",\"config\":{},\"inputs\":[],\"outputs\":[\"x\"],\"timeoutMs\":0}",
                TaskSpec.class).module());
    }
}
