package dev.pipewright.worker.runtime;

import dev.pipewright.protocol.pipeline.Priority;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The acks a pool channel sends: {@code multiple} for a settled prefix, single ones above a delivery still waiting. */
class AckBatcherTest {
    private final FakeChannel fake = new FakeChannel();
    private final PoolChannel pc = new PoolChannel("default", Priority.MEDIUM, fake.channel, "pw.pool.default", "tag", d -> { });

    private Delivery deliver(long tag) {
        pc.acks.delivered(tag);
        return new Delivery(pc, tag, false, new byte[0]);
    }

    @Test
    void acksOfAPrefixGoOutAsOneMultipleAckAtTheFlush() {
        List<Delivery> ds = List.of(deliver(1), deliver(2), deliver(3));
        ds.forEach(Delivery::ack);
        assertEquals(List.of(), fake.calls, "nothing before the flush");
        pc.acks.flush();
        assertEquals(List.of("ack 3 multiple"), fake.calls);
        pc.acks.flush();
        assertEquals(1, fake.calls.size(), "a second flush sends nothing");
    }

    @Test
    void anAckAboveADeliveryStillWaitingIsNotHeldBack() {
        Delivery d1 = deliver(1);
        Delivery d2 = deliver(2);
        Delivery d3 = deliver(3);
        Delivery d4 = deliver(4);
        d1.ack();
        d3.ack();
        d4.ack();
        pc.acks.flush();
        assertEquals(List.of("ack 1 multiple", "ack 3", "ack 4"), fake.calls, "2 still waits for a slot");
        assertEquals(1, pc.unacked());
        d2.ack();
        pc.acks.flush();
        assertEquals("ack 2 multiple", fake.calls.get(3));
        assertEquals(0, pc.unacked());
    }

    @Test
    void handBacksAndRejectionsGoOutAtOnceAndASettledDeliveryIsNotSettledAgain() {
        Delivery d1 = deliver(1);
        Delivery d2 = deliver(2);
        Delivery d3 = deliver(3);
        d1.handBack();
        d2.reject();
        assertEquals(List.of("nack 1", "reject 2"), fake.calls);
        d1.ack();
        d2.handBack();
        d3.ack();
        pc.acks.flush();
        assertEquals(List.of("nack 1", "reject 2", "ack 3 multiple"), fake.calls, "a multiple ack over settled deliveries acks only 3");
    }

    @Test
    void aHandBackTakesBackItsRedeliveryCount() {
        Delivery d = deliver(7);
        int[] uncounted = {0};
        d.uncount = () -> uncounted[0]++;
        d.handBack();
        d.handBack();
        assertEquals(1, uncounted[0]);
    }
}
