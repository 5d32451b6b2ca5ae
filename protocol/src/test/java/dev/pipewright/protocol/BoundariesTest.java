package dev.pipewright.protocol;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The pure model and rules stay pure: the JDK, Jackson and SnakeYAML, nothing of Redis, RabbitMQ or HTTP. */
class BoundariesTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pipewright.protocol");

    @Test
    void protocolDependsOnTheJdkJacksonAndSnakeYamlOnly() {
        noClasses().should().dependOnClassesThat()
                .resideOutsideOfPackages("dev.pipewright.protocol..", "java..", "javax..", "com.fasterxml.jackson..", "org.yaml.snakeyaml..")
                .check(MAIN);
    }
}
