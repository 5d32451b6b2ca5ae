package dev.pipewright.infra.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

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
    private static final HostListUri.Kind KIND = new HostListUri.Kind("redis", "rediss", DEFAULT_PORT, DEFAULT_PORT, " (TLS)",
            "database", URI::getRawPath, RedisNodes::database);

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
        HostListUri.Parsed parsed = HostListUri.parse(value, KIND);
        boolean several = parsed.hosts().size() > 1;
        if (mode == Mode.OFF && several) {
            throw new IllegalArgumentException("it lists " + parsed.hosts().size() + " nodes, but PW_REDIS_CLUSTER=off: "
                    + "several nodes are the seeds of a Redis Cluster (name one server, or let PW_REDIS_CLUSTER be auto)");
        }
        boolean cluster = mode == Mode.ON || several;
        if (cluster && database(parsed.uri()) != 0) {
            throw new IllegalArgumentException("it selects database " + database(parsed.uri())
                    + ", but a Redis Cluster has only database 0 (leave the path out)");
        }
        return new RedisNodes(parsed.uri(), parsed.hosts().stream().map(h -> new Node(h.host(), h.port())).toList(), cluster);
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

    /** For logs and error messages: the nodes in the one-URI spelling, without the password, and whether it is a cluster. */
    public String display() {
        return HostListUri.display(uri, nodes) + (cluster ? " (Redis Cluster)" : "");
    }

    @Override
    public String toString() {
        return display();
    }
}
