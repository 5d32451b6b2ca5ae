package dev.pipewright.overseer.release;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetriesTest {
    @Test
    void anItemIsTriedWithDoublingBackOffThenSetAside() {
        Retries r = new Retries(4, Duration.ofMillis(100), Duration.ofMillis(250));
        assertFalse(r.failed("e1", "x", false, 1_000));
        assertEquals(1_100, r.nextDue());
        assertTrue(r.waiting("e1", 1_050));
        assertFalse(r.waiting("e1", 1_100), "due");
        assertTrue(r.failedBefore("e1"));
        assertFalse(r.failed("e1", "x", false, 1_100));
        assertEquals(1_300, r.nextDue(), "doubled");
        assertFalse(r.failed("e1", "x", false, 1_300));
        assertEquals(1_550, r.nextDue(), "capped at the max delay");
        assertTrue(r.failed("e1", "x", false, 1_550), "the fourth failure sets it aside");
        assertFalse(r.failedBefore("e1"));
        assertEquals(Long.MAX_VALUE, r.nextDue());
    }

    @Test
    void anItemGoneFromTheHistoryIsForgottenSoNothingStaysDueForEver() {
        Retries r = new Retries();
        r.postpone("e1", "the connection dropped under the release call", 0);
        r.postpone("e2", "the store is down", 0);
        // a history pass met only e2: e1's release had gone through, its reply was lost
        r.retainOnly(java.util.Set.of("e2", "e3"));
        assertFalse(r.failedBefore("e1"));
        assertTrue(r.failedBefore("e2"));
        r.retainOnly(java.util.Set.of());
        assertEquals(Long.MAX_VALUE, r.nextDue(), "nothing is due once nothing is pending");
    }

    @Test
    void aPermanentFailureIsSetAsideAtOnceAndOthersDoNotWait() {
        Retries r = new Retries();
        assertTrue(r.failed("e1", "a directory", true, 0));
        assertFalse(r.failed("e2", "x", false, 0));
        assertFalse(r.waiting("e3", 0), "an item that never failed never waits");
        r.succeeded("e2");
        assertTrue(r.isEmpty());
    }

    @Test
    void aPostponedItemUsesUpNoTry() {
        Retries r = new Retries(2, Duration.ofMillis(100), Duration.ofSeconds(1));
        for (int i = 0; i < 10; i++) {
            r.postpone("e1", "redis down", i * 1000L);
        }
        assertFalse(r.failed("e1", "x", false, 20_000), "still its first try");
        assertTrue(r.failed("e1", "x", false, 30_000));
    }

    @Test
    void onlyTheScriptsOwnErrorsCountAgainstAnItem() {
        assertTrue(Retries.refusedByScript(new RedisCommandExecutionException("ERR illegal task transition")));
        assertTrue(Retries.refusedByScript(new RuntimeException(new RedisCommandExecutionException("ERR user_script:1: boom"))));
        assertFalse(Retries.refusedByScript(new RedisCommandExecutionException("LOADING Redis is loading the dataset in memory")));
        assertFalse(Retries.refusedByScript(new RedisCommandExecutionException("READONLY You can't write against a read only replica.")));
        assertFalse(Retries.refusedByScript(new RedisConnectionException("refused")));
        assertFalse(Retries.refusedByScript(new java.util.concurrent.TimeoutException()));
    }
}
