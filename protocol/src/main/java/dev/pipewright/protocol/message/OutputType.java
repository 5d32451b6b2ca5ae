package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a produced output must be, carried in the task spec of a node with typed outputs: its
 * declared content type ({@code type}, null: any) and JSON Schema ({@code schema}, null: none). The
 * worker checks the value before it commits; one that does not fit fails the task for good.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OutputType(String type, JsonNode schema) {
}
