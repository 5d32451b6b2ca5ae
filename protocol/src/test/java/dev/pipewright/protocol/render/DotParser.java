package dev.pipewright.protocol.render;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads back the statements {@link DotRenderer} writes: enough of DOT to check its structure. */
final class DotParser {
    private static final String QUOTED = "\"((?:[^\"\\\\]|\\\\.)*)\"";
    private static final Pattern EDGE = Pattern.compile("^\\s*" + QUOTED + "\\s*->\\s*" + QUOTED + "\\s*(?:\\[(.*)])?;$");
    private static final Pattern NODE = Pattern.compile("^\\s*" + QUOTED + "\\s*\\[(.*)];$");
    private static final Pattern ATTR = Pattern.compile("(\\w+)=(?:" + QUOTED + "|([^,\\s\\]]+))");

    record Edge(String from, String to, Map<String, String> attrs) {
    }

    final Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
    final List<Edge> edges = new ArrayList<>();

    DotParser(String dot) {
        String[] lines = dot.split("\n");
        if (!lines[0].startsWith("digraph ") || !lines[lines.length - 1].equals("}")) {
            throw new AssertionError("not a digraph: " + dot);
        }
        for (int i = 1; i < lines.length - 1; i++) {
            String line = lines[i];
            Matcher e = EDGE.matcher(line);
            Matcher n = NODE.matcher(line);
            if (e.matches()) {
                edges.add(new Edge(unquote(e.group(1)), unquote(e.group(2)), attrs(e.group(3))));
            } else if (n.matches()) {
                if (nodes.put(unquote(n.group(1)), attrs(n.group(2))) != null) {
                    throw new AssertionError("node declared twice: " + line);
                }
            } else if (!line.matches("^\\s*(graph|node|edge) \\[.*];$")) {
                throw new AssertionError("unexpected DOT line: " + line);
            }
        }
    }

    private static Map<String, String> attrs(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null) {
            return out;
        }
        Matcher m = ATTR.matcher(text);
        int end = 0;
        while (m.find()) {
            if (!text.substring(end, m.start()).matches("[,\\s]*")) {
                throw new AssertionError("junk between attributes: " + text);
            }
            out.put(m.group(1), m.group(2) != null ? unquote(m.group(2)) : m.group(3));
            end = m.end();
        }
        return out;
    }

    /** Undoes DOT string escapes; a label's {@code \n} becomes a line break. */
    static String unquote(String body) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char next = body.charAt(++i);
                sb.append(next == 'n' ? '\n' : next);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
