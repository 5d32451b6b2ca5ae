package dev.pipewright.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pipewright modules}: what each subcommand sends and prints, against a local HTTP server that records requests. */
class ModulesCommandTest {
    private static final String VERSION = "{\"name\": \"my_module\", \"version\": 2, \"digest\": \"ab12\", \"size\": 12, \"kind\": \"python\","
            + " \"entry\": \"my_module.py\", \"created_at\": \"2026-01-01T00:00:00Z\", \"created_by\": \"ann\", \"description\": null}";

    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + type + " " + body);
            String path = ex.getRequestURI().getPath();
            int status = 200;
            String answer;
            if (path.startsWith("/api/v1/modules/bad")) {
                status = 400;
                answer = "{\"error\": {\"code\": \"invalid_module\", \"message\": \"the module cannot be stored: no entry point\","
                        + " \"problems\": [{\"path\": \"entry\", \"message\": \"no entry point\"}]}}";
            } else if (ex.getRequestMethod().equals("POST")) {
                status = 201;
                answer = VERSION;
            } else if (ex.getRequestMethod().equals("DELETE")) {
                answer = "{\"name\": \"my_module\", \"version\": 1, \"deleted\": 1, \"latest_version\": 2}";
            } else if (path.equals("/api/v1/modules")) {
                answer = "{\"modules\": [" + VERSION + "], \"next_page_after\": null}";
            } else {
                answer = "{\"name\": \"my_module\", \"owner\": \"ann\", \"latest\": " + VERSION + ", \"versions\": [" + VERSION + "]}";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[]{"--url", "http://127.0.0.1:" + server.getAddress().getPort(), "--token", "pw_dev"}, 0, all, args.length, 4);
        return new Run(cl.execute(all), out.toString(), err.toString());
    }

    @Test
    void uploadSendsTheFileWithItsTypeAndPrintsTheVersion() throws Exception {
        Path py = Files.writeString(dir.resolve("my_module.py"), "print('hi')\n");
        Run r = run("modules", "upload", "my_module", py.toString(), "--description", "says hi");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("my_module@2 uploaded (python, entry my_module.py, sha256 ab12)"), r.out());
        assertEquals("POST /api/v1/modules/my_module?description=says%20hi text/x-python print('hi')\n", seen.get(0));

        Path zip = Files.write(dir.resolve("m.zip"), new byte[]{'P', 'K'});
        assertEquals(0, run("modules", "upload", "my_module", zip.toString(), "--entry", "src/run.py").exit());
        assertTrue(seen.get(1).startsWith("POST /api/v1/modules/my_module?entry=src%2Frun.py application/zip "), seen.get(1));
    }

    @Test
    void aRefusedUploadShowsItsProblemsAndABadFileIsAUsageError() throws Exception {
        Path zip = Files.write(dir.resolve("bad.zip"), new byte[]{'P', 'K'});
        Run r = run("modules", "upload", "bad", zip.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("cannot upload module bad") && r.err().contains("entry: no entry point"), r.err());
        Path txt = Files.writeString(dir.resolve("notes.txt"), "x");
        Run usage = run("modules", "upload", "my_module", txt.toString());
        assertEquals(2, usage.exit());
        assertTrue(usage.err().contains("expected a .py file, a .zip or a .tar.gz archive"), usage.err());
        assertEquals(1, seen.size(), "nothing sent for the usage error");
    }

    @Test
    void listShowAndDelete() {
        Run list = run("modules", "list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("my_module") && list.out().contains("NAME"), list.out());
        Run show = run("modules", "show", "my_module");
        assertEquals(0, show.exit(), show.err());
        assertTrue(show.out().startsWith("module my_module (owner ann), latest version 2"), show.out());
        Run delete = run("modules", "delete", "my_module@1");
        assertEquals(0, delete.exit(), delete.err());
        assertTrue(delete.out().contains("module my_module@1: deleted 1 version(s), latest is now 2"), delete.out());
        assertEquals("DELETE /api/v1/modules/my_module/versions/1 null ", seen.get(2));
    }
}
