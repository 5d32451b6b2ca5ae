package dev.pipewright.infra.config;

import java.net.URI;
import java.util.List;
import java.util.Objects;

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
    private static final HostListUri.Kind KIND = new HostListUri.Kind("amqp", "amqps", 5672, 5671, "", "virtual host",
            RabbitNodes::vhostOf, RabbitNodes::checkVhost);

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
        HostListUri.Parsed parsed = HostListUri.parse(value, KIND);
        return new RabbitNodes(parsed.uri(), parsed.hosts().stream().map(h -> new Node(h.host(), h.port())).toList());
    }

    private static void checkVhost(URI parsed) {
        String path = parsed.getRawPath();
        if (path != null && path.length() > 1 && path.substring(1).contains("/")) {
            throw new IllegalArgumentException("the virtual host must be one path segment (write '/' inside it as %2F)");
        }
    }

    private static Object vhostOf(URI u) {
        String p = u.getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    /** For logs and error messages: the nodes in the one-URI spelling, without the password. */
    public String display() {
        return HostListUri.display(uri, nodes);
    }

    @Override
    public String toString() {
        return display();
    }
}
