package dev.pipewright.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * An HAProxy configuration read the way HAProxy reads it, as far as the tests need: sections (a
 * keyword at the start of a line, e.g. {@code backend overseers}) holding directive lines, each
 * split into words, comments dropped. No Docker here, so this stands in for {@code haproxy -c}:
 * an unknown section keyword, a section named twice or a directive outside a section fails.
 */
final class HaproxyConfig {
    static final Set<String> SECTION_KEYWORDS = Set.of("global", "defaults", "frontend", "backend", "listen", "resolvers",
            "peers", "userlist", "mailers", "program", "http-errors", "ring", "cache", "fcgi-app", "crt-store", "traces");

    /** One section: its keyword, its name (may be empty) and its directives. */
    record Section(String keyword, String name, List<List<String>> lines) {
        /** The directives starting with these words, e.g. {@code all("http-check", "send")}. */
        List<List<String>> all(String... words) {
            List<List<String>> out = new ArrayList<>();
            for (List<String> line : lines) {
                if (line.size() >= words.length && line.subList(0, words.length).equals(List.of(words))) {
                    out.add(line);
                }
            }
            return out;
        }

        List<String> first(String... words) {
            List<List<String>> all = all(words);
            return all.isEmpty() ? null : all.get(0);
        }
    }

    final String file;
    final Map<String, Section> sections = new LinkedHashMap<>();

    private HaproxyConfig(String file) {
        this.file = file;
    }

    static HaproxyConfig read(String relative) {
        HaproxyConfig cfg = new HaproxyConfig(relative);
        Section current = null;
        int n = 0;
        for (String raw : Repo.read(relative).split("\n", -1)) {
            n++;
            String line = stripComment(raw);
            if (line.isBlank()) {
                continue;
            }
            List<String> words = List.of(line.trim().split("\\s+"));
            boolean indented = Character.isWhitespace(raw.charAt(0));
            if (!indented) {
                String keyword = words.get(0);
                if (!SECTION_KEYWORDS.contains(keyword)) {
                    fail(relative + ":" + n + ": '" + keyword + "' is not an HAProxy section keyword");
                }
                String name = words.size() > 1 ? words.get(1) : "";
                current = new Section(keyword, name, new ArrayList<>());
                if (cfg.sections.putIfAbsent(keyword + " " + name, current) != null) {
                    fail(relative + ":" + n + ": section '" + keyword + " " + name + "' twice");
                }
            } else if (current == null) {
                fail(relative + ":" + n + ": a directive before the first section: " + line.trim());
            } else {
                current.lines().add(words);
            }
        }
        return cfg;
    }

    /** {@code #} starts a comment unless it is escaped or quoted (enough for the files here). */
    private static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"' || c == '\'') {
                quoted = !quoted;
            } else if (c == '#' && !quoted && (i == 0 || line.charAt(i - 1) != '\\')) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    Section section(String keyword, String name) {
        Section s = sections.get(keyword + " " + name);
        if (s == null) {
            fail(file + ": no section '" + keyword + " " + name + "' (has " + sections.keySet() + ")");
        }
        return s;
    }

    boolean has(String keyword, String name) {
        return sections.containsKey(keyword + " " + name);
    }

    List<Section> ofKind(String keyword) {
        return sections.values().stream().filter(s -> s.keyword().equals(keyword)).toList();
    }
}
