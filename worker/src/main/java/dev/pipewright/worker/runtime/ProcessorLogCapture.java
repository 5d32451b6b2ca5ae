package dev.pipewright.worker.runtime;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import dev.pipewright.worker.processor.TaskLog;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Puts what a Java processor logs through SLF4J while it runs an attempt into that attempt's log,
 * beside its {@code ctx.log()} lines. The worker binds the attempt to the thread that runs
 * {@code Processor.process} (MDC {@value #MDC_ATTEMPT}, with {@value #MDC_JOB} and
 * {@value #MDC_NODE}); an appender on logback's root logger sends each event logged on that thread
 * (at any level the logger has enabled) to the attempt's log as {@code LEVEL logger - message}.
 * Lines logged on threads the processor starts itself are not bound and stay in the worker's own
 * log only; so do the worker's plumbing (Redis, RabbitMQ, its runtime and store packages).
 */
public final class ProcessorLogCapture {
    public static final String MDC_ATTEMPT = "pw.attempt";
    public static final String MDC_JOB = "pw.job";
    public static final String MDC_NODE = "pw.node";
    static final String APPENDER_NAME = "pipewright-attempt-log";
    /** Loggers whose lines are never captured: the worker's plumbing, which may itself log while writing a line. */
    private static final List<String> NOT_CAPTURED = List.of("io.lettuce.", "io.netty.", "com.rabbitmq.", "reactor.",
            "dev.pipewright.worker.runtime.", "dev.pipewright.worker.store.", "dev.pipewright.infra.");

    private static final Map<String, TaskLog> SINKS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Boolean> WRITING = ThreadLocal.withInitial(() -> false);

    private ProcessorLogCapture() {
    }

    /** What {@link #bind} returns: closing it ends the capture. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Adds the appender to logback's root logger (once). Returns false, with a warning, when SLF4J
     * is bound to another backend: processors' SLF4J lines then stay in the worker's log only.
     */
    public static synchronized boolean install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            LoggerFactory.getLogger(ProcessorLogCapture.class).warn("SLF4J is bound to {}, not logback: what Java processors log "
                    + "through SLF4J stays in the worker's log and is not kept with their attempts",
                    LoggerFactory.getILoggerFactory().getClass().getName());
            return false;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(APPENDER_NAME) == null) {
            AttemptAppender appender = new AttemptAppender();
            appender.setName(APPENDER_NAME);
            appender.setContext(context);
            appender.start();
            root.addAppender(appender);
        }
        return true;
    }

    /** Sends what this thread logs to {@code sink} until the scope is closed. */
    public static Scope bind(String attemptId, String jobId, String node, TaskLog sink) {
        SINKS.put(attemptId, sink);
        MDC.put(MDC_ATTEMPT, attemptId);
        MDC.put(MDC_JOB, jobId);
        MDC.put(MDC_NODE, node);
        return () -> {
            MDC.remove(MDC_ATTEMPT);
            MDC.remove(MDC_JOB);
            MDC.remove(MDC_NODE);
            SINKS.remove(attemptId);
        };
    }

    /** The line an event becomes in the attempt's log. */
    static String format(ILoggingEvent e) {
        String logger = e.getLoggerName();
        int dot = logger.lastIndexOf('.');
        StringBuilder line = new StringBuilder().append(e.getLevel()).append(' ')
                .append(dot >= 0 ? logger.substring(dot + 1) : logger).append(" - ").append(e.getFormattedMessage());
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) {
            line.append(": ").append(t.getClassName());
            if (t.getMessage() != null) {
                line.append(": ").append(t.getMessage());
            }
        }
        return line.toString();
    }

    private static final class AttemptAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
        @Override
        protected void append(ILoggingEvent e) {
            String attempt = e.getMDCPropertyMap().get(MDC_ATTEMPT);
            if (attempt == null || WRITING.get()) {
                return;
            }
            TaskLog sink = SINKS.get(attempt);
            if (sink == null) {
                return;
            }
            String logger = e.getLoggerName();
            for (String prefix : NOT_CAPTURED) {
                if (logger.startsWith(prefix)) {
                    return;
                }
            }
            WRITING.set(true);
            try {
                sink.line(format(e));
            } catch (RuntimeException ignored) {
                // a log line must never fail the attempt
            } finally {
                WRITING.set(false);
            }
        }
    }
}
