package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Paging options and the printing shared by the list commands ({@code --json}, tables). */
public class Listing {
    @Option(names = "--page-size", paramLabel = "N", description = "Items per page (1-500, default 50).")
    Integer pageSize;

    @Option(names = "--page-after", paramLabel = "CURSOR", description = "Continue after this cursor (next_page_after of the page before).")
    String pageAfter;

    @Option(names = "--all", description = "Follow the cursors and list every page.")
    boolean all;

    @Option(names = "--json", description = "Print the server's answer as JSON ({items..., next_page_after}).")
    boolean json;

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

    /** Reads one page, or every page with {@code --all}, and prints them. */
    void print(ApiClient client, String path, Map<String, String> filters, String field, String what, PrintWriter out, PrintWriter err,
               String[] header, Function<JsonNode, String[]> row) throws Exception {
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
            out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(header);
            items.forEach(i -> rows.add(row.apply(i)));
            out.print(StatusCommand.table(rows));
            if (next != null) {
                err.println("more: --page-after " + next);
            }
        }
        out.flush();
        err.flush();
    }

    static String dash(JsonNode n) {
        String s = Jobs.text(n);
        return s == null || s.isBlank() ? "-" : s;
    }

    static void printJson(PrintWriter out, JsonNode n) throws Exception {
        out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        out.flush();
    }
}
