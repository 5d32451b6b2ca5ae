package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;

/** {@code pipewright cancel JOB}: cancel a job and, unless told not to, wait until it has stopped. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = "Cancel a job: queued tasks never start, running attempts are interrupted.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:cancelled", "1:no such job, or it had already ended", "2:usage error or server unreachable"})
public final class CancelCommand extends AnswerCommand {
    @Parameters(index = "0", paramLabel = "JOB", description = "The job id.")
    String job;

    @Option(names = "--no-wait", description = "Return at once instead of waiting until every attempt has stopped.")
    boolean noWait;

    @Override
    public Integer call() {
        PrintWriter out = out();
        ApiClient client = client();
        String status = ApiClient.expectOneLine(client.postJson(Jobs.path(job) + "/cancel", Map.of()), "cannot cancel job " + job)
                .path("status").asText();
        if (!noWait && !"CANCELLED".equals(status)) {
            JsonNode done = Jobs.await(client, job, Duration.ofMinutes(2), 20, 500, null);
            status = done.path("status").asText();
        }
        if (json) {
            out.println(ApiClient.JSON.createObjectNode().put("id", job).put("status", status).toString());
        } else {
            out.println("job " + job + ": " + status);
        }
        out.flush();
        return 0;
    }
}
