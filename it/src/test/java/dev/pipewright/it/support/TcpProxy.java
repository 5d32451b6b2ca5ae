package dev.pipewright.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * An in-JVM TCP proxy for network faults between Pipewright and a service: {@link #cut()} closes
 * every connection (FIN), {@link #reset()} aborts them (RST), {@link #stall(boolean)} stops
 * forwarding bytes while keeping connections open, {@link #refuse(boolean)} drops new connections,
 * {@link #stallOn(String)} stalls them the moment a client sends a given command,
 * {@link #stallAfter(Predicate)} the moment a given command has reached the service (its reply held
 * back), and {@link #holdUpstream(boolean)} / {@link #holdDownstream(boolean)} hold back only what
 * clients send / only what the service sends. {@link #retarget(int)} sends new connections to
 * another port, as a failover's re-pointed address does.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    /** Where new connections go; {@link #retarget} moves it (connections already open stay where they are). */
    private volatile int targetPort;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stalled = new AtomicBoolean();
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong trips = new AtomicLong();
    private volatile byte[] tripwire;
    private final AtomicReference<Predicate<List<byte[]>>> afterwire = new AtomicReference<>();
    private final List<List<byte[]>> tripped = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean upstreamHeld;
    private volatile boolean downstreamHeld;
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

    /**
     * New connections go to {@code port} on the same host from now on; open ones are left as they
     * are (cut them, or let the old service's end close them), as when a failover re-points an
     * address (Sentinel, a managed service's DNS name).
     */
    public void retarget(int port) {
        targetPort = port;
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
        Resp commands = fromClient ? new Resp() : null;
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
                while ((stalled.get() || (fromClient ? upstreamHeld : downstreamHeld)) && !closed && links.contains(link)) {
                    Thread.sleep(10);
                }
                if (closed || !links.contains(link)) {
                    break; // cut while these bytes were held: they are lost with the connection
                }
                if (commands != null) {
                    // parsed from the connection's first byte, so command boundaries are known whenever a
                    // trigger is armed; bytes held by a stall are judged when they are let through
                    for (List<byte[]> command : commands.feed(buffer, n)) {
                        Predicate<List<byte[]>> after = afterwire.get();
                        if (after != null && after.test(command) && afterwire.compareAndSet(after, null)) {
                            stalled.set(true); // these bytes go on; nothing crosses after them, the reply included
                            tripped.add(command);
                            trips.incrementAndGet();
                        }
                    }
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

    /**
     * Arms a one-shot trigger: the first complete command a client sends that {@code command}
     * accepts (its RESP array's elements: name, then arguments) is forwarded, and at once every
     * connection stalls, so the service runs it but its reply, and everything after it, is held
     * back. {@link #tripped()} returns the command. Bytes a stall held are judged when they go on.
     * Only for RESP (Redis) connections.
     */
    public void stallAfter(Predicate<List<byte[]>> command) {
        afterwire.set(command);
    }

    /** Disarms both triggers (a stall already under way stays: {@link #stall(boolean)} ends it). */
    public void disarm() {
        tripwire = null;
        afterwire.set(null);
    }

    /** The commands {@link #stallAfter} tripped on, in order. */
    public List<List<byte[]>> tripped() {
        return List.copyOf(tripped);
    }

    /** While held, nothing a client sends is forwarded; what the service sends still is. */
    public void holdUpstream(boolean on) {
        upstreamHeld = on;
    }

    /** While held, nothing the service sends is forwarded (replies, acknowledgements); what clients send still is. */
    public void holdDownstream(boolean on) {
        downstreamHeld = on;
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

    /** An incremental parser of RESP arrays of bulk strings (what a Redis client sends). */
    private static final class Resp {
        private byte[] pending = new byte[0];
        private boolean broken;

        List<List<byte[]>> feed(byte[] bytes, int n) {
            List<List<byte[]>> out = new ArrayList<>();
            if (broken) {
                return out;
            }
            byte[] all = new byte[pending.length + n];
            System.arraycopy(pending, 0, all, 0, pending.length);
            System.arraycopy(bytes, 0, all, pending.length, n);
            int pos = 0;
            while (pos < all.length) {
                int[] cursor = {pos};
                List<byte[]> command;
                try {
                    command = parse(all, cursor);
                } catch (IllegalArgumentException e) {
                    broken = true; // not RESP: this connection is not judged
                    pending = new byte[0];
                    return out;
                }
                if (command == null) {
                    break;
                }
                out.add(command);
                pos = cursor[0];
            }
            pending = java.util.Arrays.copyOfRange(all, pos, all.length);
            return out;
        }

        /** One array at {@code at[0]}, advancing it; null when incomplete. */
        private static List<byte[]> parse(byte[] b, int[] at) {
            long count = number(b, at, (byte) '*');
            if (count < 0) {
                return null;
            }
            List<byte[]> items = new ArrayList<>((int) Math.min(count, 1024));
            for (long i = 0; i < count; i++) {
                long len = number(b, at, (byte) '$');
                if (len < 0 || at[0] + len + 2 > b.length) {
                    return null;
                }
                items.add(java.util.Arrays.copyOfRange(b, at[0], at[0] + (int) len));
                at[0] += (int) len + 2;
            }
            return items;
        }

        /** {@code <type><digits>\r\n} at {@code at[0]}: the number, advancing past it; -1 when incomplete. */
        private static long number(byte[] b, int[] at, byte type) {
            int i = at[0];
            if (i >= b.length) {
                return -1;
            }
            if (b[i] != type) {
                throw new IllegalArgumentException("expected " + (char) type);
            }
            long v = 0;
            for (i++; i < b.length; i++) {
                if (b[i] == '\r') {
                    if (i + 1 >= b.length) {
                        return -1;
                    }
                    at[0] = i + 2;
                    return v;
                }
                if (b[i] < '0' || b[i] > '9') {
                    throw new IllegalArgumentException("not a length");
                }
                v = v * 10 + (b[i] - '0');
            }
            return -1;
        }
    }
}
