package dev.pipewright.infra.config;

import dev.pipewright.protocol.pipeline.Durations;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Typed access to settings given as environment variables ({@code PW_*}); each bad value stops
 * start-up with one line naming the variable.
 */
public final class Settings {
    private final Map<String, String> env;

    public Settings(Map<String, String> env) {
        this.env = env;
    }

    public static Settings fromEnvironment() {
        return new Settings(System.getenv());
    }

    public String string(String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public int integer(String name, int fallback, int min, int max) {
        return parse(name, fallback, s -> {
            int v = Integer.parseInt(s);
            if (v < min || v > max) {
                throw new IllegalArgumentException();
            }
            return v;
        }, "a whole number from " + min + " to " + max);
    }

    public Duration duration(String name, Duration fallback) {
        return parse(name, fallback, s -> {
            Duration d = Durations.parse(s);
            if (d == null || d.isZero()) {
                throw new IllegalArgumentException();
            }
            return d;
        }, "a duration such as 500ms, 10s or 5m");
    }

    /** Like {@link #duration}, but {@code 0} (or {@code 0s}) is allowed and means "off". */
    public Duration durationOrOff(String name, Duration fallback) {
        return parse(name, fallback, s -> {
            Duration d = "0".equals(s.trim()) ? Duration.ZERO : Durations.parse(s);
            if (d == null) {
                throw new IllegalArgumentException();
            }
            return d;
        }, "a duration such as 500ms, 10s or 5m, or 0 for off");
    }

    public URI uri(String name, String fallback, String... schemes) {
        return parse(name, URI.create(fallback), s -> {
            URI u = URI.create(s);
            if (u.getScheme() == null || Arrays.stream(schemes).noneMatch(u.getScheme()::equals) || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return u;
        }, "a URI such as " + fallback);
    }

    public List<String> list(String name, String fallback) {
        return Arrays.stream(string(name, fallback).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private <T> T parse(String name, T fallback, Function<String, T> parser, String expected) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return parser.apply(v.trim());
        } catch (RuntimeException e) {
            throw new ConfigException(name + "='" + v + "' is not valid: expected " + expected);
        }
    }
}
