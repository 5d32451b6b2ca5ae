package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright retry JOB}: re-run an ended job from its failure, reusing what succeeded. */
@Command(name = "retry", mixinStandardHelpOptions = true,
        description = "Start a new job that reuses the outputs of the tasks that succeeded in JOB and runs the rest.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:started (prints the new job id; with --wait: the new job succeeded)",
                "1:no such job, it is still running, or (with --wait) the new job did not succeed", "2:usage error or server unreachable"})
public final class RetryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @picocli.CommandLine.Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;

    @Parameters(index = "0", paramLabel = "JOB", description = "The ended job to re-run.")
    String job;

    @picocli.CommandLine.Option(names = "--wait", description = "Wait until the new job ends, showing its progress on stderr.")
    boolean await;

    @picocli.CommandLine.Option(names = "--timeout", paramLabel = "DURATION", description = "With --wait: stop waiting after this long.")
    String timeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        java.time.Duration limit = Jobs.duration("--timeout", timeout);
        ApiClient client = server.client();
        ApiClient.Response r = client.postJson(Jobs.path(job) + "/retry", Map.of());
        if (!r.ok()) {
            throw CliException.failure("cannot re-run job " + job + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
        }
        String rerun = r.json().path("id").asText();
        if (!await) {
            out.println(json ? r.json().toString() : rerun);
            out.flush();
            return 0;
        }
        err.println("job " + job + " re-run as " + rerun);
        JsonNode done = Jobs.await(client, rerun, limit, 50, 1000, line -> {
            err.println(line);
            err.flush();
        });
        if (json) {
            Listing.printJson(out, done);
        } else {
            out.println(rerun + " " + done.path("status").asText());
            out.flush();
        }
        return "SUCCESS".equals(done.path("status").asText()) ? 0 : CliException.FAILURE;
    }
}
