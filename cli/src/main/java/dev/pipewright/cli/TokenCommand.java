package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code pipewright token create|list|revoke}: API tokens (needs an admin token). */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Make, list and revoke API tokens (needs an admin token in PW_TOKEN or --token).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
public final class TokenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, list or revoke");
    }

    private static CliException refused(String what, ApiClient.Response r) {
        return CliException.failure(what + ": " + r.errorMessage() + " (HTTP " + r.status() + ")");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Make a token. Prints the secret alone on standard output (it is shown only once), "
                    + "e.g. export PW_TOKEN=$(pipewright token create --role submit --name ci)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:created", "1:refused (bad role or name, not an admin)", "2:usage error or server unreachable"})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "read, submit or admin.")
        String role;

        @Option(names = "--name", paramLabel = "NAME", description = "A label for the token (default: <role>-token).")
        String name;

        @Option(names = "--owner", paramLabel = "OWNER",
                description = "Who owns the jobs this token submits (default: the name); tokens of one owner see the same jobs.")
        String owner;

        @Option(names = "--json", description = "Print the server's answer (with the secret in \"token\", shown only this once) as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            String r = role.trim().toLowerCase(Locale.ROOT);
            if (!r.equals("read") && !r.equals("submit") && !r.equals("admin")) {
                throw CliException.usage("--role '" + role + "': expected read, submit or admin");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name == null || name.isBlank() ? r + "-token" : name);
            body.put("role", r);
            if (owner != null && !owner.isBlank()) {
                body.put("owner", owner);
            }
            ApiClient.Response resp = server.client().postJson("/api/v1/tokens", body);
            if (!resp.ok()) {
                CliException e = refused("cannot create a token", resp);
                if (!resp.problems().isEmpty()) {
                    e = CliException.failure(e.getMessage() + "\n  " + String.join("\n  ", resp.problems()));
                }
                throw e;
            }
            JsonNode t = resp.json();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (json) {
                Listing.printJson(out, t);
            } else {
                out.println(t.path("token").asText());
                out.flush();
            }
            err.println("created token " + t.path("id").asText() + " (name " + t.path("name").asText() + ", owner "
                    + t.path("owner").asText() + ", role " + t.path("role").asText() + "); the secret above is shown only this once");
            err.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class ListTokens implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = server.client().getJson("/api/v1/tokens", "cannot list tokens");
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Listing.printJson(out, answer);
                return 0;
            }
            JsonNode list = answer.path("tokens");
            String format = "%-17s %-20s %-20s %-7s %-24s %s%n";
            out.printf(Locale.ROOT, format, "ID", "NAME", "OWNER", "ROLE", "CREATED", "LAST USED");
            for (JsonNode t : list) {
                out.printf(Locale.ROOT, format, t.path("id").asText(), t.path("name").asText(), t.path("owner").asText(),
                        t.path("role").asText(), t.path("created_at").isNull() ? "(" + t.path("source").asText() + ")"
                                : t.path("created_at").asText(), t.path("last_used_at").isNull() ? "-" : t.path("last_used_at").asText());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: it is refused from now on.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:revoked", "1:no such token, or refused", "2:usage error or server unreachable"})
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOptions server = new ServerOptions();

        @Parameters(index = "0", paramLabel = "ID", description = "The token id (from 'pipewright token list').")
        String id;

        @Option(names = "--json", description = "Print the server's answer as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ApiClient.Response r = server.client().delete("/api/v1/tokens/" + ApiClient.encode(id));
            if (!r.ok()) {
                throw refused("cannot revoke token " + id, r);
            }
            if (json) {
                Listing.printJson(spec.commandLine().getOut(), r.json());
                return 0;
            }
            spec.commandLine().getOut().println("token " + id + ": revoked");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
