package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A consumable of {@code GET /jobs/{id}/consumables}: its data node, content type and size, and a
 * small value inline as {@code value} (UTF-8 text or JSON) or {@code value_base64} (anything
 * else); neither key when the value is too large to show.
 */
public record ConsumableRow(
        String node, @JsonProperty("content_type") String contentType, long size,
        @JsonInclude(JsonInclude.Include.NON_NULL) String value,
        @JsonProperty("value_base64") @JsonInclude(JsonInclude.Include.NON_NULL) String valueBase64) {
}
