package dev.pipewright.overseer.dispatch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.pipewright.infra.rabbit.Topology;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.BusMessage;
import dev.pipewright.protocol.message.StopAttempts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells every worker to stop attempts or to pause/resume a pool (fanout exchange {@code <ns>.control}). Best effort: a worker
 * that misses the broadcast learns it at its next lease renewal, which the stopped job refuses.
 */
public final class ControlPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Keys keys;
    private final Connection rabbit;
    private final Topology topology;
    private Channel channel;

    public ControlPublisher(Keys keys, Connection rabbit, Topology topology) {
        this.keys = keys;
        this.rabbit = rabbit;
        this.topology = topology;
    }

    public void stop(String job, String node, String attempt, String reason) {
        if (!publish(new StopAttempts(StopAttempts.VERSION, job, node, attempt, reason))) {
            LOG.warn("cannot broadcast stop for {}/{}; workers learn it at their next lease renewal", job, node);
        }
    }

    /** Broadcasts a control message; false when RabbitMQ could not take it (the caller says what then). */
    public synchronized boolean publish(BusMessage message) {
        try {
            if (channel == null || !channel.isOpen()) {
                channel = rabbit.createChannel();
                topology.declareShared(channel);
            }
            channel.basicPublish(keys.controlExchange(), "", null, JSON.writerFor(BusMessage.class).writeValueAsBytes(message));
            return true;
        } catch (Exception e) {
            LOG.warn("cannot broadcast {}: {}", message.getClass().getSimpleName(), e.toString());
            channel = null;
            return false;
        }
    }
}
