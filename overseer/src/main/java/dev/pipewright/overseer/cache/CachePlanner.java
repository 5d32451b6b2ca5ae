package dev.pipewright.overseer.cache;

import dev.pipewright.protocol.cache.CacheEntry;
import dev.pipewright.protocol.cache.CacheKey;
import dev.pipewright.protocol.cache.CacheSpec;
import dev.pipewright.protocol.graph.PipelineGraph;
import dev.pipewright.protocol.message.ModuleRef;
import dev.pipewright.protocol.message.TaskSpec;
import dev.pipewright.protocol.pipeline.CachePolicy;
import dev.pipewright.protocol.pipeline.Pipeline;
import dev.pipewright.protocol.pipeline.ProcessNode;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Resolves memoised results for one job (at submit) or one plan, the same way for both, so that
 * what the plan says is what the job does. Walking the nodes in execution order, a node with
 * {@code cache:} gets its key when the digest of every input is known: a job input (its value is
 * given or read from its source), or an output of an upstream node that is itself taken from the
 * cache (the entry keeps its outputs' digests). Its result is then available when an entry is
 * stored under that key; the job takes it (the task is created CACHED) unless the job asked
 * {@code cache: false} or names the node in {@code refresh}. Every ancestor of a node taken from the
 * cache is itself taken from it, so nothing upstream of a hit runs for it. A node downstream of one
 * that runs has no key before the run: it is dispatched, and its worker looks the key up when it has
 * read the inputs (so the plan's "will run" may still end CACHED, never the other way round).
 * <p>
 * A node is never taken from the cache (it runs, and stores a fresh entry) when an output has a
 * {@code source} (the copy into the data store happens after a run), and never has a key when no
 * worker announced its processor or its processor is not deterministic.
 */
public final class CachePlanner {
    public static final String AVAILABLE = "available";
    public static final String NOT_AVAILABLE = "n/a";
    public static final String NO_CACHE = "no_cache";
    public static final String HEAD = "head";
    public static final String WILL_RUN = "will_run";
    public static final String NO_RUN = "no_run";

    private CachePlanner() {
    }

    /** What the job asks of the cache: whether to take hits at all, and nodes to run regardless. */
    public record Choice(boolean use, Set<String> refresh) {
        public static final Choice DEFAULT = new Choice(true, Set.of());

        public Choice {
            refresh = refresh == null ? Set.of() : Set.copyOf(refresh);
        }
    }

    /**
     * One node as the plan shows it (seed 001's view): {@code availability} {@link #AVAILABLE}, {@link #NOT_AVAILABLE}
     * or {@link #NO_CACHE}; {@code execution} {@link #HEAD} (it runs and writes a wanted output or one no node reads),
     * {@link #WILL_RUN} or {@link #NO_RUN} (taken from the cache, or pruned); {@code key} when computable and
     * {@code cachedFrom} the job of the entry found.
     */
    public record NodeView(String node, String availability, String execution, String key, String cachedFrom) {
    }

    /**
     * @param specs the cache pins of every node with {@code cache:} whose processor may be memoised (written into its task spec)
     * @param hits the nodes the job takes from the cache, with their entries
     * @param view every process node in execution order
     */
    public record Resolution(Map<String, CacheSpec> specs, Map<String, CacheEntry> hits, List<NodeView> view) {
        public static final Resolution NONE = new Resolution(Map.of(), Map.of(), List.of());
    }

    /** Entries by key: the store, or a map in tests. */
    public interface Lookup {
        CacheEntry get(String key) throws Exception;
    }

    /** Whether any of these nodes declares {@code cache:} (a job of none costs no Redis call and no digest). */
    public static boolean anyCached(Pipeline pipeline, Collection<String> nodes) {
        for (String n : nodes) {
            ProcessNode p = pipeline.processNodes().get(n);
            if (p != null && p.cache() != null) {
                return true;
            }
        }
        return false;
    }

    /** {@code processNodes.x.cache} problems: cache on a node whose processor workers announced as non-deterministic. */
    public static List<Problem> nonDeterministic(Pipeline pipeline, Map<String, CacheStore.ProcessorInfo> processors) {
        List<Problem> out = new ArrayList<>();
        pipeline.processNodes().forEach((name, p) -> {
            CacheStore.ProcessorInfo info = p.cache() == null ? null : processors.get(p.processor());
            if (info != null && !info.deterministic()) {
                out.add(new Problem("processNodes." + name + ".cache", "processor '" + p.processor()
                        + "' is declared non-deterministic by the workers that serve it: its results cannot be memoised"));
            }
        });
        return out;
    }

    /**
     * @param order every process node in execution order
     * @param run the nodes the job runs (the others are pruned)
     * @param specOf a node's task spec as the job would store it (its effective config)
     * @param inputs the values of the job inputs known now
     * @param params the job's parameters
     * @param modules the module each module node runs (its pinned digest is its version)
     */
    public static Resolution resolve(String pipelineId, Pipeline pipeline, PipelineGraph graph, List<String> order, Collection<String> run,
                                     Function<String, TaskSpec> specOf, Map<String, byte[]> inputs, Map<String, Object> params,
                                     Map<String, CacheStore.ProcessorInfo> processors, Map<String, ModuleRef> modules,
                                     Choice choice, Set<String> wanted, Lookup lookup) throws Exception {
        Set<String> running = Set.copyOf(run);
        Map<String, String> digests = new HashMap<>();
        inputs.forEach((node, value) -> digests.put(node, CacheKey.sha256(value)));
        Map<String, CacheSpec> specs = new LinkedHashMap<>();
        Map<String, CacheEntry> hits = new LinkedHashMap<>();
        List<NodeView> view = new ArrayList<>();
        String paramsDigest = null;
        for (String node : order) {
            ProcessNode p = pipeline.processNodes().get(node);
            CachePolicy policy = p.cache();
            String availability = NO_CACHE;
            String key = null;
            CacheEntry entry = null;
            if (policy != null) {
                ModuleRef module = modules.get(node);
                CacheStore.ProcessorInfo info = processors.get(p.processor());
                String version = module != null ? "module:" + module.digest() : info == null ? null : info.version();
                boolean memoisable = module != null || (info != null && info.deterministic());
                if (memoisable) {
                    availability = NOT_AVAILABLE;
                    TaskSpec spec = specOf.apply(node);
                    boolean withParams = CacheKey.usesParams(policy.key() == CachePolicy.Key.INPUTS_AND_PARAMS, spec.config());
                    if (withParams && paramsDigest == null) {
                        paramsDigest = CacheKey.paramsDigest(params);
                    }
                    CacheSpec pins = new CacheSpec(version, withParams ? paramsDigest : null, policy.ttl().toSeconds(), pipelineId,
                            choice.use() && !choice.refresh().contains(node));
                    specs.put(node, pins);
                    List<String> inDigests = new ArrayList<>();
                    for (String in : spec.inputs()) {
                        String d = digests.get(in);
                        if (d == null) {
                            inDigests = null;
                            break;
                        }
                        inDigests.add(d);
                    }
                    if (inDigests != null) {
                        key = CacheKey.of(spec, version, inDigests, pins.params());
                        entry = lookup.get(key);
                        if (entry != null && entry.outputs().size() == spec.outputs().size()) {
                            availability = AVAILABLE;
                        } else {
                            entry = null;
                        }
                    }
                }
            }
            boolean runs = running.contains(node);
            // a node ordered after others (after:) is taken at submit only when they are too: else it
            // would end before they ran, and its children with it; its worker finds it once they have
            boolean take = entry != null && runs && choice.use() && !choice.refresh().contains(node) && !writesToSource(pipeline, p)
                    && hits.keySet().containsAll(graph.orderingParentsOf(node));
            if (take) {
                hits.put(node, entry);
                for (int i = 0; i < entry.outputs().size(); i++) {
                    digests.put(p.output().get(i), entry.outputs().get(i).digest());
                }
            }
            String execution = !runs || take ? NO_RUN : isHead(graph, node, running, wanted) ? HEAD : WILL_RUN;
            view.add(new NodeView(node, availability, execution, key, entry == null ? null : entry.job()));
        }
        return new Resolution(specs, hits, view);
    }

    /** Seed 001's marks for a node view: {@code [*] (H) name}. */
    public static String marks(String availability, String execution) {
        String a = switch (availability) {
            case AVAILABLE -> "[*]";
            case NOT_AVAILABLE -> "[ ]";
            default -> "[x]";
        };
        String e = switch (execution) {
            case HEAD -> "(H)";
            case WILL_RUN -> "(>)";
            default -> "( )";
        };
        return a + " " + e;
    }

    private static boolean writesToSource(Pipeline pipeline, ProcessNode p) {
        for (String out : p.output()) {
            if (out != null && pipeline.dataNodes().containsKey(out) && pipeline.dataNodes().get(out).source() != null) {
                return true;
            }
        }
        return false;
    }

    /** A node that writes a wanted output, or (every output wanted) one whose outputs no running node reads. */
    private static boolean isHead(PipelineGraph graph, String node, Set<String> running, Set<String> wanted) {
        ProcessNode p = graph.pipeline().processNodes().get(node);
        if (!wanted.isEmpty()) {
            return p.output().stream().anyMatch(wanted::contains);
        }
        return graph.childrenOf(node).stream().noneMatch(running::contains);
    }
}
