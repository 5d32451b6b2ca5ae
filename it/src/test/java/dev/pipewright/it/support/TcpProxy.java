package dev.pipewright.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-JVM TCP proxy for network faults between Pipewright and a service: {@link #cut()} closes
 * every connection (FIN), {@link #reset()} aborts them (RST), {@link #stall(boolean)} stops
 * forwarding bytes while keeping connections open, {@link #refuse(boolean)} drops new connections,
 * and {@link #stallOn(String)} stalls them the moment a client sends a given command.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stalled = new AtomicBoolean();
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong trips = new AtomicLong();
    private volatile byte[] tripwire;
    private volatile boolean closed;

    private record Link(Socket client, Socket upstream) {
        void close(boolean reset) {
            for (Socket s : new Socket[] {client, upstream}) {
                try {
                    if (reset) {
                        s.setSoLinger(true, 0);
                    }
                    s.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
    }

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("proxy-accept-" + port()).start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far (a reconnect after a fault shows up here). */
    public long accepted() {
        return accepted.get();
    }

    public int openConnections() {
        return links.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (refusing.get()) {
                new Link(client, new Socket()).close(true);
                continue;
            }
            accepted.incrementAndGet();
            try {
                Socket upstream = new Socket(targetHost, targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                Link link = new Link(client, upstream);
                links.add(link);
                Thread.ofVirtual().start(() -> pump(link, client, upstream, true));
                Thread.ofVirtual().start(() -> pump(link, upstream, client, false));
            } catch (IOException e) {
                new Link(client, new Socket()).close(true);
            }
        }
    }

    private void pump(Link link, Socket from, Socket to, boolean fromClient) {
        byte[] buffer = new byte[16384];
        byte[] carry = new byte[0];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                byte[] wire = tripwire;
                if (fromClient && wire != null) {
                    byte[] seen = new byte[carry.length + n];
                    System.arraycopy(carry, 0, seen, 0, carry.length);
                    System.arraycopy(buffer, 0, seen, carry.length, n);
                    if (contains(seen, wire)) {
                        stalled.set(true); // these bytes, the command among them, are held
                        trips.incrementAndGet();
                    }
                    carry = java.util.Arrays.copyOfRange(seen, Math.max(0, seen.length - wire.length + 1), seen.length);
                }
                while (stalled.get() && !closed && links.contains(link)) {
                    Thread.sleep(10);
                }
                if (closed || !links.contains(link)) {
                    break; // cut while these bytes were held: they are lost with the connection
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the link is torn down below
        } finally {
            links.remove(link);
            link.close(false);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Arms a tripwire: when a client sends bytes containing {@code text} (a command name, say
     * {@code FCALL}), the proxy stalls every connection before forwarding them, as if the
     * service stopped answering right then. {@link #trips()} counts how often it happened.
     */
    public void stallOn(String text) {
        tripwire = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public long trips() {
        return trips.get();
    }

    /** Closes every open connection politely (both sides see end of stream). */
    public void cut() {
        for (Link link : links) {
            links.remove(link);
            link.close(false);
        }
    }

    /** Aborts every open connection with a TCP reset. */
    public void reset() {
        for (Link link : links) {
            links.remove(link);
            link.close(true);
        }
    }

    /** While stalled, no byte crosses in either direction; connections stay open. */
    public void stall(boolean on) {
        stalled.set(on);
    }

    /** While refusing, new connections are reset at once. */
    public void refuse(boolean on) {
        refusing.set(on);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        reset();
    }
}
