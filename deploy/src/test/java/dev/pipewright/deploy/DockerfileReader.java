package dev.pipewright.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/** A small reader of a multi-stage Dockerfile: instructions per stage, ARG defaults, base stages. */
final class DockerfileReader {
    record Instruction(String keyword, String args) {
    }

    static final class Stage {
        final String name;
        final String from;
        final List<Instruction> instructions = new ArrayList<>();

        Stage(String name, String from) {
            this.name = name;
            this.from = from;
        }

        List<String> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword.equals(keyword)).map(Instruction::args).toList();
        }

        String last(String keyword) {
            List<String> a = all(keyword);
            return a.isEmpty() ? null : a.get(a.size() - 1);
        }
    }

    final String file;
    final Map<String, String> globalArgs = new LinkedHashMap<>();
    final Map<String, Stage> stages = new LinkedHashMap<>();

    private DockerfileReader(String file) {
        this.file = file;
    }

    static DockerfileReader read(String relative) {
        DockerfileReader d = new DockerfileReader(relative);
        Stage current = null;
        int unnamed = 0;
        for (String line : logicalLines(Repo.read(relative))) {
            int space = line.indexOf(' ');
            String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase();
            String args = space < 0 ? "" : line.substring(space + 1).trim();
            if (keyword.equals("FROM")) {
                Matcher m = Pattern.compile("(?i)(?:--platform=\\S+\\s+)?(\\S+)(?:\\s+AS\\s+(\\S+))?").matcher(args);
                if (!m.matches()) {
                    fail(relative + ": cannot read FROM " + args);
                }
                String name = m.group(2) != null ? m.group(2) : "stage" + unnamed++;
                current = new Stage(name, d.resolve(m.group(1)));
                d.stages.put(name, current);
            } else if (current == null) {
                if (keyword.equals("ARG")) {
                    String[] kv = args.split("=", 2);
                    d.globalArgs.put(kv[0].trim(), kv.length > 1 ? kv[1].trim() : "");
                }
            } else {
                current.instructions.add(new Instruction(keyword, args));
            }
        }
        if (d.stages.isEmpty()) {
            fail(relative + ": no FROM");
        }
        return d;
    }

    /** Joins continuation lines and drops comments and blank lines. */
    private static List<String> logicalLines(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && cur.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            cur.append(line);
            String joined = cur.toString().strip();
            if (!joined.isEmpty()) {
                out.add(joined.replaceAll("\\s+", " "));
            }
            cur.setLength(0);
        }
        return out;
    }

    private String resolve(String image) {
        Matcher m = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?").matcher(image);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = globalArgs.get(m.group(1));
            if (value == null) {
                fail(file + ": FROM uses ${" + m.group(1) + "} with no ARG default");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    Stage stage(String name) {
        Stage s = stages.get(name);
        if (s == null) {
            fail(file + ": no stage (target) named '" + name + "'; stages: " + stages.keySet());
        }
        return s;
    }

    /** The stage and the stages it is built FROM, nearest first. */
    List<Stage> chain(String name) {
        List<Stage> out = new ArrayList<>();
        for (Stage s = stage(name); s != null; s = stages.get(s.from)) {
            out.add(s);
            if (out.size() > stages.size()) {
                fail(file + ": FROM cycle at " + name);
            }
        }
        return out;
    }

    /** The external image a stage finally builds on. */
    String baseImage(String name) {
        List<Stage> c = chain(name);
        return c.get(c.size() - 1).from;
    }

    /** The value a stage inherits or sets for a keyword (USER, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT...). */
    String effective(String name, String keyword) {
        for (Stage s : chain(name)) {
            String v = s.last(keyword);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** Every instruction of a keyword in the stage and its bases. */
    List<String> inherited(String name, String keyword) {
        List<String> out = new ArrayList<>();
        for (Stage s : chain(name)) {
            out.addAll(s.all(keyword));
        }
        return out;
    }

    /** ENV instructions as name -> value (both `ENV A=1 B=2` and `ENV A 1`), the stage's own winning. */
    Map<String, String> env(String name) {
        Map<String, String> env = new LinkedHashMap<>();
        List<Stage> c = chain(name);
        for (int i = c.size() - 1; i >= 0; i--) {
            for (String args : c.get(i).all("ENV")) {
                if (args.contains("=")) {
                    Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(args);
                    while (m.find()) {
                        env.put(m.group(1), m.group(2).replace("\"", ""));
                    }
                } else {
                    String[] kv = args.split(" ", 2);
                    env.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
            }
        }
        return env;
    }
}
