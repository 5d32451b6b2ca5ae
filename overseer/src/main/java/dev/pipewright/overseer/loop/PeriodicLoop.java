package dev.pipewright.overseer.loop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/** A background loop that does one round of work every interval until stopped; a failed round is logged and retried. */
public abstract class PeriodicLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(PeriodicLoop.class);

    private final Duration interval;
    private volatile boolean running = true;

    protected PeriodicLoop(Duration interval) {
        this.interval = interval;
    }

    /** One round of work. */
    protected abstract void round() throws Exception;

    public void stop() {
        running = false;
    }

    protected boolean running() {
        return running;
    }

    @Override
    public void run() {
        while (running) {
            try {
                round();
            } catch (Exception e) {
                LOG.warn("{} round failed ({}); trying again", getClass().getSimpleName(), e.toString());
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
