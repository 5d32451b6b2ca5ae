package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code pipewright modules upload|list|show|delete}: uploaded modules (uploading and deleting need a developer token). */
@Command(name = "modules", mixinStandardHelpOptions = true,
        description = "Upload, list, show and delete modules: Python code that process nodes name as their processor "
                + "(my_module or my_module@3). Uploading and deleting need a developer or admin token.",
        subcommands = {ModulesCommand.Upload.class, ModulesCommand.ListModules.class, ModulesCommand.Show.class, ModulesCommand.Delete.class})
public final class ModulesCommand extends GroupCommand {

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = {"Upload a module: one Python file (.py), or an archive (.zip, .tar.gz, .tgz) with an entry point. "
                    + "Prints the version stored (or the existing one with the same content)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:stored, or the same content was there", "1:refused (bad name, archive or entry point, not allowed)",
                    "2:usage error or server unreachable"})
    static final class Upload extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The module name: a lower-case letter, then lower-case letters, digits or '_'.")
        String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "The .py file or the .zip/.tar.gz archive.")
        Path file;

        @Option(names = "--entry", paramLabel = "PATH",
                description = "An archive's entry point (default: the one of main.py, __main__.py, <name>.py at its top).")
        String entry;

        @Option(names = "--description", paramLabel = "TEXT", description = "What the module does.")
        String description;

        @Override
        public Integer call() throws Exception {
            String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
            String type;
            if (lower.endsWith(".py")) {
                type = "text/x-python";
            } else if (lower.endsWith(".zip")) {
                type = "application/zip";
            } else if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) {
                type = "application/gzip";
            } else {
                throw CliException.usage("FILE '" + file + "': expected a .py file, a .zip or a .tar.gz archive");
            }
            if (!Files.isRegularFile(file)) {
                throw CliException.usage("FILE '" + file + "' does not exist or is not a file");
            }
            StringBuilder query = new StringBuilder();
            if (entry != null) {
                query.append("entry=").append(ApiClient.encode(entry));
            }
            if (description != null) {
                query.append(query.isEmpty() ? "" : "&").append("description=").append(ApiClient.encode(description));
            }
            ApiClient.Response r = client().post("/api/v1/modules/" + ApiClient.encode(name) + (query.isEmpty() ? "" : "?" + query), type,
                    Files.readAllBytes(file));
            JsonNode v = ApiClient.expectAllProblems(r, "cannot upload module " + name);
            Output.showPrinted(out(), json, v, a -> out().println(a.path("name").asText() + "@" + a.path("version").asInt()
                    + (r.status() == 201 ? " uploaded" : " unchanged (the same content is this version)")
                    + " (" + a.path("kind").asText() + ", entry " + a.path("entry").asText() + ", sha256 " + a.path("digest").asText() + ")"));
            return 0;
        }
    }

    static final Table<JsonNode> TABLE = new Table<JsonNode>()
            .column("NAME", 24, v -> v.path("name").asText())
            .column("LATEST", 7, v -> Integer.toString(v.path("version").asInt()))
            .column("KIND", 7, v -> v.path("kind").asText())
            .column("ENTRY", 20, v -> v.path("entry").asText())
            .column("BY", 14, v -> v.path("created_by").asText())
            .column("CREATED", v -> v.path("created_at").asText());

    static final Table<JsonNode> VERSIONS = new Table<JsonNode>()
            .column("VERSION", 8, v -> Integer.toString(v.path("version").asInt()))
            .column("KIND", 7, v -> v.path("kind").asText())
            .column("ENTRY", 20, v -> v.path("entry").asText())
            .column("SIZE", 10, v -> Long.toString(v.path("size").asLong()))
            .column("SHA256", 66, v -> v.path("digest").asText())
            .column("CREATED", v -> v.path("created_at").asText() + " by " + v.path("created_by").asText());

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List modules with their latest version.")
    static final class ListModules extends AnswerCommand {
        @Option(names = "--page-size", paramLabel = "N", description = "Modules per page (default 50).")
        Integer pageSize;

        @Option(names = "--page-after", paramLabel = "CURSOR", description = "next_page_after of the page before.")
        String pageAfter;

        @Override
        public Integer call() throws Exception {
            StringBuilder q = new StringBuilder("/api/v1/modules");
            String sep = "?";
            if (pageSize != null) {
                q.append(sep).append("page_size=").append(pageSize);
                sep = "&";
            }
            if (pageAfter != null) {
                q.append(sep).append("page_after=").append(ApiClient.encode(pageAfter));
            }
            return getAndShow(q.toString(), "cannot list modules", a -> TABLE.render(a.path("modules"))
                    + (a.path("next_page_after").isNull() ? "" : "more: --page-after " + a.path("next_page_after").asText() + "\n"));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a module and its versions.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:shown", "1:no such module", "2:usage error or server unreachable"})
    static final class Show extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The module name.")
        String name;

        @Override
        public Integer call() throws Exception {
            return getAndShow("/api/v1/modules/" + ApiClient.encode(name), "cannot show module " + name,
                    a -> "module " + a.path("name").asText() + " (owner " + a.path("owner").asText() + "), latest version "
                            + a.path("latest").path("version").asInt() + "\n" + VERSIONS.render(a.path("versions")));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete a module, or one version of it (NAME@VERSION). Jobs submitted before keep the version they pinned."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:deleted", "1:no such module or version, or refused", "2:usage error or server unreachable"})
    static final class Delete extends AnswerCommand {
        @Parameters(index = "0", paramLabel = "NAME[@VERSION]", description = "The module (my_module), or one version of it (my_module@2).")
        String target;

        @Override
        public Integer call() throws Exception {
            String name = target;
            Integer version = null;
            int at = target.indexOf('@');
            if (at >= 0) {
                name = target.substring(0, at);
                try {
                    version = Integer.parseInt(target.substring(at + 1));
                } catch (NumberFormatException e) {
                    throw CliException.usage("'" + target + "': expected NAME or NAME@VERSION (a whole number)");
                }
            }
            String shown = target;
            String path = "/api/v1/modules/" + ApiClient.encode(name) + (version == null ? "" : "/versions/" + version);
            JsonNode r = ApiClient.expectOneLine(client().delete(path), "cannot delete module " + shown);
            Output.showPrinted(out(), json, r, a -> out().println("module " + shown + ": deleted "
                    + a.path("deleted").asInt() + " version(s)" + (a.path("latest_version").isNull() ? ", none left"
                    : ", latest is now " + a.path("latest_version").asInt())));
            return 0;
        }
    }
}
