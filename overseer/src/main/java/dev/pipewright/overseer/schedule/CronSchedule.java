package dev.pipewright.overseer.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.pipewright.protocol.pipeline.Schedule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pipeline's {@link Schedule} made computable (cron-utils, Unix cron: five fields, day of month
 * and day of week OR-ed as Vixie cron does, {@code @daily}-style macros expanded here).
 *
 * <p>Cron times are wall-clock times of the schedule's zone, as Airflow reads them: a wall time
 * that a spring-forward skips fires at the moment it is shifted to ({@code 02:30} on the night
 * Paris moves from 02:00 to 03:00 fires at 03:30 CEST, the same instant as {@code 02:30} pushed
 * past the gap); a wall time that a fall-back repeats fires once, at its first occurrence. Start
 * and end dates are wall-clock times of the same zone, and both are included.
 */
public final class CronSchedule {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    /** Macros and the five fields they stand for (Vixie cron's; {@code @reboot} has no meaning here). */
    static final Map<String, String> MACROS = Map.of("@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");
    private static final List<String> FIELDS = List.of("minute", "hour", "day of month", "month", "day of week");
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mmXXX");
    /** How many cron times one computation may step over (a fall-back hour of a per-minute schedule is 60). */
    private static final int MAX_STEPS = 10_000;

    private final Schedule schedule;
    private final ExecutionTime execution;
    private final ZoneId zone;
    private final Instant start;
    private final Instant end;

    private CronSchedule(Schedule schedule, ExecutionTime execution) {
        this.schedule = schedule;
        this.execution = execution;
        this.zone = schedule.zone();
        LocalDateTime s = Schedule.localDateTime(schedule.startDate());
        LocalDateTime e = Schedule.localDateTime(schedule.endDate());
        this.start = s == null ? null : ZonedDateTime.ofLocal(s, zone, null).toInstant();
        this.end = e == null ? null : ZonedDateTime.ofLocal(e, zone, null).toInstant();
    }

    /**
     * The computable form of a schedule the parser accepted.
     *
     * @throws IllegalArgumentException when its cron expression is not one ({@link #problem} says why)
     */
    public static CronSchedule of(Schedule schedule) {
        String problem = problem(schedule.cron());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new CronSchedule(schedule, ExecutionTime.forCron(parse(schedule.cron())));
    }

    /**
     * What is wrong with a cron expression, naming the field and the value (for
     * {@code schedule.schedule_interval}), or null when it is fine. Plugged into the pipeline
     * parser as its {@link dev.pipewright.protocol.parse.CronCheck}.
     */
    public static String problem(String cron) {
        String text = cron.trim();
        if (text.startsWith("@") && !MACROS.containsKey(text.toLowerCase(java.util.Locale.ROOT))) {
            return "unknown macro '" + text + "': use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, "
                    + "or five cron fields such as \"5 10 * * *\"";
        }
        Cron parsed;
        try {
            parsed = parse(text);
        } catch (IllegalArgumentException e) {
            return located(expand(text), e);
        }
        if (ExecutionTime.forCron(parsed).nextExecution(ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)).isEmpty()) {
            return "'" + text + "' matches no date (such as 30 February): it would never fire";
        }
        return null;
    }

    private static Cron parse(String cron) {
        Cron c = PARSER.parse(expand(cron));
        c.validate();
        return c;
    }

    private static String expand(String cron) {
        String text = cron.trim();
        return MACROS.getOrDefault(text.toLowerCase(java.util.Locale.ROOT), text);
    }

    /** The library's refusal, with the first field that is wrong on its own named. */
    private static String located(String cron, IllegalArgumentException e) {
        String why = e.getMessage() == null ? "not a cron expression" : e.getMessage().replace("Failed to parse cron expression. ", "");
        why = why.isEmpty() ? why : Character.toLowerCase(why.charAt(0)) + why.substring(1);
        String[] fields = cron.split("\\s+");
        if (fields.length == 5) {
            for (int i = 0; i < 5; i++) {
                String[] probe = {"*", "*", "*", "*", "*"};
                probe[i] = fields[i];
                try {
                    PARSER.parse(String.join(" ", probe)).validate();
                } catch (IllegalArgumentException wrong) {
                    return FIELDS.get(i) + " '" + fields[i] + "': " + why;
                }
            }
        }
        return "'" + cron + "' is not a cron expression: " + why;
    }

    public Schedule schedule() {
        return schedule;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first cron time strictly after {@code t} that lies between the start and end dates; empty once the end is passed. */
    public Optional<Instant> nextAfter(Instant t) {
        Instant from = start != null && start.isAfter(t) ? start.minusMillis(1) : t;
        Optional<Instant> next = wallClockNext(from);
        return next.filter(at -> end == null || !at.isAfter(end));
    }

    /** The last cron time at or before {@code t} (and at or before the end date, on or after the start date); empty when none. */
    public Optional<Instant> latestAtOrBefore(Instant t) {
        Instant bound = end != null && end.isBefore(t) ? end : t;
        return wallClockLatest(bound).filter(at -> start == null || !at.isBefore(start));
    }

    /** One fire: the cron time it stands for, and the next cron time after it (null: the schedule has ended). */
    public record Fire(Instant at, Instant next) {
    }

    /**
     * What to fire for a schedule due at {@code due} (a cron time), seen at {@code now}: without
     * catch-up, one job for the latest cron time that has passed (Airflow's {@code catchup=False}),
     * then the first cron time after now. Missed times in between are not fired.
     */
    public Fire fire(Instant due, Instant now) {
        Instant at = latestAtOrBefore(now).filter(latest -> latest.isAfter(due)).orElse(due);
        Instant after = at.isAfter(now) ? at : now;
        return new Fire(at, nextAfter(after).orElse(null));
    }

    /** The next cron time after {@code now}, for a schedule (re)started then: nothing missed is fired. */
    public Optional<Instant> nextFrom(java.time.Clock clock) {
        return nextAfter(clock.instant());
    }

    /** An instant as the schedule's wall clock shows it, ISO-8601 with its offset ({@code 2026-12-01T10:05:00+01:00}). */
    public String local(Instant t) {
        return t.atZone(zone).toOffsetDateTime().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    /** The name of a scheduled job: {@code <pipeline> @ 2026-12-01T10:05+01:00}. */
    public String jobName(String pipeline, Instant at) {
        return pipeline + " @ " + at.atZone(zone).format(NAME_TIME);
    }

    private Optional<Instant> wallClockNext(Instant t) {
        ZonedDateTime probe = LocalDateTime.ofInstant(t, zone).atZone(ZoneOffset.UTC);
        for (int i = 0; i < MAX_STEPS; i++) {
            Optional<ZonedDateTime> n = execution.nextExecution(probe);
            if (n.isEmpty()) {
                return Optional.empty();
            }
            Instant at = ZonedDateTime.ofLocal(n.get().toLocalDateTime(), zone, null).toInstant();
            if (at.isAfter(t)) {
                return Optional.of(at);
            }
            probe = n.get(); // a wall time of a repeated hour that came already, at its first occurrence
        }
        return Optional.empty();
    }

    private Optional<Instant> wallClockLatest(Instant t) {
        ZonedDateTime probe = LocalDateTime.ofInstant(t, zone).atZone(ZoneOffset.UTC).plusNanos(1_000_000);
        for (int i = 0; i < MAX_STEPS; i++) {
            Optional<ZonedDateTime> n = execution.lastExecution(probe);
            if (n.isEmpty()) {
                return Optional.empty();
            }
            Instant at = ZonedDateTime.ofLocal(n.get().toLocalDateTime(), zone, null).toInstant();
            if (!at.isAfter(t)) {
                return Optional.of(at);
            }
            probe = n.get(); // a skipped wall time, shifted past the gap beyond t
        }
        return Optional.empty();
    }
}
