package dev.pipewright.cli;

import picocli.CommandLine.Option;

/**
 * {@code --url} and {@code --token} for every command that talks to the server: the URL defaults to
 * PW_URL, then localhost:8080; the bearer token to PW_TOKEN (preferred: a command line shows in
 * the process list).
 */
public class ServerOptions {
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
        String env = System.getenv("PW_URL");
        return env == null || env.isBlank() ? ApiClient.DEFAULT_URL : env;
    }

    public String token() {
        return token != null && !token.isBlank() ? token : System.getenv("PW_TOKEN");
    }

    public ApiClient client() {
        return new ApiClient(url(), token());
    }
}
