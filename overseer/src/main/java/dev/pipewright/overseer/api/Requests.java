package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.paging.IndexScan;
import dev.pipewright.protocol.pipeline.Problem;
import dev.pipewright.protocol.render.GraphFormat;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.render.GraphRenderer;
import dev.pipewright.render.GraphTooLargeException;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/** What every route reads from a request and how it answers: parameters, paging, filters, bodies, JSON. */
final class Requests {
    private static final Logger LOG = LoggerFactory.getLogger(Requests.class);

    private Requests() {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /** Request bodies: a field given twice is refused (which one counts would be a guess), as in pipeline documents. */
    static final com.fasterxml.jackson.databind.ObjectReader BODY_READER =
            JSON.reader().with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());

    public static final int DEFAULT_PAGE_SIZE = 50;

    public static final int MAX_PAGE_SIZE = 500;

    static final String BODY = "pw.body";

    /** Who the request acts for (its token's owner). */
    static String owner(RoutingContext ctx) {
        return AuthHandler.principal(ctx).owner();
    }

    static Integer versionParam(RoutingContext ctx) {
        return ctx.queryParams().contains("version") ? intParam(ctx, "version", 1, 1, Integer.MAX_VALUE) : null;
    }

    /** A list given as {@code ?name=a,b} and/or {@code ?name=a&name=b}, blanks dropped. */
    static List<String> listParam(RoutingContext ctx, String name) {
        return ctx.queryParams().getAll(name).stream()
                .flatMap(s -> java.util.Arrays.stream(s.split(","))).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
    }

    // ---------------------------------------------------------------- paging and filters

    static int pageSize(RoutingContext ctx) {
        if (ctx.queryParams().contains("page_size")) {
            return intParam(ctx, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        }
        return intParam(ctx, "limit", DEFAULT_PAGE_SIZE, 1, 1000); // the older name
    }

    static String pageAfter(RoutingContext ctx) {
        String after = ctx.queryParams().get("page_after");
        if (after != null && after.isBlank()) {
            throw ApiException.badRequest("query parameter page_after is empty; leave it out for the first page", "page_after");
        }
        return after;
    }

    /** The listing position {@code page_after} names (null when absent); a text that is not a cursor is a 400. */
    static IndexScan.Position cursor(String after) {
        if (after == null) {
            return null;
        }
        IndexScan.Position p = IndexScan.Position.decode(after);
        if (p == null) {
            throw ApiException.badRequest("page_after: '" + after + "' is not a cursor of this listing (use next_page_after of the page before)",
                    "page_after");
        }
        return p;
    }

    /** Values of a repeatable, comma-separable filter; checked against {@code allowed} (case-insensitively) when given. */
    static Set<String> filterValues(RoutingContext ctx, String name, List<String> allowed) {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String v : ctx.queryParams().getAll(name)) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                if (allowed != null) {
                    String match = allowed.stream().filter(a -> a.equalsIgnoreCase(t)).findFirst().orElse(null);
                    if (match == null) {
                        throw ApiException.badRequest("query parameter " + name + ": '" + t + "' is not one of " + allowed, name);
                    }
                    out.add(match);
                } else {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /**
     * The owners a listing is narrowed to: an admin's {@code owner} filter as given (none: everyone);
     * below admin always the caller's own, and asking for anyone else's is a 403, not a silently
     * different answer.
     */
    static Set<String> ownerFilter(RoutingContext ctx) {
        Set<String> asked = filterValues(ctx, "owner", null);
        Principal who = AuthHandler.principal(ctx);
        if (who.isAdmin()) {
            return asked;
        }
        for (String o : asked) {
            if (!o.equals(who.owner())) {
                throw ApiException.forbidden("query parameter owner: '" + o + "' is not your owner ('" + who.owner()
                        + "'); below admin a listing shows only your own", "owner");
            }
        }
        return Set.of(who.owner());
    }

    static String bodyText(RoutingContext ctx) {
        Buffer body = ctx.get(BODY);
        return body == null ? "" : body.toString(StandardCharsets.UTF_8);
    }

    static JsonNode jsonBody(RoutingContext ctx) {
        String text = bodyText(ctx);
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = BODY_READER.readTree(text);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object", "$");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), "$");
        }
    }

    static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
        String v = ctx.queryParams().get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter " + name + " must be a whole number from " + min + " to " + max, name);
        }
    }

    static void json(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(io.vertx.core.buffer.Buffer.buffer(JSON.writeValueAsBytes(body)));
        } catch (Exception e) {
            LOG.error("cannot write response", e);
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(500).end();
            }
        }
    }

    static GraphFormat graphFormat(RoutingContext ctx) {
        String name = ctx.queryParams().get("format");
        GraphFormat format = name == null ? GraphFormat.SVG : GraphFormat.parse(name);
        if (format == null) {
            throw ApiException.badRequest("unknown graph format '" + name + "'; expected one of " + GraphFormat.names(), "format");
        }
        return format;
    }

    static void drawing(RoutingContext ctx, GraphFormat format, GraphView view) {
        String text;
        try {
            text = GraphRenderer.render(view, format);
        } catch (GraphTooLargeException e) {
            throw ApiException.badRequest("graph_too_large", e.getMessage(), List.of(new Problem("format", e.getMessage())));
        }
        ctx.response().setStatusCode(200).putHeader("Content-Type", format.contentType()).end(text);
    }
}
