package dev.pipewright.overseer.api;

import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaException;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract as the router sees it, with each schema's validator built once. The request validator
 * asks the contract's schema repository for a validator of every parameter and body on every
 * request, and the repository builds a new one each time, copying its whole lookup table of the
 * contract's schemas: under load that copying was a sixth of the overseer's CPU. A built validator
 * holds only immutable state, so one per schema serves every request.
 */
final class ReusedValidators implements OpenAPIContract {
    private final OpenAPIContract contract;
    private final SchemaRepository schemas;

    ReusedValidators(OpenAPIContract contract) {
        this.contract = contract;
        this.schemas = new Repository(contract.getSchemaRepository());
    }

    @Override
    public SchemaRepository getSchemaRepository() {
        return schemas;
    }

    @Override
    public Operation operation(String operationId) {
        return contract.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
        return contract.operations();
    }

    @Override
    public List<Path> getPaths() {
        return contract.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
        return contract.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
        return contract.getVersion();
    }

    @Override
    public List<Server> getServers() {
        return contract.getServers();
    }

    @Override
    public Path findPath(String urlPath) {
        return contract.findPath(urlPath);
    }

    @Override
    public Operation findOperation(String urlPath, HttpMethod method) {
        return contract.findOperation(urlPath, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
        return contract.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
        return contract.securityScheme(name);
    }

    /** The contract's repository; validators of a schema object (the contract's own, fixed) are kept. */
    private static final class Repository implements SchemaRepository {
        private final SchemaRepository repository;
        /** By identity: the contract hands out the same schema objects, and their equality is a deep comparison. */
        private final Map<Identity, Validator> validators = new ConcurrentHashMap<>();

        Repository(SchemaRepository repository) {
            this.repository = repository;
        }

        private record Identity(JsonSchema schema) {
            @Override
            public boolean equals(Object o) {
                return o instanceof Identity other && other.schema == schema;
            }

            @Override
            public int hashCode() {
                return System.identityHashCode(schema);
            }
        }

        @Override
        public Validator validator(JsonSchema schema) {
            return validators.computeIfAbsent(new Identity(schema), k -> repository.validator(k.schema()));
        }

        @Override
        public SchemaRepository dereference(JsonSchema schema) throws SchemaException {
            validators.clear();
            repository.dereference(schema);
            return this;
        }

        @Override
        public SchemaRepository dereference(String uri, JsonSchema schema) throws SchemaException {
            validators.clear();
            repository.dereference(uri, schema);
            return this;
        }

        @Override
        public SchemaRepository preloadMetaSchema(FileSystem fs) {
            repository.preloadMetaSchema(fs);
            return this;
        }

        @Override
        public SchemaRepository preloadMetaSchema(FileSystem fs, Draft draft) {
            repository.preloadMetaSchema(fs, draft);
            return this;
        }

        @Override
        public Validator validator(String ref) {
            return repository.validator(ref);
        }

        @Override
        public Validator validator(String ref, JsonSchemaOptions options) {
            return repository.validator(ref, options);
        }

        @Override
        public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
            return repository.validator(schema, options, dereference);
        }

        @Override
        public JsonObject resolve(JsonObject schema) {
            return repository.resolve(schema);
        }

        @Override
        public JsonSchema find(String pointer) {
            return repository.find(pointer);
        }
    }
}
