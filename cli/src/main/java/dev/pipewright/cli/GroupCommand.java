package dev.pipewright.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A command that only groups subcommands ({@code pipewright pipelines}, {@code runs}, {@code dlq} ...):
 * run without one it is a usage error (exit 2) naming those it takes. The names are read from the
 * command's own {@code subcommands}, so the message cannot drift from what the command declares.
 */
abstract class GroupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing " + noun() + ": " + choices());
    }

    /** What the message calls a subcommand. */
    String noun() {
        return "command";
    }

    /** The subcommands as {@code a, b or c}, in the order the command declares them. */
    String choices() {
        List<String> names = new ArrayList<>(spec.subcommands().keySet());
        String last = names.remove(names.size() - 1);
        return names.isEmpty() ? last : String.join(", ", names) + " or " + last;
    }
}
