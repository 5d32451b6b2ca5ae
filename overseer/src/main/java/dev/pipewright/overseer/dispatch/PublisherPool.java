package dev.pipewright.overseer.dispatch;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Supplier;

/** A few {@link TaskPublisher}s shared by request handlers and timers, one user at a time each. */
public final class PublisherPool implements AutoCloseable {
    private final BlockingQueue<TaskPublisher> idle;

    public PublisherPool(int size, Supplier<TaskPublisher> factory) {
        idle = new ArrayBlockingQueue<>(size);
        for (int i = 0; i < size; i++) {
            idle.add(factory.get());
        }
    }

    public void publishQuietly(List<OutboxEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        TaskPublisher p;
        try {
            p = idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            p.publishQuietly(OutboxEntry.byShard(entries));
        } finally {
            idle.add(p);
        }
    }

    @Override
    public void close() {
        idle.forEach(TaskPublisher::close);
    }
}
