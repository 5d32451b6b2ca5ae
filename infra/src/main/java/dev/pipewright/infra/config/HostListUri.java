package dev.pipewright.infra.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The two spellings of a service URI naming several nodes that {@code PW_RABBITMQ_URI} and
 * {@code PW_REDIS_URI} share: one URI whose authority lists the hosts
 * ({@code scheme://[user@]h1:p1,h2:p2[/path][?query]}), or comma-separated full URIs that agree on
 * everything but host and port. {@link RabbitNodes} and {@link RedisNodes} add what their service
 * means by the path.
 */
final class HostListUri {

    /** What one service accepts. */
    record Kind(String scheme, String secureScheme, int port, int securePort, String schemeHint, String pathName,
                Function<URI, Object> pathKey, Consumer<URI> checkPath) {
        int portOf(String s) {
            return s.equals(secureScheme) ? securePort : port;
        }
    }

    /** One node's address. */
    record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** The first node's URI (credentials, path and query included) and every node, each once. */
    record Parsed(URI uri, List<HostPort> hosts) {
    }

    private HostListUri() {
    }

    /** Parses either spelling; an {@link IllegalArgumentException} says what is wrong, without the password. */
    static Parsed parse(String value, Kind kind) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("it is empty");
        }
        List<String> parts = splitUris(v, kind);
        return parts.size() > 1 ? fromUris(parts, kind) : fromHostList(v, kind);
    }

    /**
     * Splits at each comma that starts another full URI ({@code ,amqp://} say); one element when the
     * value is a single URI, with or without a host list.
     */
    private static List<String> splitUris(String v, Kind kind) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = v.indexOf(','); i >= 0; i = v.indexOf(',', i + 1)) {
            String rest = v.substring(i + 1).trim();
            if (rest.startsWith(kind.scheme() + "://") || rest.startsWith(kind.secureScheme() + "://")) {
                out.add(v.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(v.substring(start).trim());
        return out;
    }

    private static Parsed fromUris(List<String> parts, Kind kind) {
        List<Parsed> each = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            if (p.isEmpty()) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list is empty");
            }
            Parsed one;
            try {
                one = fromHostList(p, kind);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list: " + e.getMessage(), e);
            }
            if (one.hosts().size() > 1) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list names several hosts; "
                        + "either list full URIs or hosts in one URI, not both");
            }
            each.add(one);
        }
        URI first = each.get(0).uri();
        List<HostPort> hosts = new ArrayList<>();
        for (int i = 0; i < each.size(); i++) {
            URI u = each.get(i).uri();
            String differs = !first.getScheme().equals(u.getScheme()) ? "scheme"
                    : !Objects.equals(first.getRawUserInfo(), u.getRawUserInfo()) ? "user or password"
                    : !Objects.equals(kind.pathKey().apply(first), kind.pathKey().apply(u)) ? kind.pathName()
                    : !Objects.equals(first.getRawQuery(), u.getRawQuery()) ? "query parameters" : null;
            if (differs != null) {
                throw new IllegalArgumentException("URI " + (i + 1) + " of the list has another " + differs + " than the first; "
                        + "the nodes of one cluster share them");
            }
            hosts.addAll(each.get(i).hosts());
        }
        return new Parsed(first, distinct(hosts));
    }

    /** {@code scheme://[userinfo@]host[:port][,host[:port]...][/path][?query]}. */
    private static Parsed fromHostList(String v, Kind kind) {
        int schemeEnd = v.indexOf("://");
        String scheme = schemeEnd < 0 ? null : v.substring(0, schemeEnd);
        if (!kind.scheme().equals(scheme) && !kind.secureScheme().equals(scheme)) {
            throw new IllegalArgumentException("it must start with " + kind.scheme() + ":// or " + kind.secureScheme() + "://"
                    + kind.schemeHint());
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
        String hostList = authority.substring(at + 1);
        if (hostList.isEmpty()) {
            throw new IllegalArgumentException("it names no host");
        }
        List<HostPort> hosts = new ArrayList<>();
        String[] items = hostList.split(",", -1);
        for (int i = 0; i < items.length; i++) {
            hosts.add(hostPort(items[i].trim(), kind.portOf(scheme), i + 1, items.length));
        }
        HostPort first = hosts.get(0);
        URI parsed;
        try {
            parsed = new URI(scheme + "://" + (userInfo == null ? "" : userInfo + "@") + first + tail);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("it is not a valid URI (" + e.getReason() + ")", e);
        }
        if (parsed.getHost() == null) {
            throw new IllegalArgumentException("its host '" + first.host() + "' is not a valid host name");
        }
        kind.checkPath().accept(parsed);
        return new Parsed(parsed, distinct(hosts));
    }

    private static HostPort hostPort(String item, int defaultPort, int index, int count) {
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
        return new HostPort(host, p);
    }

    private static List<HostPort> distinct(List<HostPort> hosts) {
        Set<HostPort> seen = new LinkedHashSet<>();
        for (HostPort h : hosts) {
            if (!seen.add(h)) {
                throw new IllegalArgumentException("node " + h + " is listed twice");
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

    /** For logs and error messages: the nodes in the one-URI spelling, without the password. */
    static String display(URI uri, List<?> nodes) {
        String info = uri.getRawUserInfo();
        String user = info == null ? "" : (info.contains(":") ? info.substring(0, info.indexOf(':')) + ":***" : info) + "@";
        StringBuilder hosts = new StringBuilder();
        for (Object n : nodes) {
            hosts.append(hosts.isEmpty() ? "" : ",").append(n);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return uri.getScheme() + "://" + user + hosts + path + query;
    }
}
