package dev.pipewright.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PipelineNamesTest {
    @Test
    void explicitNameWins() {
        assertEquals("mine", PipelineNames.derive("mine", "declared", Path.of("/x/pipeline.yaml")));
    }

    @Test
    void pipelineNameBeforeFileName() {
        assertEquals("declared", PipelineNames.derive(null, "declared", Path.of("/x/other.yaml")));
        assertEquals("declared", PipelineNames.derive("  ", "declared", Path.of("/x/other.yaml")));
    }

    @Test
    void pipelineFileTakesItsDirectoryName() {
        assertEquals("etl-daily", PipelineNames.derive(null, null, Path.of("/work/etl-daily/pipeline.yaml")));
        assertEquals("etl-daily", PipelineNames.derive(null, null, Path.of("/work/etl-daily/pipeline.yml")));
        assertEquals("etl-daily", PipelineNames.derive(null, null, Path.of("/work/etl-daily/pipeline.json")));
    }

    @Test
    void otherFilesTakeTheirBaseName() {
        assertEquals("word_count", PipelineNames.derive(null, null, Path.of("/work/x/word_count.yaml")));
        assertEquals("a.b", PipelineNames.derive(null, null, Path.of("a.b.json")));
        assertEquals("noext", PipelineNames.derive(null, null, Path.of("noext")));
    }

    @Test
    void relativePipelineFileUsesTheAbsoluteParent() {
        Path cwdName = Path.of("").toAbsolutePath().getFileName();
        assertEquals(PipelineNames.sanitize(cwdName.toString()), PipelineNames.derive(null, null, Path.of("pipeline.yaml")));
    }

    @Test
    void sanitizeKeepsOnlyAllowedCharacters() {
        assertEquals("my_pipe_line_", PipelineNames.derive(null, null, Path.of("/w/my pipe+line!/pipeline.yaml")));
        assertEquals("r_sum_", PipelineNames.sanitize("résumé"));
        assertEquals("a_b", PipelineNames.sanitize("a/b"));
        assertEquals("A-z.0_9", PipelineNames.sanitize("A-z.0_9"));
    }

    @Test
    void sanitizeMakesAValidServerName() {
        assertEquals("_2024-report", PipelineNames.sanitize("2024-report"));
        assertEquals("_.hidden", PipelineNames.sanitize(".hidden"));
        assertEquals("pipeline", PipelineNames.sanitize(""));
        assertEquals(128, PipelineNames.sanitize("x".repeat(300)).length());
        for (String s : new String[] {"2024-report", ".hidden", "a b", "x".repeat(300), "ü"}) {
            assertEquals(true, dev.pipewright.protocol.parse.PipelineParser.NAME.matcher(PipelineNames.sanitize(s)).matches(), s);
        }
    }
}
