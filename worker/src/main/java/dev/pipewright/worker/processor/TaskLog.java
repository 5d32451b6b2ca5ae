package dev.pipewright.worker.processor;

/** Where an attempt's log lines go (kept with the task, capped). */
public interface TaskLog {
    void line(String text);
}
