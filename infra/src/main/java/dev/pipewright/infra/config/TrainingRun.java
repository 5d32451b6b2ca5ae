package dev.pipewright.infra.config;

import dev.pipewright.infra.rabbit.RabbitConnector;
import dev.pipewright.infra.redis.RedisConnector;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;

/**
 * What the overseer's and the worker's {@code --training-run} share. A training run does the parts
 * of a start that need neither Redis nor RabbitMQ, then exits; run under
 * {@code -XX:ArchiveClassesAtExit} (the image build, bin/quickstart), the classes it loaded go into
 * the class-data archive the process later starts with ({@code -XX:SharedArchiveFile}), so they are
 * mapped from the archive instead of being read, parsed and verified again at every start.
 */
public final class TrainingRun {
    /** The argument that asks the overseer or a worker for a training run instead of a start. */
    public static final String FLAG = "--training-run";
    private static final InetAddress LOOPBACK = loopback();

    private TrainingRun() {
    }

    /** 127.0.0.1 (not whichever of it and ::1 the JDK prefers): the URIs below name it. */
    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static boolean requested(String[] args) {
        return args.length == 1 && FLAG.equals(args[0]);
    }

    /**
     * Connects to Redis and RabbitMQ as a start does, at a loopback port that accepts and closes at
     * once: both clients get as far as their handshake (most of their classes) and fail.
     */
    public static void connectAttempts(MeterRegistry meters) throws IOException {
        try (ServerSocket closing = new ServerSocket(0, 50, LOOPBACK)) {
            Thread.ofVirtual().name("training-closing-server").start(() -> {
                while (!closing.isClosed()) {
                    try {
                        closing.accept().close();
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
            String at = "127.0.0.1:" + closing.getLocalPort();
            try (RedisConnector redis = new RedisConnector(URI.create("redis://" + at), meters)) {
                redis.connectStrings().close();
            } catch (RuntimeException expected) {
                // the server hung up during the handshake
            }
            try {
                new RabbitConnector(URI.create("amqp://guest:guest@" + at), meters).connect("pipewright-training-run").close();
            } catch (IOException | TimeoutException expected) {
                // the server hung up during the handshake
            }
        }
    }

    /**
     * A plain HTTP/1.1 request to a loopback port, answered with its status code; it fails unless
     * the status is {@code expected}. (A bare socket, so the training loads no HTTP client the
     * server does not use.)
     */
    public static void expect(int port, String method, String path, String token, String contentType, String body, int expected)
            throws IOException {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Connection: close\r\n")
                .append("Content-Length: ").append(content.length).append("\r\n");
        if (token != null) {
            head.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        head.append("\r\n");
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String[] status = answer.split("\r\n", 2)[0].split(" ");
            if (status.length < 2 || !status[1].equals(Integer.toString(expected))) {
                throw new IllegalStateException("training run: " + method + " " + path + " answered '"
                        + answer.split("\r\n", 2)[0] + "', expected " + expected);
            }
        }
    }
}
