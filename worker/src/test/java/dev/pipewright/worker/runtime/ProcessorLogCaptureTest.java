package dev.pipewright.worker.runtime;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessorLogCaptureTest {
    private static final Logger PROCESSOR = LoggerFactory.getLogger("com.example.pipeline.Tokenizer");
    private static final Logger PLUMBING = LoggerFactory.getLogger("dev.pipewright.worker.store.Something");

    @Test
    void linesLoggedOnTheBoundThreadGoToTheAttemptOnly() throws Exception {
        assertTrue(ProcessorLogCapture.install(), "the worker's backend is logback");
        List<String> mine = new CopyOnWriteArrayList<>();
        List<String> other = new CopyOnWriteArrayList<>();
        PROCESSOR.info("before the attempt");
        try (ProcessorLogCapture.Scope ignored = ProcessorLogCapture.bind("a-1", "job1", "tokenize", mine::add)) {
            PROCESSOR.info("tokenizing {} words", 12);
            PROCESSOR.warn("odd input", new IllegalArgumentException("bad byte"));
            PROCESSOR.debug("not enabled at INFO");
            PLUMBING.info("the worker's own plumbing");
            Thread t = Thread.ofVirtual().start(() -> {
                try (ProcessorLogCapture.Scope s = ProcessorLogCapture.bind("a-2", "job2", "other", other::add)) {
                    PROCESSOR.info("another attempt at the same time");
                }
            });
            t.join();
            Thread.ofVirtual().start(() -> PROCESSOR.info("a thread the processor started")).join();
        }
        PROCESSOR.info("after the attempt");
        assertEquals(List.of("INFO Tokenizer - tokenizing 12 words", "WARN Tokenizer - odd input: java.lang.IllegalArgumentException: bad byte"), mine);
        assertEquals(List.of("INFO Tokenizer - another attempt at the same time"), other);
    }

    @Test
    void installingTwiceAddsOneAppender() {
        assertTrue(ProcessorLogCapture.install());
        assertTrue(ProcessorLogCapture.install());
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        int n = 0;
        for (var it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (ProcessorLogCapture.APPENDER_NAME.equals(it.next().getName())) {
                n++;
            }
        }
        assertEquals(1, n);
    }
}
