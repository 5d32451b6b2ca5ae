package dev.pipewright.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The overseer and workers this benchmark can measure: those on this host (the overseer's pid
 * from {@code /health} when the URL names this host, the workers' pid and host from
 * {@code /api/v1/workers}), each a Java process here. The workers count only when every one is
 * local: CPU per task from some of them would be a fraction of the truth.
 */
record LocalProcesses(Long overseerPid, List<Long> workerPids, OverseerLoads overseers) {
    /** CPU clock ticks so far of the overseer and of the workers together (null: not measured). */
    record Sample(Long overseerTicks, Long workerTicks, OverseerLoads.Sample overseers) {
    }

    static LocalProcesses find(ApiClient client, OverseerLoads overseers) {
        Long overseer = null;
        List<Long> workers = new ArrayList<>();
        try {
            ApiClient.Response h = client.get("/health");
            long pid = h.ok() ? h.json().path("pid").asLong(0) : 0;
            if (pid > 0 && BenchCommand.isLocalHost(URI.create(client.baseUrl()).getHost()) && ProcStats.isLocalJava(pid)) {
                overseer = pid;
            }
            ApiClient.Response w = client.get("/api/v1/workers");
            boolean allLocal = w.ok();
            if (w.ok()) {
                for (JsonNode worker : w.json().path("workers")) {
                    long wp = worker.path("pid").asLong(0);
                    if (wp > 0 && BenchCommand.isLocalHost(Jobs.text(worker.get("host"))) && ProcStats.isLocalJava(wp)) {
                        workers.add(wp);
                    } else {
                        allLocal = false;
                    }
                }
            }
            if (!allLocal) {
                workers.clear();
            }
        } catch (CliException e) {
            // measuring is a bonus: without it the figures are null
        }
        return new LocalProcesses(overseer, List.copyOf(workers), overseers);
    }

    Sample sample() {
        Long o = overseerPid == null ? null : ProcStats.cpuTicks(overseerPid);
        Long w = null;
        if (!workerPids.isEmpty()) {
            long sum = 0;
            for (long pid : workerPids) {
                Long t = ProcStats.cpuTicks(pid);
                if (t == null) {
                    sum = -1;
                    break;
                }
                sum += t;
            }
            w = sum < 0 ? null : sum;
        }
        return new Sample(o, w, overseers.sample());
    }

    /** CPU ms per task since {@code before} and RSS now. */
    BenchCommand.Usage usage(Sample before, int tasks) {
        Sample after = sample();
        Double overseerRss = null;
        if (overseerPid != null) {
            ProcStats.Memory m = ProcStats.memory(overseerPid);
            overseerRss = m == null ? null : m.rssMib();
        }
        Double workerRss = workerPids.isEmpty() ? null : 0.0;
        for (long pid : workerPids) {
            ProcStats.Memory m = ProcStats.memory(pid);
            workerRss = m == null || workerRss == null ? null : workerRss + m.rssMib();
        }
        return new BenchCommand.Usage(BenchCommand.perTask(before.overseerTicks(), after.overseerTicks(), tasks),
                BenchCommand.perTask(before.workerTicks(), after.workerTicks(), tasks),
                overseerRss, workerRss, workerPids.size(), overseers.loads(before.overseers(), tasks));
    }
}
