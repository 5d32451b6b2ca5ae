package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Option;

import java.util.function.Function;

/**
 * A command that prints the server's answer: as text for a person, or with {@code --json} as the
 * answer itself. Commands whose {@code --json} says more about what it prints (the job view, the
 * plan, a created token) declare their own.
 */
abstract class AnswerCommand extends ServerCommand {
    @Option(names = "--json", description = "Print the server's answer as JSON.")
    boolean json;

    /**
     * What the commands that only read something do (queues, workers, limits, tokens, dead letters):
     * GET {@code path}, a refusal failing in one line that names {@code what}, and print the answer
     * as JSON or as the text {@code asText} makes of it; exit 0.
     */
    int getAndShow(String path, String what, Function<JsonNode, String> asText) {
        Output.show(out(), json, client().getJson(path, what), asText);
        return 0;
    }
}
