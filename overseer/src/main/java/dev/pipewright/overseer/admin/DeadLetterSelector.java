package dev.pipewright.overseer.admin;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/**
 * Which dead-letter records an operation applies to; null fields match everything. {@code reason}
 * matches the reason code ({@code rejected}, {@code delivery_limit}, ...) or any part of the reason
 * text, ignoring case.
 */
public record DeadLetterSelector(String id, String job, String processor, String reason) {
    public static final DeadLetterSelector ALL = new DeadLetterSelector(null, null, null, null);

    public boolean isAll() {
        return id == null && job == null && processor == null && reason == null;
    }

    public boolean matches(JsonNode record) {
        if (id != null && !id.equals(record.path("id").asText())) {
            return false;
        }
        if (job != null && !job.equals(record.path("job").asText())) {
            return false;
        }
        if (processor != null && !processor.equals(record.path("processor").asText())) {
            return false;
        }
        if (reason != null) {
            String r = reason.toLowerCase(Locale.ROOT);
            return r.equals(record.path("reason_code").asText().toLowerCase(Locale.ROOT))
                    || record.path("reason").asText().toLowerCase(Locale.ROOT).contains(r);
        }
        return true;
    }
}
