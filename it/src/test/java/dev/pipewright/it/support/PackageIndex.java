package dev.pipewright.it.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A Python package index of the test's own (PEP 503 "simple" pages and the wheels they link),
 * served by the JDK's HTTP server on a free port: pip installs from it, and from nothing else
 * (the public index is not reachable here, and the test's worker ignores this machine's pip
 * configuration). Wheels are built here: a wheel is a zip of the package plus its
 * {@code .dist-info} ({@code METADATA}, {@code WHEEL}, {@code RECORD}).
 */
public final class PackageIndex implements AutoCloseable {
    private final HttpServer server;
    /** project → wheel file name → bytes */
    private final Map<String, Map<String, byte[]>> wheels = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> downloads = new ConcurrentHashMap<>();

    public PackageIndex() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
    }

    /** The index URL to give pip ({@code --index-url}). */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/simple/";
    }

    /** Adds a pure-Python wheel of {@code project} at {@code version} whose package {@code module} has this {@code __init__.py}. */
    public void addWheel(String project, String version, String module, String initPy) throws Exception {
        String dist = project.replace('-', '_');
        String info = dist + "-" + version + ".dist-info/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(module + "/__init__.py", initPy.getBytes(StandardCharsets.UTF_8));
        files.put(info + "METADATA", ("Metadata-Version: 2.1\nName: " + project + "\nVersion: " + version + "\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: pipewright-it\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder record = new StringBuilder();
        for (var f : files.entrySet()) {
            String hash = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(f.getValue()));
            record.append(f.getKey()).append(",sha256=").append(hash).append(',').append(f.getValue().length).append('\n');
        }
        record.append(info).append("RECORD,,\n");
        files.put(info + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var f : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue());
                zip.closeEntry();
            }
        }
        wheels.computeIfAbsent(normalize(project), p -> new ConcurrentHashMap<>()).put(dist + "-" + version + "-py3-none-any.whl", bytes.toByteArray());
    }

    /** How many times a wheel of this project was downloaded. */
    public int downloads(String project) {
        return downloads.getOrDefault(normalize(project), new AtomicInteger()).get();
    }

    private static String normalize(String project) {
        return project.toLowerCase(java.util.Locale.ROOT).replaceAll("[-_.]+", "-");
    }

    private void answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        byte[] body;
        String type = "text/html";
        int status = 200;
        if (path.equals("/simple/") || path.equals("/simple")) {
            StringBuilder html = new StringBuilder("<!DOCTYPE html><html><body>\n");
            wheels.keySet().forEach(p -> html.append("<a href=\"").append(p).append("/\">").append(p).append("</a>\n"));
            body = html.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8);
        } else if (path.startsWith("/simple/")) {
            String project = normalize(path.substring("/simple/".length()).replace("/", ""));
            Map<String, byte[]> files = wheels.get(project);
            if (files == null) {
                status = 404;
                body = "no such project".getBytes(StandardCharsets.UTF_8);
            } else {
                StringBuilder html = new StringBuilder("<!DOCTYPE html><html><body>\n");
                for (var f : files.entrySet()) {
                    String sha = sha256(f.getValue());
                    html.append("<a href=\"/files/").append(project).append('/').append(f.getKey()).append("#sha256=").append(sha)
                            .append("\">").append(f.getKey()).append("</a>\n");
                }
                body = html.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8);
            }
        } else if (path.startsWith("/files/")) {
            String[] parts = path.substring("/files/".length()).split("/", 2);
            byte[] wheel = parts.length == 2 && wheels.containsKey(parts[0]) ? wheels.get(parts[0]).get(parts[1]) : null;
            if (wheel == null) {
                status = 404;
                body = "no such file".getBytes(StandardCharsets.UTF_8);
            } else {
                downloads.computeIfAbsent(parts[0], p -> new AtomicInteger()).incrementAndGet();
                type = "application/octet-stream";
                body = wheel;
            }
        } else {
            status = 404;
            body = "not found".getBytes(StandardCharsets.UTF_8);
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
