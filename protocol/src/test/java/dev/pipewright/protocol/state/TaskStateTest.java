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

class TaskStateTest {
    private static final Set<TaskState> TERMINAL =
            EnumSet.of(TaskState.SUCCESS, TaskState.FAILED, TaskState.TIMED_OUT, TaskState.CANCELLED, TaskState.SKIPPED,
                    TaskState.CACHED);

    @Test
    void tableCoversEveryState() {
        assertEquals(EnumSet.allOf(TaskState.class), EnumSet.copyOf(TaskState.ALLOWED.keySet()));
    }

    @Test
    void terminalStatesAreExactlyTheExpectedOnes() {
        Set<TaskState> terminal = EnumSet.noneOf(TaskState.class);
        Arrays.stream(TaskState.values()).filter(TaskState::isTerminal).forEach(terminal::add);
        assertEquals(TERMINAL, terminal);
    }

    @ParameterizedTest
    @EnumSource(value = TaskState.class, names = {"SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED", "CACHED"})
    void terminalStatesHaveNoOutgoingTransitions(TaskState state) {
        assertTrue(state.isTerminal());
        assertTrue(TaskState.ALLOWED.get(state).isEmpty());
        for (TaskState to : TaskState.values()) {
            assertFalse(state.canMoveTo(to), state + " -> " + to);
            assertThrows(IllegalStateTransitionException.class, () -> TaskState.checkTransition(state, to));
        }
    }

    @ParameterizedTest
    @EnumSource(value = TaskState.class, names = {"PENDING", "READY", "RUNNING", "RETRY_WAIT"})
    void nonTerminalStatesHaveSomeWayOut(TaskState state) {
        assertFalse(state.isTerminal());
        assertFalse(TaskState.ALLOWED.get(state).isEmpty());
        assertTrue(TaskState.ALLOWED.get(state).stream().anyMatch(s -> s != state), state + " must lead to another state");
        assertTrue(state.canMoveTo(TaskState.CANCELLED), "every live task can be cancelled: " + state);
    }

    static Stream<Arguments> everyPair() {
        return Arrays.stream(TaskState.values())
                .flatMap(from -> Arrays.stream(TaskState.values()).map(to -> Arguments.of(from, to)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void checkTransitionFollowsTheTable(TaskState from, TaskState to) {
        boolean allowed = TaskState.ALLOWED.get(from).contains(to);
        assertEquals(allowed, from.canMoveTo(to));
        if (allowed) {
            assertDoesNotThrow(() -> TaskState.checkTransition(from, to));
        } else {
            IllegalStateTransitionException e =
                    assertThrows(IllegalStateTransitionException.class, () -> TaskState.checkTransition(from, to));
            assertEquals(from.name(), e.from());
            assertEquals(to.name(), e.to());
        }
    }

    @Test
    void forbiddenMoveNamesFromAndTo() {
        IllegalStateTransitionException e = assertThrows(IllegalStateTransitionException.class,
                () -> TaskState.checkTransition(TaskState.SUCCESS, TaskState.RUNNING));
        assertEquals("SUCCESS", e.from());
        assertEquals("RUNNING", e.to());
        assertEquals("illegal transition SUCCESS -> RUNNING", e.getMessage());
        assertTrue(e instanceof IllegalStateException);
        assertThrows(IllegalStateTransitionException.class,
                () -> TaskState.checkTransition(TaskState.PENDING, TaskState.RUNNING), "must be READY first");
        assertThrows(IllegalStateTransitionException.class,
                () -> TaskState.checkTransition(TaskState.RETRY_WAIT, TaskState.RUNNING), "a retry is re-dispatched");
    }

    @Test
    void theNormalLifeIsAllowed() {
        assertDoesNotThrow(() -> {
            TaskState.checkTransition(TaskState.PENDING, TaskState.READY);
            TaskState.checkTransition(TaskState.READY, TaskState.RUNNING);
            TaskState.checkTransition(TaskState.RUNNING, TaskState.RETRY_WAIT);
            TaskState.checkTransition(TaskState.RETRY_WAIT, TaskState.READY);
            TaskState.checkTransition(TaskState.RUNNING, TaskState.SUCCESS);
            TaskState.checkTransition(TaskState.PENDING, TaskState.SKIPPED);
        });
    }

    @Test
    void everyStateIsReachableFromPending() {
        Set<TaskState> seen = EnumSet.of(TaskState.PENDING);
        Deque<TaskState> todo = new ArrayDeque<>(seen);
        while (!todo.isEmpty()) {
            for (TaskState next : TaskState.ALLOWED.get(todo.poll())) {
                if (seen.add(next)) {
                    todo.add(next);
                }
            }
        }
        assertEquals(EnumSet.allOf(TaskState.class), seen);
    }

    @Test
    void everyNonTerminalStateCanReachATerminalOne() {
        for (TaskState start : TaskState.values()) {
            Set<TaskState> seen = EnumSet.of(start);
            Deque<TaskState> todo = new ArrayDeque<>(seen);
            while (!todo.isEmpty()) {
                TaskState.ALLOWED.get(todo.poll()).stream().filter(seen::add).forEach(todo::add);
            }
            assertTrue(seen.stream().anyMatch(TaskState::isTerminal), start + " can never finish");
        }
    }
}
