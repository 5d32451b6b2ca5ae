package dev.pipewright.worker.runtime;

import com.rabbitmq.client.Connection;
import dev.pipewright.infra.config.CommonConfig.QueueType;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.pipeline.Priority;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A classic queue's delivery limit: counted per body, dead-lettered past the limit, a hand-back counted back. */
class DeliveryLimitTest {
    private final FakeChannel fake = new FakeChannel();
    private final PoolChannel pc = new PoolChannel("default", Priority.MEDIUM, fake.channel, "pw.pool.default", "t", d -> { });
    private final Map<String, Long> counts = new HashMap<>();
    private final DeliveryLimit limit = new DeliveryLimit(new DeliveryLimit.Counts() {
        @Override
        public long countRedelivery(byte[] body) {
            return counts.merge(new String(body), 1L, Long::sum);
        }

        @Override
        public void uncountRedelivery(byte[] body) {
            counts.merge(new String(body), -1L, Long::sum);
        }
    }, new Topology(new Keys("pw", 4), QueueType.CLASSIC), () -> (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
            new Class<?>[]{Connection.class}, (proxy, method, args) -> method.getName().equals("createChannel") ? fake.channel : null),
            new WorkerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));

    private Delivery redelivered(long tag) {
        pc.acks.delivered(tag);
        return new Delivery(pc, tag, true, "m".getBytes());
    }

    @Test
    void upToTheLimitAMessageGoesOnPastItItIsDeadLetteredAndAcked() throws Exception {
        for (int i = 1; i <= Topology.DELIVERY_LIMIT; i++) {
            assertFalse(limit.overLimit(redelivered(i)), "redelivery " + i + " is handled");
        }
        assertTrue(limit.overLimit(redelivered(99)));
        assertEquals(List.of("publish pw.dlx pw.pool.default", "ack 99"), fake.calls, "acked alone: the five before it still wait");
    }

    @Test
    void aHandBackByTheWorkerItselfTakesItsCountBack() throws Exception {
        Delivery d = redelivered(1);
        assertFalse(limit.overLimit(d));
        assertEquals(1L, counts.get("m"));
        d.handBack();
        assertEquals(0L, counts.get("m"));
    }
}
