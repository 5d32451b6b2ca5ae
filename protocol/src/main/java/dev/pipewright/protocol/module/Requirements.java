package dev.pipewright.protocol.module;

import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.Requirement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The rules for a {@code requirement:} entry ({@code {name, version}}) and how it becomes one pip
 * requirement. A name follows PEP 508 (letters, digits, {@code . _ -}, starting and ending with a
 * letter or digit); a version is an exact version ({@code 1.5.3}: means {@code ==1.5.3}) or a
 * specifier list ({@code >=1.2,<2}, operators {@code == != <= >= < > ~=}); no version means any.
 * Nothing else passes, so no entry can carry a pip option ({@code --index-url ...}), a URL, an
 * environment marker or a second requirement.
 */
public final class Requirements {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?");
    private static final Pattern VERSION = Pattern.compile("[0-9][A-Za-z0-9.+!_]{0,62}(\\.\\*)?");
    private static final Pattern CLAUSE = Pattern.compile("(==|!=|<=|>=|<|>|~=)\\s*([0-9][A-Za-z0-9.+!_]{0,62}(\\.\\*)?)");

    private Requirements() {
    }

    /** Adds a problem at {@code path} (the entry's location) for each rule the requirement breaks. */
    public static void check(Requirement r, String path, List<Problem> problems) {
        if (r.name() != null && !NAME.matcher(r.name()).matches()) {
            problems.add(new Problem(path + ".name", "'" + r.name() + "' is not a package name (PEP 508: letters, digits, '.', '_', '-',"
                    + " starting and ending with a letter or digit)"));
        }
        if (r.version() != null && specifier(r.version()) == null) {
            problems.add(new Problem(path + ".version", "'" + r.version() + "' is not a version: give an exact one (1.5.3) or"
                    + " comma-separated clauses with ==, !=, <=, >=, <, >, ~= (>=1.2,<2)"));
        }
    }

    /** The specifier a version text stands for ({@code 1.5.3} → {@code ==1.5.3}), or null when it is not allowed. */
    static String specifier(String version) {
        String v = version.trim();
        if (v.isEmpty()) {
            return null;
        }
        if (VERSION.matcher(v).matches()) {
            return "==" + v;
        }
        List<String> clauses = new ArrayList<>();
        for (String part : v.split(",", -1)) {
            var m = CLAUSE.matcher(part.trim());
            if (!m.matches()) {
                return null;
            }
            clauses.add(m.group(1) + m.group(2));
        }
        return String.join(",", clauses);
    }

    /** The PEP 503 normalized name: lower case, runs of {@code - _ .} as one {@code -}. */
    public static String normalizedName(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
    }

    /** One valid requirement as pip reads it: {@code pandas==1.5.3}, {@code numpy>=1.2,<2}, {@code requests}. */
    public static String pip(Requirement r) {
        String name = normalizedName(r.name());
        if (r.version() == null) {
            return name;
        }
        String spec = specifier(r.version());
        if (spec == null) {
            throw new IllegalArgumentException("not a valid version: " + r.version());
        }
        return name + spec;
    }

    /**
     * What a module node installs: the pipeline's requirements, then the node's (a node's entry
     * replaces the pipeline's for the same package), as pip requirements sorted by name, so that
     * the same set always reads the same (and has the same digest).
     */
    public static List<String> effective(Collection<Requirement> pipeline, Collection<Requirement> node) {
        TreeMap<String, String> byName = new TreeMap<>();
        for (Collection<Requirement> list : List.of(pipeline == null ? List.<Requirement>of() : pipeline,
                node == null ? List.<Requirement>of() : node)) {
            for (Requirement r : list) {
                if (r.name() != null) {
                    byName.put(normalizedName(r.name()), pip(r));
                }
            }
        }
        return List.copyOf(byName.values());
    }
}
