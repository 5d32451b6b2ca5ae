package dev.pipewright.infra.state;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StateGatewayTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> texts(byte[][] args) {
        return Arrays.stream(args).map(a -> new String(a, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void commitArgumentsAreSevenFieldsPerAttemptThenThreePerOutput() {
        byte[] value = {0, 1, 2};
        Map<String, StateGateway.Output> outputs = new LinkedHashMap<>();
        outputs.put("data4", new StateGateway.Output(value, "application/octet-stream"));
        outputs.put("data5", new StateGateway.Output(b("{}"), "application/json"));
        byte[][] args = StateGateway.commitArgs(List.of(
                new StateGateway.Commit("abcdefgh", "task1", "a1", StateGateway.Outcome.OK, null, false, outputs),
                new StateGateway.Commit("abcdefgh", "task2", "a2", StateGateway.Outcome.FAIL, "boom", true, Map.of())));

        assertEquals(List.of("abcdefgh", "task1", "a1", "ok", "", "0", "2",
                        "data4", new String(value, StandardCharsets.UTF_8), "application/octet-stream",
                        "data5", "{}", "application/json",
                        "abcdefgh", "task2", "a2", "fail", "boom", "1", "0"),
                texts(args));
        assertSame(value, args[8], "an output's value goes to Redis as it is, not copied");
    }

    @Test
    void aLongErrorIsCutAtTheLimit() {
        String error = "x".repeat(StateGateway.ERROR_MAX + 10);
        byte[][] args = StateGateway.commitArgs(List.of(
                new StateGateway.Commit("abcdefgh", "t", "a", StateGateway.Outcome.FAIL, error, false, Map.of())));
        assertEquals("x".repeat(StateGateway.ERROR_MAX) + "…", texts(args).get(4));
    }

    @Test
    void claimRepliesOfEachKindInOrder() {
        List<Object> raw = List.of(
                List.of(b("ok"), b("{\"processor\":\"p\"}"), b("{\"d\":1}"), b("2"), b("30000"), b("1500"), b(""), b("in1"), b("in2")),
                List.of(b("missing"), b("data1"), b("train")),
                List.of(b("stale"), b("RUNNING")));
        List<ClaimReply> replies = StateGateway.claimReplies(raw);

        ClaimReply.Claimed claimed = assertInstanceOf(ClaimReply.Claimed.class, replies.get(0));
        assertArrayEquals(b("{\"processor\":\"p\"}"), claimed.spec());
        assertArrayEquals(b("{\"d\":1}"), claimed.params());
        assertEquals(2, claimed.attempt());
        assertEquals(Duration.ofSeconds(30), claimed.lease());
        assertEquals(Duration.ofNanos(1_500_000), claimed.queueWait());
        assertEquals("", claimed.infra());
        assertEquals(List.of("in1", "in2"), claimed.inputs().stream().map(v -> new String(v, StandardCharsets.UTF_8)).toList());
        assertEquals(new ClaimReply.MissingInput("data1", "train"), replies.get(1));
        assertEquals(new ClaimReply.Stale("RUNNING"), replies.get(2));
    }

    @Test
    void anUnknownClaimAnswerIsAnError() {
        List<Object> raw = List.of(List.of(b("what")));
        assertThrows(IllegalStateException.class, () -> StateGateway.claimReplies(raw));
    }
}
