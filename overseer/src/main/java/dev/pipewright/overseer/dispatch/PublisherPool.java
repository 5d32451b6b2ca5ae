package dev.pipewright.overseer.dispatch;

import dev.pipewright.infra.state.OutboxEntry;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A few {@link TaskPublisher}s shared by request handlers and timers, taken in turn: publishing does
 * not wait for confirms, so a publisher is busy only while it writes.
 */
public final class PublisherPool implements AutoCloseable {
    private final TaskPublisher[] publishers;
    private final AtomicInteger next = new AtomicInteger();

    public PublisherPool(int size, Supplier<TaskPublisher> factory) {
        publishers = new TaskPublisher[size];
        for (int i = 0; i < size; i++) {
            publishers[i] = factory.get();
        }
    }

    public void publishQuietly(List<OutboxEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        publishers[Math.floorMod(next.getAndIncrement(), publishers.length)].publishQuietly(entries);
    }

    @Override
    public void close() {
        for (TaskPublisher p : publishers) {
            p.close();
        }
    }
}
