package dev.pipewright.infra.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where Redis is ({@code PW_REDIS_URI}, {@code PW_REDIS_CLUSTER}): one server, or the seed nodes of
 * a Redis Cluster, sharing one set of credentials, scheme ({@code redis} or {@code rediss} for TLS)
 * and query parameters. Two spellings of a node list are accepted, as for {@code PW_RABBITMQ_URI}:
 * <ul>
 * <li>one URI whose authority lists the nodes: {@code redis://:pass@h1:7000,h2:7001,h3:7002};</li>
 * <li>comma-separated full URIs: {@code redis://:pass@h1:7000,redis://:pass@h2:7001}, which must
 * agree on everything but host and port.</li>
 * </ul>
 * Several nodes mean a cluster (any one of them is enough to find the others; several let a process
 * start while one is down). One node is a single server unless {@code PW_REDIS_CLUSTER=on} says it
 * is a seed of a cluster (a cluster's configuration endpoint, for instance). A port left out is 6379.
 * A cluster has only database 0, so a database in the path is refused for one.
 */
public record RedisNodes(URI uri, List<Node> nodes, boolean cluster) {
    public static final int DEFAULT_PORT = 6379;

    /** One node's address. */
    public record Node(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** {@code PW_REDIS_CLUSTER}: decide from the number of nodes, or say so. */
    public enum Mode {
        /** Several nodes: a cluster; one: a single server. */
        AUTO,
        /** A cluster, even with one seed node. */
        ON,
        /** A single server; several nodes are refused. */
        OFF;

        /** {@code auto}, {@code on}/{@code true} or {@code off}/{@code false}. */
        public static Mode parse(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "on", "true" -> ON;
                case "off", "false" -> OFF;
                default -> throw new IllegalArgumentException("expected auto, on or off");
            };
        }
    }

    public RedisNodes {
        Objects.requireNonNull(uri);
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no node");
        }
        if (!cluster && nodes.size() > 1) {
            throw new IllegalArgumentException("several nodes name a Redis Cluster, not one server");
        }
    }

    /** A single server at {@code uri}. */
    public static RedisNodes of(URI uri) {
        return parse(uri.toString(), Mode.OFF);
    }

    /** Parses either spelling; an {@link IllegalArgumentException} says what is wrong, without the password. */
    public static RedisNodes parse(String value, Mode mode) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("it is empty");
        }
        List<String> parts = splitUris(v);
        RedisNodes parsed = parts.size() > 1 ? fromUris(parts) : fromHostList(v);
        boolean several = parsed.nodes.size() > 1;
        if (mode == Mode.OFF && several) {
            throw new IllegalArgumentException("it lists " + parsed.nodes.size() + " nodes, but PW_REDIS_CLUSTER=off: "
                    + "several nodes are the seeds of a Redis Cluster (name one server, or let PW_REDIS_CLUSTER be auto)");
        }
        boolean cluster = mode == Mode.ON || several;
        if (cluster && database(parsed.uri) != 0) {
            throw new IllegalArgumentException("it selects database " + database(parsed.uri)
                    + ", but a Redis Cluster has only database 0 (leave the path out)");
        }
        return new RedisNodes(parsed.uri, parsed.nodes, cluster);
    }

    /** Each node's URI, with the credentials, scheme and query of the first: the seeds a cluster client starts from. */
    public List<URI> nodeUris() {
        List<URI> out = new ArrayList<>(nodes.size());
        String user = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        for (Node n : nodes) {
            // the raw parts of the first node's URI, which parsed: the same text with another host parses too
            out.add(URI.create(uri.getScheme() + "://" + user + n + path + query));
        }
        return out;
    }

    /**
     * Splits at each comma that starts another full URI ({@code ,redis://} or {@code ,rediss://});
     * one element when the value is a single URI, with or without a host list.
     */
    private static List<String> splitUris(String v) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = v.indexOf(','); i >= 0; i = v.indexOf(',', i + 1)) {
            String rest = v.substring(i + 1).trim();
            if (rest.startsWith("redis://") || rest.startsWith("rediss://")) {
                out.add(v.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(v.substring(start).trim());
        return out;
    }

    private static RedisNodes fromUris(List<String> parts) {
        List<RedisNodes> each = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            if (p.isEmpty()) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list is empty");
            }
            RedisNodes one;
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
                    : !Objects.equals(first.getRawPath(), u.getRawPath()) ? "database"
                    : !Objects.equals(first.getRawQuery(), u.getRawQuery()) ? "query parameters" : null;
            if (differs != null) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list has another " + differs + " than the first; "
                        + "the nodes of one cluster share them");
            }
            nodes.addAll(each.get(i).nodes);
        }
        return new RedisNodes(first, distinct(nodes), true);
    }

    /** {@code scheme://[userinfo@]host[:port][,host[:port]...][/database][?query]}. */
    private static RedisNodes fromHostList(String v) {
        int schemeEnd = v.indexOf("://");
        String scheme = schemeEnd < 0 ? null : v.substring(0, schemeEnd);
        if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
            throw new IllegalArgumentException("it must start with redis:// or rediss:// (TLS)");
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
        List<Node> nodes = new ArrayList<>();
        String[] items = hosts.split(",", -1);
        for (int i = 0; i < items.length; i++) {
            nodes.add(node(items[i].trim(), i + 1, items.length));
        }
        Node first = nodes.get(0);
        URI parsed;
        try {
            parsed = new URI(scheme + "://" + (userInfo == null ? "" : userInfo + "@") + first + tail);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("it is not a valid URI (" + e.getReason() + ")", e);
        }
        if (parsed.getHost() == null) {
            throw new IllegalArgumentException("its host '" + first.host() + "' is not a valid host name");
        }
        database(parsed);
        return new RedisNodes(parsed, distinct(nodes), nodes.size() > 1);
    }

    /** The database the path selects ({@code /3}); 0 without one. */
    private static int database(URI uri) {
        String path = uri.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return 0;
        }
        try {
            int db = Integer.parseInt(path.substring(1));
            if (db >= 0) {
                return db;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("its path '" + path + "' is not a database number");
    }

    private static Node node(String item, int index, int count) {
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
        int p = DEFAULT_PORT;
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

    /** For logs and error messages: the nodes in the one-URI spelling, without the password, and whether it is a cluster. */
    public String display() {
        String info = uri.getRawUserInfo();
        String user = info == null ? "" : (info.contains(":") ? info.substring(0, info.indexOf(':')) + ":***" : info) + "@";
        StringBuilder hosts = new StringBuilder();
        for (Node n : nodes) {
            hosts.append(hosts.isEmpty() ? "" : ",").append(n);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return uri.getScheme() + "://" + user + hosts + path + query + (cluster ? " (Redis Cluster)" : "");
    }

    @Override
    public String toString() {
        return display();
    }
}
