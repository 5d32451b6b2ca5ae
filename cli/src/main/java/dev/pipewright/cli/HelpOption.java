package dev.pipewright.cli;

import picocli.CommandLine.Option;

/**
 * {@code -h, --help} alone, for commands whose own {@code --version} (a pipeline version) keeps them
 * from mixing in picocli's standard help options, which would claim {@code --version} too.
 */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
