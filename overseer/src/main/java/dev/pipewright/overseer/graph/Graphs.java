package dev.pipewright.overseer.graph;

import dev.pipewright.overseer.jobs.JobReader;
import dev.pipewright.overseer.jobs.JobView;
import dev.pipewright.overseer.jobs.TaskRow;
import dev.pipewright.overseer.pipelines.PipelineStore;
import dev.pipewright.overseer.pipelines.StoredPipeline;
import dev.pipewright.protocol.graph.ExecutionPlan;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.graph.PlanView;
import dev.pipewright.protocol.keys.JobId;
import dev.pipewright.protocol.pipeline.DataNode;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.RetryPolicy;
import dev.pipewright.protocol.render.GraphView;
import dev.pipewright.protocol.state.TaskState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The graphs the API draws: a pipeline (optionally marked with a plan) and a job coloured by its task states. */
public final class Graphs {
    private final PipelineStore pipelines;
    private final JobReader jobs;

    public Graphs(PipelineStore pipelines, JobReader jobs) {
        this.pipelines = pipelines;
        this.jobs = jobs;
    }

    /** The pipeline's graph; marked with the plan for {@code outputs} and {@code available} when either is given. */
    public static GraphView pipeline(StoredPipeline p, List<String> outputs, List<String> available) {
        String title = p.id() + " v" + p.version();
        if (outputs.isEmpty() && available.isEmpty()) {
            return GraphView.of(title, p.graph());
        }
        return GraphView.of(title, p.graph(), PlanView.of(p.graph(), outputs, available).toPlan(), Map.of());
    }

    /** The job's pipeline version, its pruned nodes greyed and its tasks coloured by state; null when there is no such job. */
    public GraphView job(JobId id) throws Exception {
        JobView view = jobs.get(id, true);
        if (view == null) {
            return null;
        }
        String pipelineId = String.valueOf(view.pipelineId());
        int version = view.pipelineVersion();
        // the version the job ran, even when the pipeline was deleted since (its versions stay for its jobs)
        StoredPipeline p = pipelines.findForJob(pipelineId, version);
        String note = "";
        if (p == null) {
            // not stored (deleted before versions were kept): draw what the job's own tasks record
            p = fromTasks(pipelineId, version, jobs.layout(id));
            note = " (pipeline version not stored: drawn from the job's tasks)";
        }
        Map<String, TaskState> states = new LinkedHashMap<>();
        List<String> run = new ArrayList<>();
        for (TaskRow task : view.tasks()) {
            String node = task.node();
            run.add(node);
            TaskState state = state(task.status());
            if (state != null) {
                states.put(node, state);
            }
        }
        Set<String> running = Set.copyOf(run);
        List<String> pruned = p.graph().topologicalOrder().stream().filter(n -> !running.contains(n)).toList();
        ExecutionPlan plan = new ExecutionPlan(run, pruned, List.of(), Map.of());
        return GraphView.of("job " + id.value() + " · " + p.id() + " v" + p.version() + " · " + view.status() + note, p.graph(), plan, states);
    }

    /** A stand-in pipeline made of the job's tasks: their processors, pools and data nodes (pruned nodes are unknown). */
    private static StoredPipeline fromTasks(String pipelineId, int version, List<JobReader.TaskLayout> tasks) {
        Map<String, DataNode> data = new LinkedHashMap<>();
        Map<String, ProcessNode> process = new LinkedHashMap<>();
        for (JobReader.TaskLayout t : tasks) {
            t.inputs().forEach(n -> data.putIfAbsent(n, new DataNode(n, null)));
            t.outputs().forEach(n -> data.putIfAbsent(n, new DataNode(n, null)));
            process.put(t.node(), new ProcessNode(t.node(), t.inputs(), t.outputs(), t.processor(), Map.of(), t.pool(), null, null, null,
                    RetryPolicy.NONE));
        }
        Pipeline pipeline = new Pipeline(pipelineId, null, data, process, Map.of(), null, null, List.of());
        return new StoredPipeline(pipelineId, version, pipeline, new PipelineGraph(pipeline), "", 0);
    }

    private static TaskState state(Object status) {
        if (status == null) {
            return null;
        }
        try {
            return TaskState.valueOf(status.toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
