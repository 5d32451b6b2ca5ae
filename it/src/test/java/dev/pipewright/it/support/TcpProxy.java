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
 * forwarding bytes while keeping connections open, {@link #refuse(boolean)} drops new connections.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stalled = new AtomicBoolean();
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final AtomicLong accepted = new AtomicLong();
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
                Thread.ofVirtual().start(() -> pump(link, client, upstream));
                Thread.ofVirtual().start(() -> pump(link, upstream, client));
            } catch (IOException e) {
                new Link(client, new Socket()).close(true);
            }
        }
    }

    private void pump(Link link, Socket from, Socket to) {
        byte[] buffer = new byte[16384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                while (stalled.get() && !closed && links.contains(link)) {
                    Thread.sleep(10);
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
