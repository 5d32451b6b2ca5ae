package dev.pipewright.cli;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a run's load split between the overseers of an installation that has several: per overseer
 * (the one {@code --url} names and each of {@code --overseers}), the completion events it applied
 * (its {@code pipewright_shard_events_total}, from its /metrics) and, when it runs on this host, its
 * CPU per task.
 */
final class OverseerLoads {
    private static final Pattern EVENTS = Pattern.compile("(?m)^pipewright_shard_events_total\\{[^}]*} ([0-9.eE+-]+)$");

    private record Overseer(String url, ApiClient client, Long pid) {
    }

    /** One overseer's counters at one moment (null: not readable). */
    record Sample(List<Long> ticks, List<Double> events) {
    }

    /** One overseer's share of a run. */
    record Load(String url, Long events, Double cpuMsPerTask) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", url);
            m.put("events", events);
            m.put("cpu_ms_per_task", cpuMsPerTask == null ? null : Math.round(cpuMsPerTask * 10_000) / 10_000.0);
            return m;
        }
    }

    private final List<Overseer> overseers;

    private OverseerLoads(List<Overseer> overseers) {
        this.overseers = overseers;
    }

    /** None unless {@code others} names further overseers: one overseer's load is the whole run's. */
    static OverseerLoads find(ApiClient first, List<String> others, String token) {
        List<Overseer> list = new ArrayList<>();
        if (others != null && !others.isEmpty()) {
            list.add(overseer(first));
            java.util.Set<String> seen = new java.util.HashSet<>(List.of(first.baseUrl()));
            for (String url : others) {
                ApiClient client = new ApiClient(url, token);
                if (seen.add(client.baseUrl())) {
                    list.add(overseer(client));
                }
            }
        }
        return new OverseerLoads(list);
    }

    private static Overseer overseer(ApiClient client) {
        Long pid = null;
        try {
            ApiClient.Response h = client.get("/health");
            long p = h.ok() ? h.json().path("pid").asLong(0) : 0;
            if (p > 0 && BenchCommand.isLocalHost(URI.create(client.baseUrl()).getHost()) && ProcStats.isLocalJava(p)) {
                pid = p;
            }
        } catch (CliException e) {
            // not reachable now: its figures stay null
        }
        return new Overseer(client.baseUrl(), client, pid);
    }

    boolean isEmpty() {
        return overseers.isEmpty();
    }

    Sample sample() {
        List<Long> ticks = new ArrayList<>();
        List<Double> events = new ArrayList<>();
        for (Overseer o : overseers) {
            ticks.add(o.pid() == null ? null : ProcStats.cpuTicks(o.pid()));
            events.add(events(o.client()));
        }
        return new Sample(ticks, events);
    }

    /** Each overseer's events and CPU per task since {@code before}. */
    List<Load> loads(Sample before, int tasks) {
        if (overseers.isEmpty()) {
            return List.of();
        }
        Sample after = sample();
        List<Load> out = new ArrayList<>();
        for (int i = 0; i < overseers.size(); i++) {
            Double b = before.events().get(i);
            Double a = after.events().get(i);
            Long events = a == null || b == null ? null : Math.round(a - b);
            out.add(new Load(overseers.get(i).url(), events, BenchCommand.perTask(before.ticks().get(i), after.ticks().get(i), tasks)));
        }
        return out;
    }

    /** The overseer's events applied over all its shards, or null when its /metrics cannot be read. */
    static Double events(ApiClient client) {
        try {
            ApiClient.Response r = client.get("/metrics");
            if (!r.ok()) {
                return null;
            }
            return sumEvents(r.text());
        } catch (CliException e) {
            return null;
        }
    }

    static double sumEvents(String metrics) {
        double sum = 0;
        Matcher m = EVENTS.matcher(metrics);
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
