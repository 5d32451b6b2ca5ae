package dev.pipewright.protocol.message;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** Every message that crosses RabbitMQ; {@code type} names the record, {@code v} its schema version. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(TaskMessage.class), @JsonSubTypes.Type(StopAttempts.class),
        @JsonSubTypes.Type(PoolControl.class)})
public sealed interface BusMessage permits TaskMessage, StopAttempts, PoolControl {
    int v();
}
