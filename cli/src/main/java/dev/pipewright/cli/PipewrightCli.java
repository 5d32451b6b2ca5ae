package dev.pipewright.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code pipewright}: the command line entry point. */
@Command(name = "pipewright", mixinStandardHelpOptions = true, version = "pipewright 0.1.0",
        description = "Validate and run Pipewright pipelines, inspect jobs, benchmark a running system.",
        subcommands = {ValidateCommand.class, RunCommand.class, SubmitCommand.class, StatusCommand.class, CancelCommand.class,
                RetryCommand.class, LogsCommand.class, PipelinesCommand.class, RunsCommand.class, JobsCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Environment: PW_URL (default " + ApiClient.DEFAULT_URL + "), PW_TOKEN (sent as a bearer token).",
                "Exit codes: 0 ok, 1 failure or invalid input, 2 usage error or server unreachable."})
public final class PipewrightCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: validate, run, submit, status, logs, pipelines, runs, jobs, cancel, retry or bench");
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
