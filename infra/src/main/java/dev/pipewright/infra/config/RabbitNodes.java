package dev.pipewright.infra.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The RabbitMQ nodes of {@code PW_RABBITMQ_URI}: one node, or the nodes of a cluster, sharing one
 * set of credentials, virtual host, scheme (amqp or amqps) and query parameters. Two spellings are
 * accepted, the ones RabbitMQ client users meet elsewhere:
 * <ul>
 * <li>one URI whose authority lists the nodes:
 * {@code amqp://user:pass@h1:5672,h2:5672,h3:5672/vhost} (as in a MongoDB or JDBC URL);</li>
 * <li>comma-separated full URIs:
 * {@code amqp://user:pass@h1:5672/vhost,amqp://user:pass@h2:5672/vhost} (as in Spring's
 * {@code spring.rabbitmq.addresses}); these must agree on everything but host and port, since one
 * connection factory serves them all.</li>
 * </ul>
 * A port left out is 5672 (5671 for amqps). {@link #uri()} is the first node's URI with the
 * credentials, vhost and query, which configures the factory; {@link #nodes()} are where it may
 * connect.
 */
public record RabbitNodes(URI uri, List<Node> nodes) {
    /** One node's address. */
    public record Node(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public RabbitNodes {
        Objects.requireNonNull(uri);
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no node");
        }
    }

    /** A single node at {@code uri}. */
    public static RabbitNodes of(URI uri) {
        return parse(uri.toString());
    }

    /** Parses either spelling; an {@link IllegalArgumentException} says what is wrong, without the password. */
    public static RabbitNodes parse(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("it is empty");
        }
        List<String> parts = splitUris(v);
        if (parts.size() > 1) {
            return fromUris(parts);
        }
        return fromHostList(v);
    }

    /**
     * Splits at each comma that starts another full URI ({@code ,amqp://} or {@code ,amqps://});
     * one element when the value is a single URI, with or without a host list.
     */
    private static List<String> splitUris(String v) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = v.indexOf(','); i >= 0; i = v.indexOf(',', i + 1)) {
            String rest = v.substring(i + 1).trim();
            if (rest.startsWith("amqp://") || rest.startsWith("amqps://")) {
                out.add(v.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(v.substring(start).trim());
        return out;
    }

    private static RabbitNodes fromUris(List<String> parts) {
        List<RabbitNodes> each = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            if (p.isEmpty()) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list is empty");
            }
            RabbitNodes one;
            try {
                one = fromHostList(p);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list: " + e.getMessage(), e);
            }
            if (one.nodes.size() > 1) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list names several hosts; "
                        + "either list full URIs or hosts in one URI, not both");
            }
            each.add(one);
        }
        URI first = each.get(0).uri;
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < each.size(); i++) {
            URI u = each.get(i).uri;
            String differs = !first.getScheme().equals(u.getScheme()) ? "scheme"
                    : !Objects.equals(first.getRawUserInfo(), u.getRawUserInfo()) ? "user or password"
                    : !Objects.equals(vhostOf(first), vhostOf(u)) ? "virtual host"
                    : !Objects.equals(first.getRawQuery(), u.getRawQuery()) ? "query parameters" : null;
            if (differs != null) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list has another " + differs + " than the first; "
                        + "the nodes of one cluster share them");
            }
            nodes.addAll(each.get(i).nodes);
        }
        return new RabbitNodes(first, distinct(nodes));
    }

    /** {@code scheme://[userinfo@]host[:port][,host[:port]...][/vhost][?query]}. */
    private static RabbitNodes fromHostList(String v) {
        int schemeEnd = v.indexOf("://");
        String scheme = schemeEnd < 0 ? null : v.substring(0, schemeEnd);
        if (!"amqp".equals(scheme) && !"amqps".equals(scheme)) {
            throw new IllegalArgumentException("it must start with amqp:// or amqps://");
        }
        String rest = v.substring(schemeEnd + 3);
        int authorityEnd = firstOf(rest, '/', '?', '#');
        String authority = rest.substring(0, authorityEnd);
        String tail = rest.substring(authorityEnd);
        if (tail.startsWith("#")) {
            throw new IllegalArgumentException("a fragment (#...) has no meaning here");
        }
        // the user info ends at the last '@', so a comma in a password does not split the host list
        int at = authority.lastIndexOf('@');
        String userInfo = at < 0 ? null : authority.substring(0, at);
        String hosts = authority.substring(at + 1);
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("it names no host");
        }
        int defaultPort = "amqps".equals(scheme) ? 5671 : 5672;
        List<Node> nodes = new ArrayList<>();
        String[] items = hosts.split(",", -1);
        for (int i = 0; i < items.length; i++) {
            nodes.add(node(items[i].trim(), defaultPort, i + 1, items.length));
        }
        Node first = nodes.get(0);
        String uri = scheme + "://" + (userInfo == null ? "" : userInfo + "@") + first + tail;
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("it is not a valid URI (" + e.getReason() + ")", e);
        }
        if (parsed.getHost() == null) {
            throw new IllegalArgumentException("its host '" + first.host() + "' is not a valid host name");
        }
        String path = parsed.getRawPath();
        if (path != null && path.length() > 1 && path.substring(1).contains("/")) {
            throw new IllegalArgumentException("the virtual host must be one path segment (write '/' inside it as %2F)");
        }
        return new RabbitNodes(parsed, distinct(nodes));
    }

    private static Node node(String item, int defaultPort, int index, int count) {
        String where = count > 1 ? "host " + index + " of the list" : "the host";
        if (item.isEmpty()) {
            throw new IllegalArgumentException(where + " is empty (a doubled or trailing comma?)");
        }
        String host;
        String port = null;
        if (item.startsWith("[")) {
            int close = item.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(where + " '" + item + "' has no closing ']'");
            }
            host = item.substring(1, close);
            String after = item.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw new IllegalArgumentException(where + " '" + item + "' is not [address]:port");
                }
                port = after.substring(1);
            }
        } else {
            int colon = item.indexOf(':');
            if (colon >= 0 && item.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException(where + " '" + item + "' has several ':' (write an IPv6 address in [...])");
            }
            host = colon < 0 ? item : item.substring(0, colon);
            port = colon < 0 ? null : item.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException(where + " '" + item + "' has no host name");
        }
        if (!host.matches("[A-Za-z0-9._:%-]+")) {
            throw new IllegalArgumentException(where + " '" + item + "' is not a host name or address");
        }
        int p = defaultPort;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException(where + " '" + item + "' has port '" + port + "'; expected 1 to 65535");
            }
        }
        return new Node(host, p);
    }

    private static List<Node> distinct(List<Node> nodes) {
        Set<Node> seen = new LinkedHashSet<>();
        for (Node n : nodes) {
            if (!seen.add(n)) {
                throw new IllegalArgumentException("node " + n + " is listed twice");
            }
        }
        return List.copyOf(seen);
    }

    private static String vhostOf(URI u) {
        String p = u.getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    private static int firstOf(String s, char... chars) {
        int min = s.length();
        for (char c : chars) {
            int i = s.indexOf(c);
            if (i >= 0 && i < min) {
                min = i;
            }
        }
        return min;
    }

    /** For logs and error messages: the nodes in the one-URI spelling, without the password. */
    public String display() {
        String info = uri.getRawUserInfo();
        String user = info == null ? "" : (info.contains(":") ? info.substring(0, info.indexOf(':')) + ":***" : info) + "@";
        StringBuilder hosts = new StringBuilder();
        for (Node n : nodes) {
            hosts.append(hosts.isEmpty() ? "" : ",").append(n);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return uri.getScheme() + "://" + user + hosts + path + query;
    }

    @Override
    public String toString() {
        return display();
    }
}
