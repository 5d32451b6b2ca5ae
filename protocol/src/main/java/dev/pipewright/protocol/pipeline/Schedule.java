package dev.pipewright.protocol.pipeline;

/**
 * A cron schedule (seed 000): a five-field cron expression, optional start and end dates
 * ({@code yyyy-MM-dd HH:mm}) and a time zone id.
 */
public record Schedule(String cron, String startDate, String endDate, String timezone) {
}
