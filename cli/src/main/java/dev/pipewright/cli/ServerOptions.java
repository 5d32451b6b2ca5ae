package dev.pipewright.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --url} and {@code --token} for every command that talks to the server: the URL defaults to
 * PW_URL, then localhost:8080; the bearer token to PW_TOKEN (preferred: a command line shows in
 * the process list). Given before the command's name ({@code pipewright --url U jobs list}) they
 * count as well: the root command has them too, and a command's own take precedence.
 */
public class ServerOptions {
    /** The command these options belong to, to reach the root command's. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--url", paramLabel = "URL",
            description = "Overseer base URL (default: $PW_URL, else " + ApiClient.DEFAULT_URL + ").")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "API token sent as 'Authorization: Bearer TOKEN' (default: $PW_TOKEN).")
    String token;

    public String url() {
        if (url != null && !url.isBlank()) {
            return url;
        }
        ServerOptions root = root();
        if (root != null && root.url != null && !root.url.isBlank()) {
            return root.url;
        }
        String env = System.getenv("PW_URL");
        return env == null || env.isBlank() ? ApiClient.DEFAULT_URL : env;
    }

    public String token() {
        if (token != null && !token.isBlank()) {
            return token;
        }
        ServerOptions root = root();
        return root != null && root.token != null && !root.token.isBlank() ? root.token : System.getenv("PW_TOKEN");
    }

    /** The options given before the command's name, if these are a subcommand's. */
    private ServerOptions root() {
        if (mixee == null || !(mixee.root().userObject() instanceof PipewrightCli cli) || cli.server == this) {
            return null;
        }
        return cli.server;
    }

    public ApiClient client() {
        return new ApiClient(url(), token());
    }
}
