package dev.pipewright.overseer.schedule;

import dev.pipewright.protocol.pipeline.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The next-fire computation, against a fixed clock: zones and their DST changes, start and end dates, macros, catch-up. */
class CronScheduleTest {
    private static final String PARIS = "Europe/Paris";

    private static CronSchedule cron(String expression, String start, String end, String zone) {
        return CronSchedule.of(new Schedule(expression, start, end, zone));
    }

    private static Clock at(String isoOffset) {
        return Clock.fixed(OffsetDateTime.parse(isoOffset).toInstant(), ZoneOffset.UTC);
    }

    private static Instant t(String isoOffset) {
        return OffsetDateTime.parse(isoOffset).toInstant();
    }

    @Test
    void firesEachDayAtFivePastTenInParisFromTheStartDate() {
        CronSchedule s = cron("5 10 * * *", "2022-01-01 00:00", "2022-12-31 00:00", PARIS);
        assertEquals(Optional.of(t("2022-01-01T10:05+01:00")), s.nextFrom(at("2021-12-15T00:00Z")));
        assertEquals(Optional.of(t("2022-06-01T10:05+02:00")), s.nextFrom(at("2022-06-01T07:00Z")), "summer time: 08:05 UTC");
        assertEquals(Optional.of(t("2022-06-02T10:05+02:00")), s.nextFrom(at("2022-06-01T08:05Z")), "strictly after now");
    }

    @Test
    void theEndDateEndsIt() {
        CronSchedule s = cron("5 10 * * *", "2022-01-01 00:00", "2022-12-31 00:00", PARIS);
        assertEquals(Optional.of(t("2022-12-30T10:05+01:00")), s.nextFrom(at("2022-12-30T00:00Z")));
        assertEquals(Optional.empty(), s.nextFrom(at("2022-12-30T09:05Z")), "the 31st at 10:05 is after the end date");
        assertEquals(Optional.empty(), s.nextFrom(at("2026-01-01T00:00Z")));
        assertEquals(Optional.of(t("2022-12-30T10:05+01:00")), s.latestAtOrBefore(t("2026-01-01T00:00Z")));
    }

    @Test
    void bothDatesAreIncluded() {
        CronSchedule s = cron("0 0 * * *", "2026-01-01 00:00", "2026-01-03 00:00", null);
        assertEquals(Optional.of(t("2026-01-01T00:00Z")), s.nextFrom(at("2025-06-01T00:00Z")));
        assertEquals(Optional.of(t("2026-01-03T00:00Z")), s.nextFrom(at("2026-01-02T00:00Z")));
        assertEquals(Optional.empty(), s.nextFrom(at("2026-01-03T00:00Z")));
        assertEquals(Optional.empty(), s.latestAtOrBefore(t("2025-12-31T23:59Z")), "nothing before the start date");
    }

    @Test
    void withoutAZoneItIsUtc() {
        CronSchedule s = cron("5 10 * * *", null, null, null);
        assertEquals(Optional.of(t("2026-12-01T10:05Z")), s.nextFrom(at("2026-12-01T10:04:59.999Z")));
        assertEquals("p @ 2026-12-01T10:05Z", s.jobName("p", t("2026-12-01T10:05Z")));
    }

    @Test
    void parisSpringForwardKeepsTheWallClockTime() {
        CronSchedule s = cron("5 10 * * *", null, null, PARIS);
        assertEquals(Optional.of(t("2026-03-28T09:05Z")), s.nextFrom(at("2026-03-28T00:00Z")), "10:05 CET");
        assertEquals(Optional.of(t("2026-03-29T08:05Z")), s.nextFrom(at("2026-03-28T12:00Z")), "10:05 CEST, an hour earlier in UTC");
    }

    @Test
    void parisFallBackKeepsTheWallClockTime() {
        CronSchedule s = cron("5 10 * * *", null, null, PARIS);
        assertEquals(Optional.of(t("2026-10-24T08:05Z")), s.nextFrom(at("2026-10-24T00:00Z")), "10:05 CEST");
        assertEquals(Optional.of(t("2026-10-25T09:05Z")), s.nextFrom(at("2026-10-24T12:00Z")), "10:05 CET");
    }

    @Test
    void aWallTimeTheSpringForwardSkipsFiresShiftedPastTheGap() {
        CronSchedule s = cron("30 2 * * *", null, null, PARIS);
        Instant first = s.nextFrom(at("2026-03-28T12:00Z")).orElseThrow();
        assertEquals(t("2026-03-29T03:30+02:00"), first, "02:30 does not exist that night: 03:30 CEST, as Airflow runs it");
        assertEquals(Optional.of(t("2026-03-30T02:30+02:00")), s.nextAfter(first));
        assertEquals(Optional.of(first), s.latestAtOrBefore(t("2026-03-29T03:45+02:00")));
        assertEquals(Optional.of(t("2026-03-28T02:30+01:00")), s.latestAtOrBefore(t("2026-03-29T03:10+02:00")));
    }

    @Test
    void aWallTimeTheFallBackRepeatsFiresOnce() {
        CronSchedule s = cron("30 2 * * *", null, null, PARIS);
        Instant first = s.nextFrom(at("2026-10-24T12:00Z")).orElseThrow();
        assertEquals(t("2026-10-25T02:30+02:00"), first, "its first occurrence");
        assertEquals(Optional.of(t("2026-10-26T02:30+01:00")), s.nextAfter(first), "not again at 02:30 CET an hour later");
        assertEquals(Optional.of(t("2026-10-26T02:30+01:00")), s.nextAfter(t("2026-10-25T02:10+01:00")));
    }

    @Test
    void anHourlyScheduleFiresEachWallClockHourOnce() {
        CronSchedule s = cron("0 * * * *", null, null, PARIS);
        // spring: 02:00 does not exist; 01:00 CET, then 03:00 CEST (02:00 shifted there is the same instant)
        assertEquals(Optional.of(t("2026-03-29T03:00+02:00")), s.nextAfter(t("2026-03-29T01:00+01:00")));
        assertEquals(Optional.of(t("2026-03-29T04:00+02:00")), s.nextAfter(t("2026-03-29T03:00+02:00")));
        // autumn: 02:00 comes twice, the wall clock hour fires once
        assertEquals(Optional.of(t("2026-10-25T02:00+02:00")), s.nextAfter(t("2026-10-25T01:00+02:00")));
        assertEquals(Optional.of(t("2026-10-25T03:00+01:00")), s.nextAfter(t("2026-10-25T02:00+02:00")));
    }

    @ParameterizedTest(name = "{0} after {1} -> {2}")
    @CsvSource({
            "@hourly, 2026-05-05T13:10Z, 2026-05-05T14:00Z",
            "@daily, 2026-05-05T13:10Z, 2026-05-06T00:00Z",
            "@midnight, 2026-05-05T13:10Z, 2026-05-06T00:00Z",
            "@weekly, 2026-05-05T13:10Z, 2026-05-10T00:00Z",
            "@monthly, 2026-05-05T13:10Z, 2026-06-01T00:00Z",
            "@yearly, 2026-05-05T13:10Z, 2027-01-01T00:00Z",
            "@annually, 2026-05-05T13:10Z, 2027-01-01T00:00Z",
            "@DAILY, 2026-05-05T13:10Z, 2026-05-06T00:00Z",
            "*/15 9-17 * * 1-5, 2026-05-08T17:50Z, 2026-05-11T09:00Z",
            "0 0 1 * MON, 2026-06-02T00:00Z, 2026-06-08T00:00Z",
            "0 0 29 2 *, 2026-01-01T00:00Z, 2028-02-29T00:00Z",
    })
    void macrosAndExpressions(String expression, String now, String next) {
        assertEquals(Optional.of(t(next)), cron(expression, null, null, null).nextFrom(at(now)));
    }

    @Test
    void aMissedRunFiresOnceForTheLatestMissedTimeThenGoesOn() {
        CronSchedule s = cron("* * * * *", null, null, null);
        CronSchedule.Fire f = s.fire(t("2026-01-01T10:01Z"), t("2026-01-01T10:30:20Z"));
        assertEquals(t("2026-01-01T10:30Z"), f.at(), "one job, for the latest time that passed");
        assertEquals(t("2026-01-01T10:31Z"), f.next());
        CronSchedule.Fire onTime = s.fire(t("2026-01-01T10:31Z"), t("2026-01-01T10:31:00.400Z"));
        assertEquals(t("2026-01-01T10:31Z"), onTime.at());
        assertEquals(t("2026-01-01T10:32Z"), onTime.next());
    }

    @Test
    void aMissedRunPastTheEndFiresTheLastTimeAndEnds() {
        CronSchedule s = cron("* * * * *", null, "2026-01-01 10:20", null);
        CronSchedule.Fire f = s.fire(t("2026-01-01T10:01Z"), t("2026-01-01T10:30:20Z"));
        assertEquals(t("2026-01-01T10:20Z"), f.at());
        assertNull(f.next());
    }

    @Test
    void timesReadInTheSchedulesZone() {
        CronSchedule s = cron("5 10 * * *", null, null, PARIS);
        assertEquals("2026-12-01T10:05:00+01:00", s.local(t("2026-12-01T09:05Z")));
        assertEquals("nightly @ 2026-12-01T10:05+01:00", s.jobName("nightly", t("2026-12-01T09:05Z")));
        assertEquals("nightly @ 2026-07-01T10:05+02:00", s.jobName("nightly", t("2026-07-01T08:05Z")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "61 * * * * | minute '61'",
            "* 25 * * * | hour '25'",
            "* * 32 * * | day of month '32'",
            "* * * 13 * | month '13'",
            "* * * * 8 | day of week '8'",
            "5-70 * * * * | minute '5-70'",
            "*/0 * * * * | minute '*/0'",
            "0 0 L * * | day of month 'L'",
            "0 0 30 2 * | never fire",
            "@reboot | unknown macro '@reboot'",
            "@fortnightly | unknown macro",
    })
    void problemsNameTheFieldAndValue(String expression, String expected) {
        String problem = CronSchedule.problem(expression);
        assertTrue(problem != null && problem.contains(expected), () -> "expected '" + expected + "' in: " + problem);
        assertThrows(IllegalArgumentException.class, () -> cron(expression, null, null, null));
    }

    @Test
    void wellFormedExpressionsHaveNoProblem() {
        for (String ok : new String[] {"5 10 * * *", "*/15 * * * 1-5", "0 0 * JAN-MAR MON", "0 0 * * 7", "@daily", "@hourly"}) {
            assertNull(CronSchedule.problem(ok), ok);
        }
    }
}
