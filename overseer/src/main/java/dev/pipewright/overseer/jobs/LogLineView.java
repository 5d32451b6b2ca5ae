package dev.pipewright.overseer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/** A line of {@code GET /jobs/{id}/logs}: the attempt that wrote it, its text, and when ({@code at}: not for lines of older workers). */
public record LogLineView(int attempt, String line, @JsonInclude(JsonInclude.Include.NON_NULL) String at) {
    public static LogLineView of(JobLogs.LogLine l) {
        return new LogLineView(l.attempt(), l.line(), l.at() == null ? null : Instant.ofEpochMilli(l.at()).toString());
    }
}
