package dev.pipewright.infra.state;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of a Lua reader to check the state scripts' text: comments removed (strings kept),
 * bracketed argument lists split at their top-level commas, and top-level function bodies found.
 * It knows the scripts' own style (single- and double-quoted strings, {@code --} comments,
 * top-level functions ending with {@code end} at the start of a line), not all of Lua.
 */
final class LuaText {
    private LuaText() {
    }

    static String resource(String name) {
        String path = "/dev/pipewright/infra/lua/" + name + ".lua";
        try (InputStream in = LuaText.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text with every comment replaced by spaces (line breaks kept, so offsets and lines stay put). */
    static String withoutComments(String lua) {
        StringBuilder out = new StringBuilder(lua.length());
        int i = 0;
        while (i < lua.length()) {
            char c = lua.charAt(i);
            if (c == '\'' || c == '"') {
                int end = endOfString(lua, i);
                out.append(lua, i, end);
                i = end;
            } else if (lua.startsWith("--", i)) {
                int end;
                if (lua.startsWith("--[[", i)) {
                    int close = lua.indexOf("]]", i);
                    end = close < 0 ? lua.length() : close + 2;
                } else {
                    int nl = lua.indexOf('\n', i);
                    end = nl < 0 ? lua.length() : nl;
                }
                for (int j = i; j < end; j++) {
                    out.append(lua.charAt(j) == '\n' ? '\n' : ' ');
                }
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The offset just past the string literal that starts at {@code start}. */
    static int endOfString(String lua, int start) {
        char quote = lua.charAt(start);
        int i = start + 1;
        while (i < lua.length()) {
            char c = lua.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                return i + 1;
            }
            if (c == '\n') {
                throw new IllegalArgumentException("unterminated string at offset " + start);
            }
            i++;
        }
        throw new IllegalArgumentException("unterminated string at offset " + start);
    }

    /** The offset of the bracket that closes the one at {@code open} ('(' or '{'), skipping strings. */
    static int closing(String lua, int open) {
        int depth = 0;
        int i = open;
        while (i < lua.length()) {
            char c = lua.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(lua, i);
                continue;
            }
            if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
            i++;
        }
        throw new IllegalArgumentException("unbalanced bracket at offset " + open);
    }

    /** The comma-separated expressions between two brackets, trimmed. */
    static List<String> arguments(String inside) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int from = 0;
        int i = 0;
        while (i < inside.length()) {
            char c = inside.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(inside, i);
                continue;
            }
            if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(inside.substring(from, i).trim());
                from = i + 1;
            }
            i++;
        }
        String last = inside.substring(from).trim();
        if (!last.isEmpty() || !out.isEmpty()) {
            out.add(last);
        }
        return out;
    }

    /** The value of a plain string literal ({@code 'x'} or {@code "x"}, no escapes), or null for any other expression. */
    static String literal(String expression) {
        String e = expression.trim();
        if (e.length() >= 2 && (e.charAt(0) == '\'' || e.charAt(0) == '"') && endOfString(e, 0) == e.length()
                && e.indexOf('\\') < 0) {
            return e.substring(1, e.length() - 1);
        }
        return null;
    }

    static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** One call of a function named {@code name}: where it is and its argument expressions. */
    record Call(String file, int offset, int line, List<String> args) {
        @Override
        public String toString() {
            return file + ".lua:" + line + " (" + String.join(", ", args) + ")";
        }
    }

    /** Every call {@code name(...)} in the (comment-free) text. */
    static List<Call> calls(String file, String code, String name) {
        List<Call> out = new ArrayList<>();
        int i = 0;
        while ((i = code.indexOf(name + "(", i)) >= 0) {
            boolean partOfLongerName = i > 0 && (Character.isLetterOrDigit(code.charAt(i - 1)) || code.charAt(i - 1) == '_'
                    || (code.charAt(i - 1) == '.' && !name.contains(".")));
            int open = i + name.length();
            if (partOfLongerName || isDefinition(code, i)) {
                i = open;
                continue;
            }
            int close = closing(code, open);
            out.add(new Call(file, i, lineOf(code, i), arguments(code.substring(open + 1, close))));
            i = close;
        }
        return out;
    }

    private static boolean isDefinition(String code, int at) {
        int lineStart = code.lastIndexOf('\n', at) + 1;
        return code.substring(lineStart, at).matches("\\s*(local\\s+)?function\\s+");
    }

    /** [start, end) of the top-level {@code local function name(...)} up to its {@code end} line. */
    static int[] functionSpan(String code, String name) {
        int start = code.indexOf("local function " + name + "(");
        if (start < 0) {
            throw new IllegalArgumentException("no function " + name);
        }
        int end = code.indexOf("\nend\n", start);
        if (end < 0) {
            throw new IllegalArgumentException("no end of function " + name);
        }
        return new int[] {start, end + 5};
    }
}
