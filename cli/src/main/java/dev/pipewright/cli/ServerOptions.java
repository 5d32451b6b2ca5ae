package dev.pipewright.cli;

import picocli.CommandLine.Option;

/** {@code --url} for every command that talks to the server; defaults to PW_URL, then localhost:8080. PW_TOKEN adds a bearer token. */
public class ServerOptions {
    @Option(names = "--url", paramLabel = "URL",
            description = "Overseer base URL (default: $PW_URL, else " + ApiClient.DEFAULT_URL + ").")
    String url;

    public String url() {
        if (url != null && !url.isBlank()) {
            return url;
        }
        String env = System.getenv("PW_URL");
        return env == null || env.isBlank() ? ApiClient.DEFAULT_URL : env;
    }

    public ApiClient client() {
        return new ApiClient(url(), System.getenv("PW_TOKEN"));
    }
}
