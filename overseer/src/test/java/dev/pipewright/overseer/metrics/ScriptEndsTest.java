package dev.pipewright.overseer.metrics;

import dev.pipewright.infra.redis.Script;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outcomes and reasons the Lua scripts report for {@code pipewright.tasks.ended} are the
 * bounded sets {@link OverseerMetrics} documents (and the dashboard and alerts may use).
 */
class ScriptEndsTest {
    private static final Pattern CALL = Pattern.compile("note_task_end\\(([^)]*)\\)");
    private static final Pattern OUTCOME = Pattern.compile("^\\s*'([A-Za-z_]+)'\\s*$");
    private static final Pattern REASON = Pattern.compile("'([a-z_]+)'");

    @Test
    void everyTaskEndAScriptNotesHasAKnownOutcomeAndReason() {
        Set<String> outcomes = new TreeSet<>();
        Set<String> reasons = new TreeSet<>();
        int calls = 0;
        for (Script script : Script.values()) {
            Matcher call = CALL.matcher(script.source());
            while (call.find()) {
                String[] args = call.group(1).split(",", 3);
                if (args.length < 3 || args[1].trim().equals("state")) {
                    continue; // the definition in lib.lua
                }
                calls++;
                Matcher outcome = OUTCOME.matcher(args[1]);
                if (outcome.matches()) {
                    outcomes.add(outcome.group(1));
                } // else computed: end_attempt's state (FAILED, TIMED_OUT, CANCELLED; checked below) or 'retry'
                Matcher reason = REASON.matcher(args[2]);
                while (reason.find()) {
                    reasons.add(reason.group(1));
                }
            }
        }
        assertTrue(calls >= 8, "the scripts should note task ends in several places, found " + calls);
        List<String> problems = new ArrayList<>();
        outcomes.stream().filter(o -> !OverseerMetrics.TASK_END_OUTCOMES.contains(o)).forEach(o -> problems.add("outcome " + o));
        reasons.stream().filter(r -> !OverseerMetrics.TASK_END_REASONS.contains(r)).forEach(r -> problems.add("reason " + r));
        assertEquals(List.of(), problems, "not in OverseerMetrics' lists");
        assertTrue(reasons.add("dead_letter"), "poison.lua answers a status only: DeadLetterConsumer counts its 'failed'");
        assertEquals(new TreeSet<>(OverseerMetrics.TASK_END_REASONS), reasons, "every documented reason is reported somewhere");
        assertTrue(Script.TIMER.source().contains("note_task_end(key, ended or r, 'attempt_timeout')"),
                "an attempt timeout reports 'retry' (end_attempt's first result) when the task will be retried");
    }

    @Test
    void endAttemptOnlyEverEndsATaskInAStateTheOutcomesName() {
        Set<String> states = new TreeSet<>();
        for (Script script : Script.values()) {
            Matcher m = Pattern.compile("end_attempt\\([^\\n]*'([A-Z_]+)'\\)").matcher(script.source());
            while (m.find()) {
                states.add(m.group(1));
            }
        }
        assertTrue(states.containsAll(Set.of("FAILED", "TIMED_OUT", "CANCELLED")), states.toString());
        assertTrue(OverseerMetrics.TASK_END_OUTCOMES.containsAll(states), states.toString());
    }
}
