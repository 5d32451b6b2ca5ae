package dev.pipewright.worker;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Workers and the overseer meet only through Redis and RabbitMQ: the worker never reaches the overseer's code. */
class BoundariesTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pipewright.worker");

    @Test
    void theWorkerNeverReachesTheOverseer() {
        noClasses().should().dependOnClassesThat().resideInAPackage("dev.pipewright.overseer..").check(MAIN);
    }

    @Test
    void onlyTheObjectStoreAdapterSpeaksS3() {
        // the AWS SDK stays behind infra's ObjectStore (dev.pipewright.infra.objectstore)
        noClasses().should().dependOnClassesThat().resideInAPackage("software.amazon.awssdk..").check(MAIN);
    }

    @Test
    void onlyInfraSpeaksTheSchemaLibrary() {
        // JSON Schema stays behind infra's JsonSchemas (dev.pipewright.infra.schema)
        noClasses().should().dependOnClassesThat().resideInAPackage("com.networknt..").check(MAIN);
    }
}
