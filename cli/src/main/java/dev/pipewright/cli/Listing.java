package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The paging options of the list commands and their printing: one page (or every page with
 * {@code --all}) as a table, or as the server's JSON document ({@code {items..., next_page_after}}).
 */
public class Listing {
    @Option(names = "--page-size", paramLabel = "N", description = "Items per page (1-500, default 50).")
    Integer pageSize;

    @Option(names = "--page-after", paramLabel = "CURSOR", description = "Continue after this cursor (next_page_after of the page before).")
    String pageAfter;

    @Option(names = "--all", description = "Follow the cursors and list every page.")
    boolean all;

    @Option(names = "--json", description = "Print the server's answer as JSON ({items..., next_page_after}).")
    boolean json;

    /** Query filters from name, value pairs, in order; a filter not given (null or blank) is left out of the query. */
    static Map<String, String> filters(String... namesAndValues) {
        Map<String, String> filters = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            filters.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return filters;
    }

    /** Query text: the given filters (null values left out) plus the paging options. */
    String query(Map<String, String> filters, String cursor) {
        Map<String, String> q = new LinkedHashMap<>(filters);
        if (pageSize != null) {
            q.put("page_size", pageSize.toString());
        }
        if (cursor != null) {
            q.put("page_after", cursor);
        }
        StringBuilder sb = new StringBuilder();
        q.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                sb.append(sb.isEmpty() ? "?" : "&").append(k).append('=').append(ApiClient.encode(v));
            }
        });
        return sb.toString();
    }

    /**
     * Reads one page of {@code path}, or every page with {@code --all}, and prints the items of
     * {@code field} as JSON or as {@code table}; in a table, the cursor of the next page goes to
     * stderr. A refused call fails naming {@code what}.
     */
    int print(ServerCommand command, String path, Map<String, String> filters, String field, String what, Table<JsonNode> table) {
        ApiClient client = command.client();
        PrintWriter out = command.out();
        PrintWriter err = command.err();
        ArrayNode items = ApiClient.JSON.createArrayNode();
        String cursor = pageAfter;
        String next;
        do {
            JsonNode page = ApiClient.expect(client.get(path + query(filters, cursor)), what);
            page.path(field).forEach(items::add);
            next = Jobs.text(page.get("next_page_after"));
            cursor = next;
        } while (all && next != null);
        if (json) {
            ObjectNode doc = ApiClient.JSON.createObjectNode();
            doc.set(field, items);
            doc.put("next_page_after", next);
            Output.json(out, doc);
        } else {
            out.print(table.render(items));
            if (next != null) {
                err.println("more: --page-after " + next);
            }
        }
        out.flush();
        err.flush();
        return 0;
    }
}
