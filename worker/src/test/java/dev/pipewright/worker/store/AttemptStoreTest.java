package dev.pipewright.worker.store;

import dev.pipewright.infra.state.ClaimReply;
import dev.pipewright.protocol.job.Infra;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AttemptStoreTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String SPEC = """
            {"processor":"train","config":{"epochs":3},"inputs":["data1","data2"],"outputs":["model"],"timeoutMs":60000}""";

    @Test
    void aClaimedReplyHasItsSpecParametersAndInputsByName() {
        Claim claim = AttemptStore.claim(new ClaimReply.Claimed(b(SPEC), b("{\"date\":\"2024-01-01\",\"n\":2}"), 3,
                Duration.ofSeconds(30), Duration.ofMillis(5), "", List.of(b("v1"), b("v2"))));

        Claim.Claimed claimed = assertInstanceOf(Claim.Claimed.class, claim);
        assertEquals("train", claimed.spec().processor());
        assertEquals(Map.of("epochs", 3), claimed.spec().config());
        assertEquals(60_000, claimed.spec().timeoutMs());
        assertEquals(List.of("date", "n"), List.copyOf(claimed.parameters().keySet()), "parameters keep their order");
        assertEquals(2, claimed.parameters().get("n"));
        assertEquals(List.of("data1", "data2"), List.copyOf(claimed.inputs().keySet()));
        assertArrayEquals(b("v2"), claimed.inputs().get("data2"));
        assertEquals(3, claimed.attempt());
        assertEquals(Duration.ofSeconds(30), claimed.lease());
        assertEquals(Duration.ofMillis(5), claimed.queueWait());
        assertNull(claimed.infra(), "no infra asked for");
    }

    @Test
    void aJobsInfraComesWithTheClaim() {
        Claim.Claimed claimed = (Claim.Claimed) AttemptStore.claim(new ClaimReply.Claimed(b(SPEC), b("{}"), 1,
                Duration.ofSeconds(30), Duration.ZERO, "{\"cpu\":0.5,\"memory\":\"4Gi\"}", List.of(b("v1"), b("v2"))));
        assertEquals(new Infra(new BigDecimal("0.5"), "4Gi", null), claimed.infra());
        assertNull(((Claim.Claimed) AttemptStore.claim(new ClaimReply.Claimed(b(SPEC), b("{}"), 1,
                Duration.ofSeconds(30), Duration.ZERO, "{}", List.of(b("v1"), b("v2"))))).infra());
    }

    @Test
    void staleAndMissingInputPassThrough() {
        assertEquals(new Claim.Stale("RUNNING"), AttemptStore.claim(new ClaimReply.Stale("RUNNING")));
        assertEquals(new Claim.MissingInput("data1", "train"), AttemptStore.claim(new ClaimReply.MissingInput("data1", "train")));
    }

    @Test
    void anUnreadableSpecIsAnError() {
        assertThrows(IllegalStateException.class, () -> AttemptStore.claim(new ClaimReply.Claimed(b("{not json"), b("{}"), 1,
                Duration.ofSeconds(30), Duration.ZERO, "", List.of())));
    }
}
