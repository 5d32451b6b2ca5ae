package dev.pipewright.cli;

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
        exitCodeList = {"0:started (prints the new job id)", "1:no such job, or it is still running", "2:usage error or server unreachable"})
public final class RetryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server = new ServerOptions();

    @picocli.CommandLine.Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;

    @Parameters(index = "0", paramLabel = "JOB", description = "The ended job to re-run.")
    String job;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ApiClient.Response r = server.client().postJson(Jobs.path(job) + "/retry", Map.of());
        if (!r.ok()) {
            throw CliException.failure("cannot re-run job " + job + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
        }
        out.println(json ? r.json().toString() : r.json().path("id").asText());
        out.flush();
        return 0;
    }
}
