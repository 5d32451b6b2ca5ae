package dev.pipewright.worker.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.pipewright.protocol.message.TaskMessage;
import dev.pipewright.protocol.pipeline.Priority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The consumer of one of a pool's queues (one per priority) on a channel of its own: its
 * deliveries, their acks ({@link AckBatcher}), and whether the pool is paused (its consumer then
 * cancelled, its messages left in the queue).
 */
final class PoolChannel {
    private static final Logger LOG = LoggerFactory.getLogger(PoolChannel.class);

    final String pool;
    final Priority priority;
    final Channel channel;
    final String queue;
    final AckBatcher acks;
    /** Attempts of this queue running here. */
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean paused;
    private final String consumerTag;
    private final Consumer<Delivery> onDelivery;
    private String tag;

    PoolChannel(String pool, Priority priority, Channel channel, String queue, String consumerTag, Consumer<Delivery> onDelivery) {
        this.pool = pool;
        this.priority = priority;
        this.channel = channel;
        this.queue = queue;
        this.consumerTag = consumerTag;
        this.onDelivery = onDelivery;
        this.acks = new AckBatcher(new AckBatcher.Wire() {
            @Override
            public void ack(long tag, boolean multiple) {
                try {
                    synchronized (channel) {
                        channel.basicAck(tag, multiple);
                    }
                } catch (Exception e) {
                    LOG.debug("ack failed (channel recovered?): {}", e.toString());
                }
            }

            @Override
            public void nack(long tag) {
                try {
                    synchronized (channel) {
                        channel.basicNack(tag, false, true);
                    }
                } catch (Exception e) {
                    LOG.debug("nack failed (channel recovered?): {}", e.toString());
                }
            }

            @Override
            public void reject(long tag) {
                try {
                    synchronized (channel) {
                        channel.basicReject(tag, false);
                    }
                } catch (Exception e) {
                    LOG.debug("reject failed: {}", e.toString());
                }
            }
        });
    }

    /** Deliveries received and not settled yet. */
    int unacked() {
        return acks.outstanding();
    }

    synchronized void consume() throws IOException {
        if (tag != null) {
            return;
        }
        synchronized (channel) {
            tag = channel.basicConsume(queue, false, consumerTag, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String t, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    acks.delivered(envelope.getDeliveryTag());
                    onDelivery.accept(new Delivery(PoolChannel.this, envelope.getDeliveryTag(), envelope.isRedeliver(), body,
                            TaskMessage.processorOf(props.getHeaders())));
                }
            });
        }
    }

    synchronized void cancel() {
        if (tag == null) {
            return;
        }
        try {
            synchronized (channel) {
                channel.basicCancel(tag);
            }
        } catch (Exception e) {
            LOG.debug("cancel of {} failed: {}", pool, e.toString());
        }
        tag = null;
    }

    synchronized void setPaused(boolean pause, boolean stopping) {
        if (pause == paused && (pause || tag != null || stopping)) {
            return;
        }
        paused = pause;
        if (pause) {
            cancel();
            LOG.info("pool {} paused: not consuming {}", pool, queue);
        } else if (!stopping) {
            try {
                consume();
                LOG.info("pool {} resumed: consuming {}", pool, queue);
            } catch (IOException e) {
                LOG.warn("cannot resume consuming pool {}: {}", pool, e.toString());
            }
        }
    }
}
