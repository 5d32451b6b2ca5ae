package dev.pipewright.cli;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @Test
    void aSingleJobShapesJsonLineHasTheUsualFieldsAndUsage() {
        BenchCommand.Result r = new BenchCommand.Result("W2", 1000, 2.5, 400, 1.23456, 2.0, true, "", null,
                new BenchCommand.Usage(0.123456, 0.5, 300.04, 600.0, 2, List.of()), 0.8);
        Map<String, Object> m = r.json();
        assertEquals(List.of("shape", "tasks", "wall_s", "tasks_per_s", "hop_ms_p50", "hop_ms_p99", "overseer_cpu_ms_per_task",
                "worker_cpu_ms_per_task", "overseer_rss_mib", "worker_rss_mib", "local_workers", "check_s", "correct"),
                new ArrayList<>(m.keySet()));
        assertEquals(1.235, m.get("hop_ms_p50"));
        assertEquals(0.1235, m.get("overseer_cpu_ms_per_task"));
        assertEquals(300.0, m.get("overseer_rss_mib"));
        assertEquals(2, m.get("local_workers"));
        assertTrue(r.human().contains("workers(2) 0.500 ms CPU/task"), r.human());
    }

    @Test
    void severalOverseersEachGetTheirEventsAndCpuPerTask() {
        List<OverseerLoads.Load> loads = List.of(new OverseerLoads.Load("http://a:8080", 5000L, 0.04321),
                new OverseerLoads.Load("http://b:8080", 4990L, null));
        BenchCommand.Result r = new BenchCommand.Result("W1", 10000, 2.5, 4000, null, null, true, "", null,
                new BenchCommand.Usage(0.1, 0.5, 300.0, 600.0, 2, loads), 0.8);
        Map<String, Object> m = r.json();
        assertEquals(List.of(Map.of("url", "http://a:8080", "events", 5000L, "cpu_ms_per_task", 0.0432),
                java.util.Arrays.asList("http://b:8080", 4990L, null)).get(0), ((List<?>) m.get("overseers")).get(0));
        assertTrue(r.human().contains("correct: yes\n    http://a:8080: 5000 events applied, 0.043 ms CPU/task"), r.human());
        assertTrue(r.human().contains("http://b:8080: 4990 events applied"), r.human());
    }

    @Test
    void anOverseersEventsAreSummedOverItsShards() {
        String metrics = "# HELP pipewright_shard_events_total x\n"
                + "pipewright_shard_events_total{shard=\"0\"} 120.0\n"
                + "pipewright_shard_events_total{shard=\"3\"} 30.0\n"
                + "pipewright_shard_served{overseer=\"a\",shard=\"0\"} 1.0\n";
        assertEquals(150.0, OverseerLoads.sumEvents(metrics));
    }

    @Test
    void usageIsNullWhenNothingRunsHere() {
        BenchCommand.Result r = new BenchCommand.Result("W1", 10, 1, 10, null, null, false, "job FAILED");
        Map<String, Object> m = r.json();
        for (String k : List.of("overseer_cpu_ms_per_task", "worker_cpu_ms_per_task", "overseer_rss_mib", "worker_rss_mib", "check_s")) {
            assertTrue(m.containsKey(k) && m.get(k) == null, k + " in " + m);
        }
        assertEquals(0, m.get("local_workers"));
        assertFalse(r.human().contains("CPU/task"));
    }

    @Test
    void w5AddsJobsRateAndSubmitLatency() {
        BenchCommand.Result r = new BenchCommand.Result("W5", 6000, 4.0, 1500, null, null, true, "",
                new BenchCommand.ManyJobs(2000, 500, 3.14159, 12.5), BenchCommand.Usage.NONE, 0.0);
        Map<String, Object> m = r.json();
        List<String> keys = new ArrayList<>(m.keySet());
        assertEquals(List.of("shape", "tasks", "wall_s", "tasks_per_s", "jobs", "jobs_per_s", "submit_ms_p50", "submit_ms_p99"),
                keys.subList(0, 8));
        assertEquals(2000, m.get("jobs"));
        assertEquals(3.142, m.get("submit_ms_p50"));
        assertNull(m.get("hop_ms_p50"));
        assertTrue(r.human().contains("jobs 2000  500.0 jobs/s"), r.human());
    }

    @Test
    void cpuPerTaskIsTheTickDeltaInMsOverTheTasks() {
        long tck = ProcStats.ticksPerSecond();
        assertEquals(1000.0 / 10, BenchCommand.perTask(5L, 5L + tck, 10), 1e-9);
        assertNull(BenchCommand.perTask(null, 5L, 10));
        assertNull(BenchCommand.perTask(5L, null, 10));
        assertNull(BenchCommand.perTask(9L, 5L, 10), "a restarted process counts from zero again");
        assertNull(BenchCommand.perTask(1L, 5L, 0));
    }
}
