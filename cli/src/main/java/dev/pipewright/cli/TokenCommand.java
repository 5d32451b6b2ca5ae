package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code pipewright token create|list|revoke}: API tokens (needs an admin token). */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Make, list and revoke API tokens (needs an admin token in PW_TOKEN or --token).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
public final class TokenCommand extends GroupCommand {
    /** This group's message has always said "subcommand" where the others say "command"; kept as it was. */
    @Override
    String noun() {
        return "subcommand";
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Make a token. Prints the secret alone on standard output (it is shown only once), "
                    + "e.g. export PW_TOKEN=$(pipewright token create --role submit --name ci)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:created", "1:refused (bad role or name, not an admin)", "2:usage error or server unreachable"})
    static final class Create extends ServerCommand {
        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "read, submit, developer (also uploads modules) or admin.")
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
            if (!r.equals("read") && !r.equals("submit") && !r.equals("developer") && !r.equals("admin")) {
                throw CliException.usage("--role '" + role + "': expected read, submit, developer or admin");
            }
            if (name != null && name.isBlank()) {
                // an empty --name "$USER" where USER is unset: every such token would share one default owner
                throw CliException.usage("--name is empty: give the token a name, or leave --name out for " + r + "-token");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name == null ? r + "-token" : name);
            body.put("role", r);
            if (owner != null && !owner.isBlank()) {
                body.put("owner", owner);
            }
            JsonNode t = ApiClient.expectAllProblems(client().postJson("/api/v1/tokens", body), "cannot create a token");
            PrintWriter err = err();
            Output.showPrinted(out(), json, t, a -> out().println(a.path("token").asText()));
            err.println("created token " + t.path("id").asText() + " (name " + t.path("name").asText() + ", owner "
                    + t.path("owner").asText() + ", role " + t.path("role").asText() + "); the secret above is shown only this once");
            err.flush();
            return 0;
        }
    }

    /** Fixed widths, so a token's row keeps its place however long another token's name is. */
    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("ID", 17, t -> t.path("id").asText())
            .column("NAME", 20, t -> t.path("name").asText())
            .column("OWNER", 20, t -> t.path("owner").asText())
            .column("ROLE", 7, t -> t.path("role").asText())
            .column("CREATED", 24, t -> t.path("created_at").isNull() ? "(" + t.path("source").asText() + ")" : t.path("created_at").asText())
            .column("LAST USED", t -> t.path("last_used_at").isNull() ? "-" : t.path("last_used_at").asText());

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class ListTokens extends AnswerCommand {
        @Override
        public Integer call() throws Exception {
            return getAndShow("/api/v1/tokens", "cannot list tokens", a -> TABLE.render(a.path("tokens")));
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: it is refused from now on.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:revoked", "1:no such token, or refused", "2:usage error or server unreachable"})
    static final class Revoke extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The token id (from 'pipewright token list').")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode r = ApiClient.expectOneLine(client().delete("/api/v1/tokens/" + ApiClient.encode(id)), "cannot revoke token " + id);
            Output.showPrinted(out(), json, r, a -> out().println("token " + id + ": revoked"));
            return 0;
        }
    }
}
