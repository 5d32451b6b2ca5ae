package dev.pipewright.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;

/** {@code pipewright}: the command line entry point. */
@Command(name = "pipewright", mixinStandardHelpOptions = true, version = "pipewright 0.1.0",
        description = "Validate, plan, draw and run Pipewright pipelines, submit and follow jobs and runs, operate queues, pools, limits and dead letters, benchmark a running system.",
        subcommands = {ValidateCommand.class, PlanCommand.class, GraphCommand.class, RunCommand.class, SubmitCommand.class, StatusCommand.class,
                CancelCommand.class, RetryCommand.class, LogsCommand.class, PipelinesCommand.class, RunsCommand.class, JobsCommand.class,
                BenchCommand.class, QueuesCommand.class, WorkersCommand.class, PoolCommand.class, DlqCommand.class,
                LimitsCommand.class, SetAsideCommand.class, TokenCommand.class, ModulesCommand.class, CacheCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Environment: PW_URL (default " + ApiClient.DEFAULT_URL + "), PW_TOKEN (the API token, sent as a bearer token; --token overrides).",
                "Exit codes: 0 ok, 1 failure or invalid input, 2 usage error or server unreachable."})
public final class PipewrightCli extends GroupCommand {
    /** {@code --url} and {@code --token} before the command's name; a command's own come first. */
    @Mixin
    ServerOptions server = new ServerOptions();

    /**
     * Named by hand, unlike the other groups: the message leaves out {@code help} and keeps its own
     * order (logs by status, cancel and retry after the listings), as it has always printed them.
     */
    @Override
    String choices() {
        return "validate, plan, graph, run, submit, status, "
                + "logs, pipelines, runs, jobs, cancel, retry, bench, queues, workers, pool, dlq, limits, token or modules";
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** A configured command line; tests may swap its output and error writers. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PipewrightCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof CliException c) {
                err.println(c.getMessage());
                err.flush();
                return c.exitCode();
            }
            if (ex instanceof CommandLine.ParameterException p) {
                return usageError(p, commandLine);
            }
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            err.println("error: " + msg);
            err.flush();
            return CliException.FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args) -> usageError(ex, ex.getCommandLine()));
        return cl;
    }

    private static int usageError(CommandLine.ParameterException ex, CommandLine commandLine) {
        PrintWriter err = commandLine.getErr();
        String name = commandLine.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage() + " (see '" + name + " --help')");
        err.flush();
        return CliException.USAGE;
    }
}
