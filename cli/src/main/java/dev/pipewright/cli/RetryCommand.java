package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;

/** {@code pipewright retry JOB}: re-run an ended job from its failure, reusing what succeeded. */
@Command(name = "retry", mixinStandardHelpOptions = true,
        description = "Start a new job that reuses the outputs of the tasks that succeeded in JOB and runs the rest.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:started (prints the new job id; with --wait: the new job succeeded)",
                "1:no such job, it is still running, or (with --wait) the new job did not succeed", "2:usage error or server unreachable"})
public final class RetryCommand extends AnswerCommand {
    @Parameters(index = "0", paramLabel = "JOB", description = "The ended job to re-run.")
    String job;

    @Option(names = "--wait", description = "Wait until the new job ends, showing its progress on stderr.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "With --wait: stop waiting after this long.")
    String timeout;

    @Override
    public Integer call() {
        PrintWriter out = out();
        PrintWriter err = err();
        Duration limit = Jobs.duration("--timeout", timeout);
        ApiClient client = client();
        JsonNode r = ApiClient.expectOneLine(client.postJson(Jobs.path(job) + "/retry", Map.of()), "cannot re-run job " + job);
        String rerun = r.path("id").asText();
        if (!await) {
            // compact JSON on one line, unlike the indented answers of the other commands: kept as it was
            out.println(json ? r.toString() : rerun);
            out.flush();
            return 0;
        }
        err.println("job " + job + " re-run as " + rerun);
        return Jobs.awaitAndPrint(client, rerun, limit, json, out, err);
    }
}
