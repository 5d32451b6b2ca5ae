package dev.pipewright.protocol.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobStateTest {

    private static Set<JobState> reachableFrom(JobState... starts) {
        Set<JobState> seen = EnumSet.noneOf(JobState.class);
        seen.addAll(Arrays.asList(starts));
        Deque<JobState> todo = new ArrayDeque<>(seen);
        while (!todo.isEmpty()) {
            JobState.ALLOWED.get(todo.poll()).stream().filter(seen::add).forEach(todo::add);
        }
        return seen;
    }

    @Test
    void tableCoversEveryState() {
        assertEquals(EnumSet.allOf(JobState.class), EnumSet.copyOf(JobState.ALLOWED.keySet()));
    }

    @ParameterizedTest
    @EnumSource(value = JobState.class, names = {"SUCCESS", "FAILED", "CANCELLED"})
    void terminalStatesHaveNoOutgoingTransitions(JobState state) {
        assertTrue(state.isTerminal());
        for (JobState to : JobState.values()) {
            assertFalse(state.canMoveTo(to), state + " -> " + to);
        }
    }

    @ParameterizedTest
    @EnumSource(value = JobState.class, names = {"READY", "PENDING", "RUNNING"})
    void nonTerminalStatesHaveOutgoingTransitions(JobState state) {
        assertFalse(state.isTerminal());
        assertFalse(JobState.ALLOWED.get(state).isEmpty());
        assertTrue(state.canMoveTo(JobState.CANCELLING), "every live job can be stopped: " + state);
        assertTrue(JobState.CANCELLING.canMoveTo(JobState.CANCELLED));
    }

    static Stream<Arguments> everyPair() {
        return Arrays.stream(JobState.values())
                .flatMap(from -> Arrays.stream(JobState.values()).map(to -> Arguments.of(from, to)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void checkTransitionFollowsTheTable(JobState from, JobState to) {
        boolean allowed = JobState.ALLOWED.get(from).contains(to);
        assertEquals(allowed, from.canMoveTo(to));
        if (allowed) {
            assertDoesNotThrow(() -> JobState.checkTransition(from, to));
        } else {
            IllegalStateTransitionException e =
                    assertThrows(IllegalStateTransitionException.class, () -> JobState.checkTransition(from, to));
            assertEquals(from.name(), e.from());
            assertEquals(to.name(), e.to());
        }
    }

    @Test
    void forbiddenMoveNamesFromAndTo() {
        IllegalStateTransitionException e = assertThrows(IllegalStateTransitionException.class,
                () -> JobState.checkTransition(JobState.SUCCESS, JobState.RUNNING));
        assertEquals("SUCCESS", e.from());
        assertEquals("RUNNING", e.to());
        assertEquals("illegal transition SUCCESS -> RUNNING", e.getMessage());
        assertThrows(IllegalStateTransitionException.class, () -> JobState.checkTransition(JobState.READY, JobState.SUCCESS));
        assertThrows(IllegalStateTransitionException.class, () -> JobState.checkTransition(JobState.RUNNING, JobState.PENDING));
    }

    @Test
    void manualAndScheduledLifeCycles() {
        // manual: Ready -> Running -> Success/Failed; scheduled: Pending -> Running -> Success/Failed
        assertDoesNotThrow(() -> {
            JobState.checkTransition(JobState.READY, JobState.RUNNING);
            JobState.checkTransition(JobState.PENDING, JobState.RUNNING);
            JobState.checkTransition(JobState.RUNNING, JobState.SUCCESS);
            JobState.checkTransition(JobState.RUNNING, JobState.FAILED);
            JobState.checkTransition(JobState.RUNNING, JobState.CANCELLING);
            JobState.checkTransition(JobState.CANCELLING, JobState.CANCELLED);
            JobState.checkTransition(JobState.CANCELLING, JobState.FAILED);
        });
    }

    @Test
    void aBuiltJobCanWaitForItsPipelinesLimitButNotGoBack() {
        // READY (built) starts RUNNING, or PENDING while its pipeline is at its running-jobs limit
        assertEquals(EnumSet.complementOf(EnumSet.of(JobState.READY)), reachableFrom(JobState.PENDING));
        assertEquals(EnumSet.allOf(JobState.class), reachableFrom(JobState.READY));
        assertEquals(EnumSet.allOf(JobState.class), reachableFrom(JobState.READY, JobState.PENDING));
    }

    @Test
    void everyStateCanReachATerminalOne() {
        for (JobState state : JobState.values()) {
            assertTrue(reachableFrom(state).stream().anyMatch(JobState::isTerminal), state + " can never finish");
        }
    }
}
