package dev.pipewright.infra.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Connects to a service at start-up, trying again for a while (containers often start before
 * their broker), then gives up with one line naming the service, its setting and the cause.
 */
public final class StartupConnect {
    private static final Logger LOG = LoggerFactory.getLogger(StartupConnect.class);

    private StartupConnect() {
    }

    public static <T> T connect(String service, String setting, URI uri, Duration patience, Callable<T> attempt) {
        return connect(service, setting, redact(uri), patience, attempt);
    }

    /** The same, with {@code where} already free of secrets (e.g. {@link RabbitNodes#display()}). */
    public static <T> T connect(String service, String setting, String where, Duration patience, Callable<T> attempt) {
        long deadline = System.nanoTime() + patience.toNanos();
        long lastLog = 0;
        while (true) {
            try {
                return attempt.call();
            } catch (Exception e) {
                String cause = rootMessage(e);
                if (permanent(e)) {
                    throw new IllegalStateException("cannot connect to " + service + " at " + where + " (" + setting + "), refused: " + cause
                            + " (waiting would not help: check the user, password and virtual host or database)", e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot connect to " + service + " at " + where + " (" + setting + "): " + cause, e);
                }
                if (System.nanoTime() - lastLog > Duration.ofSeconds(5).toNanos()) {
                    LOG.warn("waiting for {} at {} ({}): {}", service, where, setting, cause);
                    lastLog = System.nanoTime();
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while connecting to " + service, ie);
                }
            }
        }
    }

    /** The URI without its password. */
    public static String redact(URI uri) {
        String info = uri.getUserInfo();
        if (info == null || !info.contains(":")) {
            return uri.toString();
        }
        return uri.toString().replace(info, info.substring(0, info.indexOf(':')) + ":***");
    }

    /**
     * Refusals no retry can fix: wrong credentials (RabbitMQ's login refusal, Redis's WRONGPASS or
     * NOAUTH) and a RabbitMQ virtual host that does not exist or the user may not open (connection
     * close 530, NOT_ALLOWED). A broker still starting refuses differently (connection refused or
     * reset), so waiting stays for those.
     */
    static boolean permanent(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof com.rabbitmq.client.AuthenticationFailureException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.contains("reply-code=530"))) {
                return true;
            }
            // a Redis Cluster client that could read the topology from no seed node keeps each node's refusal as a suppressed exception
            for (Throwable s : t.getSuppressed()) {
                if (s != error && permanent(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }
}
