package dev.pipewright.infra.state;

import dev.pipewright.infra.redis.Script;
import dev.pipewright.protocol.state.TaskState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Holds the Lua state machine to the Java one, and every write of a task's {@code state} field to
 * {@code set_state}, by reading the scripts' text (no Redis needed). {@code StateScriptsIT} runs the
 * same table in Redis.
 */
class StateTableTest {
    private static final String LIB = LuaText.withoutComments(LuaText.resource("lib"));

    /** lib.lua and every script of the function library, comments removed, by file name. */
    private static Map<String, String> allScripts() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("lib", LIB);
        for (Script s : Script.values()) {
            out.put(fileOf(s), LuaText.withoutComments(s.body()));
        }
        return out;
    }

    private static String fileOf(Script s) {
        // the function name ends with the file name: pw_<version>_<file>
        String f = s.functionName();
        return f.substring(f.indexOf('_', 3) + 1);
    }

    /** A Lua table constructor assigned to {@code local NAME = {...}} in lib.lua, as its text. */
    private static String localTable(String name) {
        Matcher m = Pattern.compile("local\\s+" + name + "\\s*=\\s*\\{").matcher(LIB);
        assertTrue(m.find(), "lib.lua has no 'local " + name + " = {'");
        int open = m.end() - 1;
        return LIB.substring(open + 1, LuaText.closing(LIB, open));
    }

    /** {@code NAME = true} entries of a flat table; anything else in it is refused, so the parse cannot silently miss a value. */
    private static Set<String> trueKeys(String table, String where) {
        Set<String> out = new TreeSet<>();
        for (String entry : LuaText.arguments(table)) {
            if (entry.isEmpty()) {
                continue; // a trailing comma
            }
            Matcher m = Pattern.compile("([A-Z_]+)\\s*=\\s*true").matcher(entry);
            assertTrue(m.matches(), where + ": entry '" + entry + "' is not NAME = true");
            out.add(m.group(1));
        }
        return out;
    }

    /** lib.lua's ALLOWED as state -> states it may move to. */
    static Map<String, Set<String>> luaAllowed() {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String entry : LuaText.arguments(localTable("ALLOWED"))) {
            if (entry.isEmpty()) {
                continue;
            }
            Matcher m = Pattern.compile("([A-Z_]+)\\s*=\\s*\\{(.*)}", Pattern.DOTALL).matcher(entry);
            assertTrue(m.matches(), "ALLOWED entry '" + entry + "' is not STATE = {...}");
            Set<String> previous = out.put(m.group(1), trueKeys(m.group(2), "ALLOWED." + m.group(1)));
            assertTrue(previous == null, "ALLOWED names " + m.group(1) + " twice");
        }
        return out;
    }

    static Map<String, Set<String>> javaAllowed() {
        Map<String, Set<String>> out = new TreeMap<>();
        TaskState.ALLOWED.forEach((from, to) -> out.put(from.name(), to.stream().map(Enum::name).collect(Collectors.toCollection(TreeSet::new))));
        return out;
    }

    @Test
    void theLuaTableIsTaskStateAllowed() {
        Map<String, Set<String>> lua = luaAllowed();
        assertEquals(javaAllowed(), lua, "lib.lua ALLOWED differs from TaskState.ALLOWED");
        assertEquals(TaskState.values().length, lua.size(), "every state has a row, terminal ones an empty one");
    }

    @Test
    void theCountedStatesAreTheNonTerminalOnes() {
        // the job view reads n:<STATE> for these; a terminal state counted there would never go down
        Set<String> nonTerminal = Arrays.stream(TaskState.values()).filter(s -> !s.isTerminal()).map(Enum::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(nonTerminal, trueKeys(localTable("COUNTED"), "COUNTED"));
    }

    /** The hash commands that write fields, and where their field arguments are (0-based, the command name first). */
    private static List<Integer> fieldPositions(String command, int argCount) {
        List<Integer> out = new ArrayList<>();
        switch (command) {
            case "HSET", "HMSET" -> {
                for (int i = 2; i < argCount; i += 2) {
                    out.add(i);
                }
            }
            case "HSETNX", "HINCRBY", "HINCRBYFLOAT" -> out.add(2);
            case "HDEL" -> {
                for (int i = 2; i < argCount; i++) {
                    out.add(i);
                }
            }
            default -> {
            }
        }
        return out;
    }

    /** A hash write: the call, its key expression and field expression. */
    record FieldWrite(LuaText.Call call, String key, String field) {
    }

    private static List<FieldWrite> hashWrites(String file, String code) {
        List<FieldWrite> out = new ArrayList<>();
        List<LuaText.Call> calls = new ArrayList<>(LuaText.calls(file, code, "redis.call"));
        calls.addAll(LuaText.calls(file, code, "redis.pcall"));
        for (LuaText.Call call : calls) {
            String command = LuaText.literal(call.args().get(0));
            assertTrue(command != null, "a command named by an expression cannot be checked: " + call);
            for (int pos : fieldPositions(command.toUpperCase(), call.args().size())) {
                out.add(new FieldWrite(call, call.args().get(1), call.args().get(pos)));
            }
        }
        return out;
    }

    /**
     * Hash writes whose field is computed rather than written out, each on a key that is no task's:
     * anything new here must be looked at, since a computed field could be 'state'.
     */
    private static final Set<String> COMPUTED_FIELD_WRITES = Set.of(
            "lib|job_key", // end_call's n:<STATE> counters and count_terminal's counters, on the job hash
            "submit|KEYS[5]", "submit|KEYS[6]", // job inputs and their content types
            "submit|job_key", // the job's fields from the request
            "commit|job_key .. ':data'", "commit|job_key .. ':ctype'", // outputs and their content types
            "limits|config", // '<kind>:<name>' of the limits hash
            "schedule|hash", // a schedule's optional fields
            "pipeline|h", // 'live:<job>' and 'v:<n>' of a pipeline's hash
            "lib|job_key .. ':data'", "lib|job_key .. ':ctype'", // a mapped node's end: the collect mark of each output
            "map|job_key .. ':data'", "map|job_key .. ':ctype'", // a list's split items and their content type
            "run|ended"); // a run's tally of the final job state (checked to be SUCCESS, FAILED or CANCELLED)

    @Test
    void onlySetStateWritesATasksState() {
        int[] setState = LuaText.functionSpan(LIB, "set_state");
        List<String> problems = new ArrayList<>();
        List<FieldWrite> stateWrites = new ArrayList<>();
        for (Map.Entry<String, String> e : allScripts().entrySet()) {
            String file = e.getKey();
            for (FieldWrite w : hashWrites(file, e.getValue())) {
                String literal = LuaText.literal(w.field());
                if (literal == null && !w.field().equals("...")) {
                    boolean insideSetState = file.equals("lib") && w.call().offset() >= setState[0] && w.call().offset() < setState[1];
                    if (!insideSetState && !COMPUTED_FIELD_WRITES.contains(file + "|" + w.key())) {
                        problems.add("computed field " + w.field() + " written at " + w.call());
                    }
                }
                if ("state".equals(literal)) {
                    stateWrites.add(w);
                }
            }
        }
        for (FieldWrite w : stateWrites) {
            LuaText.Call c = w.call();
            boolean inSetState = c.file().equals("lib") && c.offset() >= setState[0] && c.offset() < setState[1];
            // write_tasks (submit and submit_chunk) creates each task in its first state: that is no transition
            int[] writeTasks = LuaText.functionSpan(LIB, "write_tasks");
            boolean submitCreates = c.file().equals("lib") && c.offset() >= writeTasks[0] && c.offset() < writeTasks[1]
                    && c.args().get(0).equals("'HSET'") && c.args().get(3).equals("t.done and (t.cached and 'CACHED' or 'SUCCESS') or 'PENDING'");
            // map.lua creates each item task PENDING (then dispatches it through set_state): no transition either
            boolean mapCreates = c.file().equals("map") && c.args().get(0).equals("'HSET'") && c.args().get(3).equals("'PENDING'");
            if (!inSetState && !submitCreates && !mapCreates) {
                problems.add("raw write of a task's 'state' at " + c);
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(3, stateWrites.size(), "set_state's HSET, write_tasks' and map's creation: " + stateWrites);
    }

    /** The check above sees a raw write, however it is spread over lines: this is what it would report. */
    @Test
    void theCheckFindsARawStateWrite() {
        String sneaky = LuaText.withoutComments("""
                local function later(k)
                  redis.call('HSET', k,
                    'error', 'x',  -- 'state' in a comment is no write
                    "state", 'READY')
                  redis.call('HDEL', job_key .. ':t:' .. node, 'state')
                end
                """);
        List<FieldWrite> writes = hashWrites("sneaky", sneaky);
        List<String> fields = writes.stream().map(w -> LuaText.literal(w.field())).toList();
        assertEquals(List.of("error", "state", "state"), fields);
    }

    /** Every set_state call whose states are written out names real states and a transition the table has. */
    @Test
    void literalTransitionsAreInTheTable() {
        Set<String> names = Arrays.stream(TaskState.values()).map(Enum::name).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        Set<String> literalPairs = new TreeSet<>();
        Set<String> seenTargets = new TreeSet<>();
        for (Map.Entry<String, String> e : allScripts().entrySet()) {
            for (LuaText.Call c : LuaText.calls(e.getKey(), e.getValue(), "set_state")) {
                if (c.args().size() < 4) {
                    problems.add("set_state with fewer than 4 arguments at " + c);
                    continue;
                }
                String from = LuaText.literal(c.args().get(2));
                String to = LuaText.literal(c.args().get(3));
                if (to != null) {
                    seenTargets.add(to);
                    if (!names.contains(to)) {
                        problems.add("no state '" + to + "' at " + c);
                    }
                }
                if (from != null && !names.contains(from)) {
                    problems.add("no state '" + from + "' at " + c);
                }
                if (from != null && to != null && names.contains(from) && names.contains(to)) {
                    literalPairs.add(from + "->" + to);
                    if (!TaskState.valueOf(from).canMoveTo(TaskState.valueOf(to))) {
                        problems.add(from + " -> " + to + " is not in TaskState.ALLOWED, at " + c);
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        // the reader found the calls that name both states (claim, commit, skip, retry wait, queue timeout, poison)
        assertTrue(literalPairs.containsAll(Set.of("READY->RUNNING", "RUNNING->SUCCESS", "PENDING->SKIPPED", "RUNNING->RETRY_WAIT",
                "READY->TIMED_OUT", "READY->FAILED")), "transitions named outright: " + literalPairs);
        // every state but PENDING (a task's first) is the target of some call naming it
        assertTrue(seenTargets.containsAll(Set.of("READY", "RUNNING", "SUCCESS", "RETRY_WAIT", "TIMED_OUT", "FAILED", "SKIPPED", "CANCELLED")),
                "targets named outright: " + seenTargets);
    }

    @Test
    void theReaderReadsNestedArguments() {
        assertEquals(List.of("'HSET'", "key", "'a'", "f(x, y)", "'b, c'", "{1, 2}"),
                LuaText.arguments("'HSET', key, 'a', f(x, y), 'b, c', {1, 2}"));
        if (LuaText.literal("'a' .. b") != null) {
            fail("a concatenation is no literal");
        }
    }
}
