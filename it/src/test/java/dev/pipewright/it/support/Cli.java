package dev.pipewright.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.cli.PipewrightCli;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The {@code pipewright} command line run in this JVM against a cluster, capturing what it prints. */
public final class Cli {
    private final Cluster cluster;

    public Cli(Cluster cluster) {
        this.cluster = cluster;
    }

    /** Exit code and printed text of one command. */
    public record Result(int exit, String out, String err) {
        public JsonNode json() {
            try {
                return Cluster.JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON (exit " + exit + "): " + out + "\nstderr: " + err, e);
            }
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /** Runs {@code pipewright <args> --url <cluster> --token <admin token>}. */
    public Result run(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.add("--token");
        all.add(cluster.adminToken());
        return execute(all);
    }

    /** Runs {@code pipewright <args> --url <cluster>} with no token at all. */
    public Result runWithoutToken(String... args) {
        return execute(new ArrayList<>(Arrays.asList(args)));
    }

    private Result execute(List<String> all) {
        all.add("--url");
        all.add(cluster.baseUri().toString());
        CommandLine cl = PipewrightCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(all.toArray(new String[0]));
        return new Result(exit, out.toString(), err.toString());
    }

    /** Runs a command that must exit 0. */
    public Result ok(String... args) {
        Result r = run(args);
        if (r.exit() != 0) {
            throw new AssertionError("pipewright " + String.join(" ", args) + " failed: " + r);
        }
        return r;
    }
}
