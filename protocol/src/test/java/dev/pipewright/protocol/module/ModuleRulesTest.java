package dev.pipewright.protocol.module;

import dev.pipewright.protocol.parse.PipelineParser;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.Requirement;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleRulesTest {
    @Test
    void moduleNamesAreLowerCaseIdentifiers() {
        assertNull(ModuleNames.problem("my_module"));
        assertNull(ModuleNames.problem("m2"));
        for (String bad : List.of("", "My", "2m", "a-b", "a.b", "a/b", "../x", "a".repeat(65))) {
            assertTrue(ModuleNames.problem(bad) != null, bad);
        }
    }

    @Test
    void aProcessorMayPinAModuleVersion() {
        assertEquals(new ModuleNames.ProcessorRef("my_module", 3), ModuleNames.parse("my_module@3"));
        assertEquals(new ModuleNames.ProcessorRef("my_module", null), ModuleNames.parse("my_module"));
        assertNull(ModuleNames.parse("my_module@"));
        assertNull(ModuleNames.parse("my_module@0"));
        assertNull(ModuleNames.parse("my_module@x"));
        assertTrue(ModuleNames.isPinned("m@12"));
        assertFalse(ModuleNames.isPinned("m@-1"));
    }

    @Test
    void requirementsBecomeOnePipRequirementEach() {
        assertEquals("pandas==1.5.3", Requirements.pip(new Requirement("pandas", "1.5.3")));
        assertEquals("numpy>=1.2,<2", Requirements.pip(new Requirement("numpy", ">=1.2, <2")));
        assertEquals("zope-interface~=5.0", Requirements.pip(new Requirement("Zope.Interface", "~=5.0")));
        assertEquals("requests", Requirements.pip(new Requirement("requests", null)));
        assertEquals("x==1.*", Requirements.pip(new Requirement("x", "1.*")));
    }

    @Test
    void nothingThatCouldBeAPipOptionOrAnotherRequirementPasses() {
        for (String name : List.of("--index-url", "-e", "pkg @ https://x", "a b", "a;b", "a==1", "_a", "a_", "")) {
            List<Problem> problems = new ArrayList<>();
            Requirements.check(new Requirement(name, null), "requirement[0]", problems);
            assertEquals(1, problems.size(), name);
            assertEquals("requirement[0].name", problems.get(0).path());
        }
        for (String version : List.of("--pre", "1.0 --index-url http://x", "1.0; python_version<'3'", ">=1 <2", "latest", "==", "1,2",
                ">=1,,<2", "1.0\n--x", "")) {
            List<Problem> problems = new ArrayList<>();
            Requirements.check(new Requirement("pandas", version), "requirement[0]", problems);
            assertEquals(1, problems.size(), version);
            assertEquals("requirement[0].version", problems.get(0).path());
        }
    }

    @Test
    void aNodesRequirementReplacesThePipelinesForTheSamePackageAndTheSetIsSorted() {
        List<String> set = Requirements.effective(List.of(new Requirement("Pandas", "1.5.3"), new Requirement("b", null)),
                List.of(new Requirement("pandas", "2.0"), new Requirement("a", "1")));
        assertEquals(List.of("a==1", "b", "pandas==2.0"), set);
    }

    @Test
    void theParserKeepsNodeRequirementsAndRefusesBadOnesWithTheirLocation() {
        PipelineParser parser = new PipelineParser();
        PipelineParser.Result ok = parser.parse("""
                dataNodes: {a: {}, b: {}}
                processNodes:
                  p:
                    input: [a]
                    output: [b]
                    processor: my_module@2
                    requirement:
                      - {name: pandas, version: 1.5.3}
                """);
        assertTrue(ok.valid(), ok.problems().toString());
        assertEquals(List.of(new Requirement("pandas", "1.5.3")), ok.pipeline().processNodes().get("p").requirements());
        assertEquals("my_module@2", ok.pipeline().processNodes().get("p").processor());

        PipelineParser.Result bad = parser.parse("""
                dataNodes: {a: {}, b: {}}
                requirement:
                  - {name: "--index-url", version: "http://evil"}
                processNodes:
                  p:
                    input: [a]
                    output: [b]
                    processor: my_module@x
                    requirement:
                      - {name: pandas, version: "1.5.3 --pre"}
                """);
        assertFalse(bad.valid());
        List<String> paths = bad.problems().stream().map(Problem::path).toList();
        assertTrue(paths.contains("requirement[0].name"), paths.toString());
        assertTrue(paths.contains("requirement[0].version"), paths.toString());
        assertTrue(paths.contains("processNodes.p.requirement[0].version"), paths.toString());
        assertTrue(paths.contains("processNodes.p.processor"), paths.toString());
    }
}
