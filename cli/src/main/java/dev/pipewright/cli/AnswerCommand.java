package dev.pipewright.cli;

import picocli.CommandLine.Option;

/**
 * A command that prints the server's answer: as text for a person, or with {@code --json} as the
 * answer itself. Commands whose {@code --json} says more about what it prints (the job view, the
 * plan, a created token) declare their own.
 */
abstract class AnswerCommand extends ServerCommand {
    @Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;
}
