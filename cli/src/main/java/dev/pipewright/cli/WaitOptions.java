package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * {@code --wait}, {@code --timeout} and {@code --json} of the commands that start a job: print
 * the server's answer, or wait for the job and print how it ended.
 */
public class WaitOptions {
    @Option(names = "--wait", description = "Wait until the job ends, showing its progress on stderr.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "With --wait: stop waiting after this long.")
    String timeout;

    @Option(names = "--json", description = "Print the server's answer (with --wait: the ended job's view) as JSON.")
    boolean json;

    /** The --timeout limit; read before anything is sent, so a bad duration changes nothing. */
    Duration limit() {
        return Jobs.duration("--timeout", timeout);
    }

    /**
     * Without --wait, the answer as JSON or what {@code asText} prints of it (exit 0); with it,
     * waits for {@code jobId} as {@link Jobs#awaitAndPrint} does.
     */
    int printOrAwait(ApiClient client, String jobId, Duration limit, JsonNode answer, PrintWriter out, PrintWriter err,
                     Consumer<JsonNode> asText) {
        if (!await) {
            Output.showPrinted(out, json, answer, asText);
            return 0;
        }
        return Jobs.awaitAndPrint(client, jobId, limit, json, out, err);
    }
}
