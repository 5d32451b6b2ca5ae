package dev.pipewright.protocol.pipeline;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;

/**
 * A cron schedule: a five-field cron expression or a macro such as {@code @daily},
 * optional start and end dates ({@code yyyy-MM-dd[ HH:mm[:ss]]}, wall-clock time in the
 * schedule's zone; both ends included) and a time zone id (null: UTC). The overseer fires a job
 * of the pipeline's latest version at each cron time between the two dates.
 */
public record Schedule(String cron, String startDate, String endDate, String timezone) {
    /** Named when the pipeline names no time zone. */
    public static final ZoneId DEFAULT_ZONE = ZoneId.of("UTC");

    /** The zone the cron expression and the dates are read in ({@link #DEFAULT_ZONE} when none is named). */
    public ZoneId zone() {
        return timezone == null ? DEFAULT_ZONE : ZoneId.of(timezone);
    }

    /** A schedule date ({@code 2022-01-01}, {@code 2022-01-01 10:05} or {@code 2022-01-01 10:05:30}) as wall-clock time, or null when it is none. */
    public static LocalDateTime localDateTime(String date) {
        if (date == null) {
            return null;
        }
        try {
            String d = date.trim();
            if (d.length() == 10) {
                return LocalDate.parse(d).atStartOfDay();
            }
            return LocalDateTime.of(LocalDate.parse(d.substring(0, 10)), LocalTime.parse(d.substring(11)));
        } catch (DateTimeException | IndexOutOfBoundsException e) {
            return null;
        }
    }
}
