package dev.pipewright.protocol.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.protocol.graph.PipelineValidator;
import dev.pipewright.protocol.module.ModuleNames;
import dev.pipewright.protocol.module.Requirements;
import dev.pipewright.protocol.pipeline.Backoff;
import dev.pipewright.protocol.pipeline.CachePolicy;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Durations;
import dev.pipewright.protocol.pipeline.ParamType;
import dev.pipewright.protocol.pipeline.Parameter;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.Requirement;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import dev.pipewright.protocol.pipeline.Schedule;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a YAML or JSON pipeline document into a {@link Pipeline}, collecting every problem
 * (shape, types, names, references, cycles) with its location instead of stopping at the first.
 * One class for the whole document language (about 500 lines): each section's reader adds to the
 * same problem list with the same location rules, which splitting it would scatter.
 */
public final class PipelineParser {
    public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
    private static final Set<String> TOP_FIELDS = Set.of("name", "description", "dataNodes", "processNodes",
            "parameters", "schedule", "deadline", "retention", "requirement", "requirements");
    private static final Set<String> DATA_FIELDS = Set.of("source", "description", "optional", "map", "type", "schema");
    private static final Set<String> PROCESS_FIELDS = Set.of("input", "output", "processor", "config", "pool",
            "timeout", "queueTimeout", "heartbeat", "retries", "description", "requirement", "requirements",
            "after", "cache", "collect", "configSchema");
    private static final Set<String> CACHE_FIELDS = Set.of("key", "ttl");
    private static final Pattern CONTENT_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
    private static final Set<String> PARAM_FIELDS = Set.of("type", "default", "required", "description");
    private static final Set<String> RETRY_FIELDS = Set.of("max", "backoff", "initial", "maxDelay", "jitter");
    private static final Set<String> SCHEDULE_FIELDS = Set.of("schedule_interval", "cron", "start_date", "end_date", "timezone");
    private static final Pattern CRON_FIELD = Pattern.compile("[0-9A-Za-z*/,?#LW-]+");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}( \\d{2}:\\d{2}(:\\d{2})?)?");

    private final SafeDocumentReader reader;
    private final CronCheck cronCheck;
    private final ObjectMapper mapper = new ObjectMapper();

    public PipelineParser(DocumentLimits limits) {
        this(limits, CronCheck.NONE);
    }

    /** A parser that also asks {@code cronCheck} about each schedule's cron expression of the right shape. */
    public PipelineParser(DocumentLimits limits, CronCheck cronCheck) {
        this.reader = new SafeDocumentReader(limits);
        this.cronCheck = cronCheck;
    }

    public PipelineParser() {
        this(DocumentLimits.DEFAULTS);
    }

    /** The outcome of parsing: a pipeline when there are no problems, else every problem found. */
    public record Result(Pipeline pipeline, List<Problem> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /** Parses a new document with every rule. */
    public Result parse(String text) {
        return parse(text, true);
    }

    public Result parse(JsonNode root) {
        return parse(root, true);
    }

    /**
     * Parses a document that was accepted before (a stored version), without the rules that only
     * refuse new documents: a scheduled pipeline's jobs must be able to start, its dates be real
     * and in order, its cron pass the {@link CronCheck}. A version stored before such a rule
     * existed stays readable.
     */
    public Result parseAccepted(String text) {
        return parse(text, false);
    }

    private Result parse(String text, boolean admitting) {
        JsonNode root;
        try {
            root = reader.read(text);
        } catch (DocumentException e) {
            return new Result(null, List.of(e.problem()));
        }
        return parse(root, admitting);
    }

    private Result parse(JsonNode root, boolean admitting) {
        List<Problem> problems = new ArrayList<>();
        Pipeline pipeline = build(root, problems, admitting);
        if (pipeline != null) {
            problems.addAll(PipelineValidator.validate(pipeline));
            if (admitting) {
                problems.addAll(PipelineValidator.admission(pipeline));
            }
        }
        return new Result(problems.isEmpty() ? pipeline : null, List.copyOf(problems));
    }

    private Pipeline build(JsonNode root, List<Problem> problems, boolean admitting) {
        if (!root.isObject()) {
            problems.add(new Problem("$", "a pipeline must be a mapping with dataNodes and processNodes, got " + kind(root)));
            return null;
        }
        unknownFields(root, TOP_FIELDS, "", problems);
        String name = optionalText(root, "name", "name", problems);
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add(new Problem("name", badName(name)));
        }
        String description = optionalText(root, "description", "description", problems);
        Map<String, DataNode> dataNodes = dataNodes(root.get("dataNodes"), problems);
        Map<String, ProcessNode> processNodes = processNodes(root.get("processNodes"), problems);
        Map<String, Parameter> parameters = parameters(root.get("parameters"), problems);
        Schedule schedule = schedule(root.get("schedule"), problems, admitting);
        Duration deadline = duration(root.get("deadline"), "deadline", problems);
        List<Requirement> requirements = requirements(root.has("requirement") ? root.get("requirement") : root.get("requirements"),
                root.has("requirement") ? "requirement" : "requirements", problems);
        Duration retention = retention(root.get("retention"), problems);
        return new Pipeline(name, description, dataNodes, processNodes, parameters, schedule, deadline, requirements, retention);
    }

    private Map<String, DataNode> dataNodes(JsonNode node, List<Problem> problems) {
        Map<String, DataNode> result = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            problems.add(new Problem("dataNodes", "missing: a pipeline declares its data sets under dataNodes"));
            return result;
        }
        if (!node.isObject()) {
            problems.add(new Problem("dataNodes", "expected a mapping of data node names, got " + kind(node)));
            return result;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = "dataNodes." + e.getKey();
            if (!NAME.matcher(e.getKey()).matches()) {
                problems.add(new Problem(path, badName(e.getKey())));
            }
            JsonNode body = e.getValue();
            String source = null;
            boolean optional = false;
            boolean map = false;
            String type = null;
            JsonNode schema = null;
            if (body == null || body.isNull()) {
                source = null;
            } else if (body.isObject()) {
                unknownFields(body, DATA_FIELDS, path + ".", problems);
                source = optionalText(body, "source", path + ".source", problems);
                if (source != null && source.isBlank()) {
                    problems.add(new Problem(path + ".source", "must not be empty"));
                }
                optionalText(body, "description", path + ".description", problems);
                optional = flag(body, "optional", path, problems);
                map = flag(body, "map", path, problems);
                type = optionalText(body, "type", path + ".type", problems);
                if (type != null && !CONTENT_TYPE.matcher(type).matches()) {
                    problems.add(new Problem(path + ".type", "expected a content type such as application/json or text/csv, got '" + type + "'"));
                }
                schema = schemaField(body, "schema", path, problems);
            } else {
                problems.add(new Problem(path, "expected a mapping (for example {source: file.csv}) or nothing, got " + kind(body)));
            }
            result.put(e.getKey(), new DataNode(e.getKey(), source, optional, map, type, schema));
        }
        return result;
    }

    private Map<String, ProcessNode> processNodes(JsonNode node, List<Problem> problems) {
        Map<String, ProcessNode> result = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            problems.add(new Problem("processNodes", "missing: a pipeline needs at least one process node"));
            return result;
        }
        if (!node.isObject()) {
            problems.add(new Problem("processNodes", "expected a mapping of process node names, got " + kind(node)));
            return result;
        }
        if (node.isEmpty()) {
            problems.add(new Problem("processNodes", "a pipeline needs at least one process node"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = "processNodes." + e.getKey();
            if (!NAME.matcher(e.getKey()).matches()) {
                problems.add(new Problem(path, badName(e.getKey())));
            }
            JsonNode body = e.getValue();
            if (body == null || !body.isObject()) {
                problems.add(new Problem(path, "expected a mapping with input, output and processor, got " + kind(body)));
                continue;
            }
            unknownFields(body, PROCESS_FIELDS, path + ".", problems);
            List<String> input = nameList(body.get("input"), path + ".input", false, problems);
            List<String> output = nameList(body.get("output"), path + ".output", true, problems);
            String processor = optionalText(body, "processor", path + ".processor", problems);
            if (processor == null && !body.has("processor")) {
                problems.add(new Problem(path + ".processor", "missing: name the processor (module) that runs this node"));
            } else if (processor != null && !NAME.matcher(processor).matches()
                    && !ModuleNames.isPinned(processor)) {
                problems.add(new Problem(path + ".processor", badName(processor) + " (or a module version: my_module@3)"));
            }
            Map<String, Object> config = Map.of();
            JsonNode configNode = body.get("config");
            if (configNode != null && !configNode.isNull()) {
                if (configNode.isObject()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> converted = mapper.convertValue(configNode, LinkedHashMap.class);
                    config = converted;
                } else {
                    problems.add(new Problem(path + ".config", "expected a mapping, got " + kind(configNode)));
                }
            }
            String pool = optionalText(body, "pool", path + ".pool", problems);
            if (pool != null && !NAME.matcher(pool).matches()) {
                problems.add(new Problem(path + ".pool", badName(pool)));
            }
            Duration timeout = duration(body.get("timeout"), path + ".timeout", problems);
            Duration queueTimeout = duration(body.get("queueTimeout"), path + ".queueTimeout", problems);
            Duration heartbeat = duration(body.get("heartbeat"), path + ".heartbeat", problems);
            RetryPolicy retries = retries(body.get("retries"), path + ".retries", problems);
            optionalText(body, "description", path + ".description", problems);
            JsonNode req = body.has("requirement") ? body.get("requirement") : body.get("requirements");
            List<Requirement> nodeRequirements = requirements(req, path + (body.has("requirement") ? ".requirement" : ".requirements"), problems);
            List<String> after = processNameList(body.get("after"), path + ".after", problems);
            CachePolicy cache = cachePolicy(body.get("cache"), path + ".cache", problems);
            List<String> collect = nameList(body.get("collect"), path + ".collect", false, problems);
            JsonNode configSchema = schemaField(body, "configSchema", path, problems);
            result.put(e.getKey(), new ProcessNode(e.getKey(), input, output, processor, config,
                    pool == null ? ProcessNode.DEFAULT_POOL : pool, timeout, queueTimeout, heartbeat, retries, nodeRequirements,
                    after, cache, collect, configSchema));
        }
        return result;
    }

    private static boolean flag(JsonNode body, String field, String path, List<Problem> problems) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            problems.add(new Problem(path + "." + field, "expected true or false, got " + kind(v)));
            return false;
        }
        return v.asBoolean();
    }

    /** A JSON Schema given inline as a mapping; whether it is a valid schema is checked by the validator. */
    private static JsonNode schemaField(JsonNode body, String field, String path, List<Problem> problems) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject() && !v.isBoolean()) {
            problems.add(new Problem(path + "." + field, "expected a JSON Schema (a mapping), got " + kind(v)));
            return null;
        }
        return v.deepCopy();
    }

    /** {@code after:} one process node name or a list of them. */
    private static List<String> processNameList(JsonNode node, String path, List<Problem> problems) {
        List<String> names = names(node, path, "process node", problems);
        names.removeIf(java.util.Objects::isNull);
        return names;
    }

    /** {@code cache: true}, {@code false}, or {@code {key: inputs|inputs+params, ttl: 30d}}. */
    private CachePolicy cachePolicy(JsonNode node, String path, List<Problem> problems) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.asBoolean() ? CachePolicy.DEFAULT : null;
        }
        if (!node.isObject()) {
            problems.add(new Problem(path, "expected true, false or a mapping with key and ttl, got " + kind(node)));
            return null;
        }
        unknownFields(node, CACHE_FIELDS, path + ".", problems);
        CachePolicy.Key key = CachePolicy.Key.INPUTS;
        String keyName = optionalText(node, "key", path + ".key", problems);
        if (keyName != null) {
            key = CachePolicy.Key.fromWire(keyName);
            if (key == null) {
                problems.add(new Problem(path + ".key", "unknown cache key '" + keyName + "'; use inputs or inputs+params"));
                key = CachePolicy.Key.INPUTS;
            }
        }
        Duration ttl = duration(node.get("ttl"), path + ".ttl", problems);
        if (ttl == null) {
            ttl = CachePolicy.DEFAULT_TTL;
        } else if (ttl.compareTo(CachePolicy.MAX_TTL) > 0) {
            problems.add(new Problem(path + ".ttl", "at most " + CachePolicy.MAX_TTL.toDays() + "d"));
        }
        return new CachePolicy(key, ttl);
    }

    private List<String> nameList(JsonNode node, String path, boolean required, List<Problem> problems) {
        if ((node == null || node.isNull()) && required) {
            problems.add(new Problem(path, "missing: a process node must write at least one data node"));
        }
        List<String> names = names(node, path, "data node", problems);
        if (required && names.isEmpty() && node != null && (node.isTextual() || node.isArray())) {
            problems.add(new Problem(path, "a process node must write at least one data node"));
        }
        return names;
    }

    /** One name or a list of names of {@code what}s; an item that is not a name is a problem and a null in its place. */
    private static List<String> names(JsonNode node, String path, String what, List<Problem> problems) {
        List<String> names = new ArrayList<>();
        if (node == null || node.isNull()) {
            return names;
        }
        if (node.isTextual()) {
            names.add(node.asText());
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isTextual()) {
                    problems.add(new Problem(path + "[" + i + "]", "expected a " + what + " name, got " + kind(item)));
                    names.add(null);
                } else {
                    names.add(item.asText());
                }
            }
        } else {
            problems.add(new Problem(path, "expected a list of " + what + " names, got " + kind(node)));
        }
        return names;
    }

    private Map<String, Parameter> parameters(JsonNode node, List<Problem> problems) {
        Map<String, Parameter> result = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return result;
        }
        if (!node.isObject()) {
            problems.add(new Problem("parameters", "expected a mapping of parameter names, got " + kind(node)));
            return result;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = "parameters." + e.getKey();
            if (!NAME.matcher(e.getKey()).matches()) {
                problems.add(new Problem(path, badName(e.getKey())));
            }
            JsonNode body = e.getValue();
            ParamType type;
            Object defaultValue = null;
            boolean required;
            String description = null;
            if (body != null && body.isTextual()) {
                type = paramType(body.asText(), path, problems);
                required = true;
            } else if (body != null && body.isObject()) {
                unknownFields(body, PARAM_FIELDS, path + ".", problems);
                String typeName = optionalText(body, "type", path + ".type", problems);
                type = typeName == null ? ParamType.STRING : paramType(typeName, path + ".type", problems);
                JsonNode def = body.get("default");
                if (def != null && !def.isNull()) {
                    defaultValue = mapper.convertValue(def, Object.class);
                    if (type != null && !type.accepts(defaultValue)) {
                        problems.add(new Problem(path + ".default", "expected a value of type " + type.wireName() + ", got " + kind(def)));
                    }
                }
                JsonNode req = body.get("required");
                if (req != null && !req.isBoolean()) {
                    problems.add(new Problem(path + ".required", "expected true or false, got " + kind(req)));
                }
                required = req != null && req.isBoolean() ? req.asBoolean() : defaultValue == null;
                description = optionalText(body, "description", path + ".description", problems);
            } else {
                problems.add(new Problem(path, "expected a type name or a mapping with type, default and required, got " + kind(body)));
                continue;
            }
            result.put(e.getKey(), new Parameter(e.getKey(), type, defaultValue, required, description));
        }
        return result;
    }

    private static ParamType paramType(String name, String path, List<Problem> problems) {
        ParamType type = ParamType.fromWire(name);
        if (type == null) {
            problems.add(new Problem(path, "unknown type '" + name + "'; use string, integer, number, boolean, object or array"));
        }
        return type;
    }

    private RetryPolicy retries(JsonNode node, String path, List<Problem> problems) {
        if (node == null || node.isNull()) {
            return RetryPolicy.NONE;
        }
        if (node.isInt()) {
            int max = node.asInt();
            if (max < 0 || max > 100) {
                problems.add(new Problem(path, "expected a number of retries from 0 to 100, got " + max));
                return RetryPolicy.NONE;
            }
            return RetryPolicy.ofMax(max);
        }
        if (!node.isObject()) {
            problems.add(new Problem(path, "expected a number of retries or a mapping with max, backoff, initial, maxDelay and jitter, got " + kind(node)));
            return RetryPolicy.NONE;
        }
        unknownFields(node, RETRY_FIELDS, path + ".", problems);
        int max = 0;
        JsonNode maxNode = node.get("max");
        if (maxNode == null) {
            problems.add(new Problem(path + ".max", "missing: how many retries after the first attempt"));
        } else if (!maxNode.isInt() || maxNode.asInt() < 0 || maxNode.asInt() > 100) {
            problems.add(new Problem(path + ".max", "expected a number from 0 to 100, got " + maxNode));
        } else {
            max = maxNode.asInt();
        }
        Backoff backoff = Backoff.EXPONENTIAL;
        String backoffName = optionalText(node, "backoff", path + ".backoff", problems);
        if (backoffName != null) {
            backoff = Backoff.fromWire(backoffName);
            if (backoff == null) {
                problems.add(new Problem(path + ".backoff", "unknown back-off '" + backoffName + "'; use fixed, linear or exponential"));
                backoff = Backoff.EXPONENTIAL;
            }
        }
        Duration initial = duration(node.get("initial"), path + ".initial", problems);
        Duration maxDelay = duration(node.get("maxDelay"), path + ".maxDelay", problems);
        double jitter = 0.2;
        JsonNode jitterNode = node.get("jitter");
        if (jitterNode != null) {
            if (!jitterNode.isNumber() || jitterNode.asDouble() < 0 || jitterNode.asDouble() > 1) {
                problems.add(new Problem(path + ".jitter", "expected a fraction from 0 to 1, got " + jitterNode));
            } else {
                jitter = jitterNode.asDouble();
            }
        }
        return new RetryPolicy(max, backoff, initial == null ? RetryPolicy.DEFAULT_INITIAL : initial,
                maxDelay == null ? RetryPolicy.DEFAULT_MAX_DELAY : maxDelay, jitter);
    }

    private Schedule schedule(JsonNode node, List<Problem> problems, boolean admitting) {
        if (node == null || node.isNull()) {
            return null;
        }
        String cron;
        String start = null;
        String end = null;
        String zone = null;
        if (node.isTextual()) {
            cron = node.asText();
        } else if (node.isObject()) {
            unknownFields(node, SCHEDULE_FIELDS, "schedule.", problems);
            String interval = optionalText(node, "schedule_interval", "schedule.schedule_interval", problems);
            String alt = optionalText(node, "cron", "schedule.cron", problems);
            cron = interval != null ? interval : alt;
            if (admitting && interval != null && alt != null) {
                problems.add(new Problem("schedule.cron", "give schedule_interval or cron, not both (they are the same field)"));
            }
            if (cron == null) {
                problems.add(new Problem("schedule.schedule_interval", "missing: a cron expression such as \"5 10 * * *\""));
                return null;
            }
            start = optionalText(node, "start_date", "schedule.start_date", problems);
            end = optionalText(node, "end_date", "schedule.end_date", problems);
            zone = optionalText(node, "timezone", "schedule.timezone", problems);
            for (String[] d : new String[][] {{"start_date", start}, {"end_date", end}}) {
                if (d[1] != null && !DATE.matcher(d[1]).matches()) {
                    problems.add(new Problem("schedule." + d[0], "expected a date like \"2022-01-01 00:00\", got '" + d[1] + "'"));
                } else if (admitting && d[1] != null && Schedule.localDateTime(d[1]) == null) {
                    problems.add(new Problem("schedule." + d[0], "no such date or time: '" + d[1] + "'"));
                }
            }
            if (zone != null) {
                try {
                    java.time.ZoneId.of(zone);
                } catch (java.time.DateTimeException e) {
                    problems.add(new Problem("schedule.timezone", "unknown time zone '" + zone + "'"));
                }
            }
        } else {
            problems.add(new Problem("schedule", "expected a cron expression or a mapping with schedule_interval, got " + kind(node)));
            return null;
        }
        String[] fields = cron.trim().split("\\s+");
        boolean macro = cron.trim().startsWith("@") && fields.length == 1;
        String cronPath = node.isTextual() ? "schedule" : node.has("schedule_interval") ? "schedule.schedule_interval" : "schedule.cron";
        if (!macro && (fields.length != 5 || !java.util.Arrays.stream(fields).allMatch(f -> CRON_FIELD.matcher(f).matches()))) {
            problems.add(new Problem(cronPath, "expected a five-field cron expression such as \"5 10 * * *\", got '" + cron + "'"));
        } else if (admitting) {
            String wrong = cronCheck.problem(cron.trim());
            if (wrong != null) {
                problems.add(new Problem(cronPath, wrong));
            }
        }
        if (admitting && start != null && end != null && Schedule.localDateTime(start) != null && Schedule.localDateTime(end) != null
                && !Schedule.localDateTime(end).isAfter(Schedule.localDateTime(start))) {
            problems.add(new Problem("schedule.end_date", "end_date '" + end + "' is not after start_date '" + start + "'"));
        }
        return new Schedule(cron.trim(), start, end, zone);
    }

    private List<Requirement> requirements(JsonNode node, String path, List<Problem> problems) {
        List<Requirement> result = new ArrayList<>();
        if (node == null || node.isNull()) {
            return result;
        }
        if (!node.isArray()) {
            problems.add(new Problem(path, "expected a list of {name, version}, got " + kind(node)));
            return result;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String p = path + "[" + i + "]";
            if (!item.isObject()) {
                problems.add(new Problem(p, "expected {name, version}, got " + kind(item)));
                continue;
            }
            unknownFields(item, Set.of("name", "version"), p + ".", problems);
            String name = optionalText(item, "name", p + ".name", problems);
            JsonNode v = item.get("version");
            if (name == null) {
                problems.add(new Problem(p + ".name", "missing: the library's name"));
                continue;
            }
            if (v != null && !v.isNull() && !v.isValueNode()) {
                problems.add(new Problem(p + ".version", "expected a version (1.5.3) or specifiers (>=1.2,<2), got " + kind(v)));
                continue;
            }
            Requirement r = new Requirement(name, v == null || v.isNull() ? null : v.asText());
            int before = problems.size();
            Requirements.check(r, p, problems);
            if (problems.size() == before) {
                result.add(r);
            }
        }
        return result;
    }

    private static Duration duration(JsonNode node, String path, List<Problem> problems) {
        if (node == null || node.isNull()) {
            return null;
        }
        Duration d = node.isTextual() ? Durations.parse(node.asText()) : null;
        if (d == null || d.isZero()) {
            problems.add(new Problem(path, "expected a positive duration such as 500ms, 30s, 5m, 1h or 2d, got " + describeValue(node)));
            return null;
        }
        return d;
    }

    /** How long the pipeline's ended jobs are kept: a positive duration up to {@link Pipeline#MAX_RETENTION}, or absent. */
    private static Duration retention(JsonNode node, List<Problem> problems) {
        Duration d = duration(node, "retention", problems);
        if (d != null && d.compareTo(Pipeline.MAX_RETENTION) > 0) {
            problems.add(new Problem("retention", "at most " + Durations.format(Pipeline.MAX_RETENTION)
                    + " (ten years): how long this pipeline's ended jobs are kept, got " + describeValue(node)));
            return null;
        }
        return d;
    }

    private static String optionalText(JsonNode parent, String field, String path, List<Problem> problems) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            problems.add(new Problem(path, "expected text, got " + kind(node)));
            return null;
        }
        return node.asText();
    }

    private static void unknownFields(JsonNode node, Set<String> known, String prefix, List<Problem> problems) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                problems.add(new Problem(prefix + field, "unknown field; expected one of " + known.stream().sorted().toList()));
            }
        }
    }

    private static String badName(String name) {
        return "bad name '" + name + "': use letters, digits, '_', '-' and '.', starting with a letter or '_' (at most 128)";
    }

    static String kind(JsonNode node) {
        if (node == null || node.isNull()) return "nothing";
        if (node.isObject()) return "a mapping";
        if (node.isArray()) return "a list";
        if (node.isTextual()) return "text '" + abbreviate(node.asText()) + "'";
        if (node.isBoolean()) return "a boolean";
        if (node.isNumber()) return "a number";
        return node.getNodeType().toString().toLowerCase();
    }

    private static String describeValue(JsonNode node) {
        return node.isTextual() ? "'" + abbreviate(node.asText()) + "'" : kind(node);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
