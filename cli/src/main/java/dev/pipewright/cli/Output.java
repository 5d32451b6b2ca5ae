package dev.pipewright.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.function.Consumer;
import java.util.function.Function;

/** Printing a command's answer: with {@code --json} the server's document, else text for a person. */
final class Output {
    private Output() {
    }

    /** The document as indented JSON on a line of its own. */
    static void json(PrintWriter out, JsonNode document) {
        try {
            out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** With {@code json} the answer as indented JSON, else the text {@code asText} makes of it. */
    static void show(PrintWriter out, boolean json, JsonNode answer, Function<JsonNode, String> asText) {
        showPrinted(out, json, answer, a -> out.print(asText.apply(a)));
    }

    /** With {@code json} the answer as indented JSON, else what {@code asText} prints of it to {@code out}. */
    static void showPrinted(PrintWriter out, boolean json, JsonNode answer, Consumer<JsonNode> asText) {
        if (json) {
            json(out, answer);
            return;
        }
        asText.accept(answer);
        out.flush();
    }

    /** {@code label:} padded to a column, then the value: the lines of the "show one thing" commands. */
    static void line(PrintWriter out, String label, String value) {
        out.printf("%-11s %s%n", label + ":", value);
    }
}
