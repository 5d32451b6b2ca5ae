package dev.pipewright.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A command that lists a paged collection of the server's: the paging options and {@code --json}. */
abstract class ListCommand extends ServerCommand {
    @Mixin
    Listing listing = new Listing();

    /** The filters jobs and runs are both listed by. */
    static class PriorityPipelineOwner {
        @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium or high (comma-separated).")
        String priority;
        @Option(names = "--pipeline", paramLabel = "PIPELINE")
        String pipeline;
        @Option(names = "--owner", paramLabel = "OWNER")
        String owner;
    }
}
