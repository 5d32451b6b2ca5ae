package dev.pipewright.protocol.parse;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

import java.io.StringReader;

/**
 * Reads a YAML or JSON document into a tree, refusing what a pipeline never needs and an attacker
 * would use: anchors and aliases (billion laughs), explicit tags (object construction), several
 * documents, duplicate keys, nesting deeper than {@link DocumentLimits#maxDepth()} and documents
 * longer than {@link DocumentLimits#maxChars()}. Every refusal is one {@link DocumentException}
 * with a line and column where the parser knows them.
 */
public final class SafeDocumentReader {
    private static final java.util.Set<String> CORE_TAGS = java.util.Set.of("tag:yaml.org,2002:str",
            "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq");
    private final DocumentLimits limits;
    private final ObjectMapper json;
    private final ObjectMapper yaml;

    public SafeDocumentReader(DocumentLimits limits) {
        this.limits = limits;
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxDepth())
                .maxDocumentLength(limits.maxChars())
                .build();
        this.json = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.json.getFactory().setStreamReadConstraints(constraints);
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(limits.maxChars());
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(0);
        options.setNestingDepthLimit(limits.maxDepth());
        // the builder does not start from YAMLFactory's default features: "key:" must read as null, not ""
        YAMLFactory factory = YAMLFactory.builder().loaderOptions(options).streamReadConstraints(constraints)
                .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
        this.yaml = new YAMLMapper(factory).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    public SafeDocumentReader() {
        this(DocumentLimits.DEFAULTS);
    }

    public JsonNode read(String text) throws DocumentException {
        if (text == null || text.isBlank()) {
            throw new DocumentException("the document is empty");
        }
        if (text.length() > limits.maxChars()) {
            throw new DocumentException("the document has " + text.length() + " characters; the limit is " + limits.maxChars());
        }
        String trimmed = text.stripLeading();
        boolean isJson = trimmed.startsWith("{") || trimmed.startsWith("[");
        if (isJson) {
            try {
                return nonEmpty(json.readTree(text));
            } catch (JsonProcessingException e) {
                if (!looksLikeYamlFlow(trimmed)) {
                    throw new DocumentException(describe(e));
                }
                // a YAML flow mapping such as {dataNodes: {...}}: read it as YAML below
            }
        }
        scanYaml(text);
        try {
            JsonNode node = yaml.readTree(text);
            if (node == null || node.isMissingNode() || node.isNull()) {
                throw new DocumentException("the document is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new DocumentException(describe(e));
        }
    }

    private static JsonNode nonEmpty(JsonNode node) throws DocumentException {
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw new DocumentException("the document is empty");
        }
        return node;
    }

    /** JSON keys are quoted; an unquoted key right after the opening brace means YAML flow style. */
    private static boolean looksLikeYamlFlow(String trimmed) {
        String rest = trimmed.substring(1).stripLeading();
        return trimmed.startsWith("{") && !rest.isEmpty() && rest.charAt(0) != '"' && rest.charAt(0) != '}';
    }

    private void scanYaml(String text) throws DocumentException {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(limits.maxChars());
        ParserImpl parser = new ParserImpl(new StreamReader(new StringReader(text)), options);
        int depth = 0;
        int documents = 0;
        int events = 0;
        try {
            while (parser.peekEvent() != null) {
                Event event = parser.getEvent();
                if (++events > limits.maxEvents()) {
                    throw new DocumentException("the document has more than " + limits.maxEvents() + " elements");
                }
                if (event instanceof AliasEvent) {
                    throw refused(event.getStartMark(), "aliases (*name) are not allowed");
                }
                if (event instanceof NodeEvent node && node.getAnchor() != null) {
                    throw refused(event.getStartMark(), "anchors (&" + node.getAnchor() + ") are not allowed");
                }
                String tag = event instanceof ScalarEvent s ? s.getTag()
                        : event instanceof CollectionStartEvent c ? c.getTag() : null;
                // only the plain core-schema tags; "!!python/object:x" also expands to tag:yaml.org,2002:...
                if (tag != null && !tag.equals("!") && !CORE_TAGS.contains(tag)) {
                    throw refused(event.getStartMark(), "tags (" + tag + ") are not allowed");
                }
                if (event instanceof DocumentStartEvent && ++documents > 1) {
                    throw refused(event.getStartMark(), "only one YAML document is allowed");
                }
                if (event instanceof CollectionStartEvent) {
                    if (++depth > limits.maxDepth()) {
                        throw refused(event.getStartMark(), "nesting is deeper than " + limits.maxDepth() + " levels");
                    }
                } else if (event instanceof CollectionEndEvent) {
                    depth--;
                }
            }
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            throw refused(mark, "invalid YAML: " + problem);
        } catch (YAMLException e) {
            throw new DocumentException("invalid YAML: " + e.getMessage());
        }
    }

    private static DocumentException refused(Mark mark, String message) {
        if (mark == null) {
            return new DocumentException(message);
        }
        return new DocumentException("line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": " + message);
    }

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int newline = message.indexOf('\n');
        if (newline > 0) {
            message = message.substring(0, newline);
        }
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            return "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": " + message;
        }
        return message;
    }
}
