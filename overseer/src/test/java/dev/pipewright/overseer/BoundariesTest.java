package dev.pipewright.overseer;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The overseer's structure, held: its feature packages ({@code jobs}, {@code pipelines},
 * {@code schedule}, …) depend on each other without cycles; HTTP lives in {@code api} alone (Vert.x
 * Web, status codes and the error shape), so the rest speaks in {@code Refusal}s; and the overseer
 * never reaches into the worker.
 */
class BoundariesTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pipewright.overseer");

    @Test
    void featurePackagesFormNoCycles() {
        slices().matching("dev.pipewright.overseer.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void onlyTheApiUsesVertxWeb() {
        noClasses().that().resideOutsideOfPackages("dev.pipewright.overseer.api..", "dev.pipewright.overseer")
                .should().dependOnClassesThat().resideInAPackage("io.vertx.ext.web..")
                .because("routing, request and response handling belong to the api package; the composition root only mounts its router")
                .check(MAIN);
    }

    @Test
    void onlyTheApiKnowsHttpRefusals() {
        noClasses().that().resideOutsideOfPackage("dev.pipewright.overseer.api..")
                .should().dependOnClassesThat().haveFullyQualifiedName("dev.pipewright.overseer.api.ApiException")
                .because("stores, the submitter, limits and the scheduler refuse with Refusal; the api maps it to a status")
                .check(MAIN);
    }

    @Test
    void theOverseerNeverReachesTheWorker() {
        noClasses().should().dependOnClassesThat().resideInAPackage("dev.pipewright.worker..").check(MAIN);
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
