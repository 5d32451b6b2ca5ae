package dev.pipewright.infra.state;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Holds the state-script table of {@code docs/design.md} ("State transitions") to the scripts
 * folder: every script but {@code lib.lua} (the shared helpers) has exactly one row, and every row
 * names a script that exists. A new script without its row, or a row left behind by a removed or
 * renamed one, fails here with its name.
 */
class DesignDocScriptsTest {
    private static final String SCRIPTS = "infra/src/main/resources/dev/pipewright/infra/lua";
    private static final String DESIGN = "docs/design.md";
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|");

    @Test
    void everyStateScriptHasExactlyOneRowInTheDesignTable() throws IOException {
        Path root = repositoryRoot();
        Set<String> scripts = scripts(root.resolve(SCRIPTS));
        assertFalse(scripts.isEmpty(), "no *.lua scripts found in " + SCRIPTS);

        TreeMap<String, Integer> rows = new TreeMap<>();
        for (String name : tableRows(Files.readString(root.resolve(DESIGN)))) {
            rows.merge(name, 1, Integer::sum);
        }

        List<String> problems = new ArrayList<>();
        for (String script : scripts) {
            if (!rows.containsKey(script)) {
                problems.add(script + ".lua has no row in " + DESIGN + " \"State transitions\": add one for it");
            }
        }
        rows.forEach((name, count) -> {
            if (!scripts.contains(name)) {
                problems.add("row `" + name + "` in " + DESIGN + " names no script: there is no " + SCRIPTS + "/"
                        + name + ".lua");
            } else if (count > 1) {
                problems.add("script " + name + ".lua has " + count + " rows in " + DESIGN + ", not one");
            }
        });
        if (!problems.isEmpty()) {
            fail("the state-script table and the scripts folder disagree:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** Script names (file name without {@code .lua}) in the folder, {@code lib} left out. */
    private static Set<String> scripts(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            fail("missing scripts folder " + dir);
        }
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> out = new TreeSet<>();
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".lua") && !n.equals("lib.lua"))
                    .forEach(n -> out.add(n.substring(0, n.length() - ".lua".length())));
            return out;
        }
    }

    /** The first cells of the table under "## State transitions" whose header is {@code | script | caller | does |}. */
    static List<String> tableRows(String markdown) {
        String[] lines = markdown.split("\n", -1);
        int i = 0;
        while (i < lines.length && !lines[i].startsWith("## State transitions")) {
            i++;
        }
        if (i == lines.length) {
            fail(DESIGN + " has no \"## State transitions\" section");
        }
        i++;
        while (i < lines.length && !lines[i].startsWith("## ") && !lines[i].replace(" ", "").startsWith("|script|caller|does|")) {
            i++;
        }
        if (i == lines.length || lines[i].startsWith("## ")) {
            fail(DESIGN + " \"State transitions\" has no `| script | caller | does |` table");
        }
        List<String> names = new ArrayList<>();
        for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) { // past the header and its --- line
            Matcher m = ROW.matcher(lines[i]);
            if (!m.find()) {
                fail(DESIGN + " line " + (i + 1) + ": a row of the state-script table must start with a `script` cell: "
                        + lines[i]);
            }
            names.add(m.group(1));
        }
        return names;
    }

    /** The checkout this test runs in: the first directory up from the working directory with {@code docs/design.md}. */
    private static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath().normalize();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(DESIGN)) && Files.isDirectory(p.resolve(SCRIPTS))) {
                return p;
            }
        }
        return fail("cannot find " + DESIGN + " and " + SCRIPTS + " above " + start);
    }
}
