package dev.pipewright.worker.module;

import dev.pipewright.infra.module.ModuleArchive;
import dev.pipewright.protocol.keys.Keys;
import dev.pipewright.protocol.message.ModuleRef;
import dev.pipewright.worker.exec.ExecCommand;
import dev.pipewright.worker.exec.ExecProcessor;
import dev.pipewright.worker.processor.Processor;
import dev.pipewright.worker.processor.TaskContext;
import dev.pipewright.worker.processor.TaskFailure;
import dev.pipewright.worker.processor.TaskLog;
import dev.pipewright.worker.processor.TaskResult;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs uploaded modules: fetches a module's content from Redis by its digest (once per machine:
 * kept under {@code <cache>/modules/<digest>}, checked against the digest, unpacked with the same
 * safety checks as at upload), builds the virtual environment its requirements name
 * ({@link Venvs}), and runs its entry file with that environment's Python through an
 * {@link ExecProcessor}: the exec contract exactly (own process group, cancel and timeout reach
 * it, stdout and stderr as the task's log, inputs and outputs as files).
 */
public final class ModuleRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleRunner.class);

    private final ModuleConfig config;
    private final Keys keys;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;
    private final Venvs venvs;
    private final ModuleArchive.Limits limits;
    private final PythonHelper helper;

    public ModuleRunner(ModuleConfig config, Keys keys, RedisClusterAsyncCommands<byte[], byte[]> redis) {
        this.config = config;
        this.keys = keys;
        this.redis = redis;
        this.venvs = new Venvs(config.cache().resolve("venvs"), config.python(), config.pipIndexUrl());
        this.limits = ModuleArchive.Limits.DEFAULTS;
        this.helper = new PythonHelper(config.cache());
    }

    /** The processor that runs this module version. */
    public Processor processorFor(ModuleRef ref) {
        return new Processor() {
            @Override
            public String name() {
                return ref.name() + "@" + ref.version();
            }

            @Override
            public TaskResult process(TaskContext ctx) throws Exception {
                return run(ref, ctx);
            }
        };
    }

    private TaskResult run(ModuleRef ref, TaskContext ctx) throws Exception {
        Path dir = unpacked(ref);
        String python = ref.requirements().isEmpty() ? config.python() : venvs.python(ref.requirements(), ctx.log()).toString();
        Path entry = dir.resolve(ref.entry()).normalize();
        if (!entry.startsWith(dir) || !Files.isRegularFile(entry)) {
            throw TaskFailure.permanent("module " + ref.name() + "@" + ref.version() + " has no entry file '" + ref.entry() + "'");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PW_MODULE", ref.name());
        env.put("PW_MODULE_VERSION", Integer.toString(ref.version()));
        env.put("PW_MODULE_DIR", dir.toString());
        // its own files import from the top of the module (the entry's directory is on sys.path anyway),
        // then the pipewright package the worker carries (`from pipewright import processor`);
        // no .pyc written into the cache several attempts share
        env.put("PYTHONPATH", dir + java.io.File.pathSeparator + helper.path());
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONUNBUFFERED", "1");
        ExecCommand command = new ExecCommand(ref.name() + "@" + ref.version(), List.of(python, entry.toString()), dir, env, null, Set.of());
        return new ExecProcessor(command).process(ctx);
    }

    /** The module's files, fetched and unpacked once per machine (a complete directory is renamed into place). */
    Path unpacked(ModuleRef ref) throws Exception {
        if (!ref.digest().matches("[0-9a-f]{64}")) {
            throw TaskFailure.permanent("module " + ref.name() + ": '" + ref.digest() + "' is not a SHA-256 digest");
        }
        Path modules = config.cache().resolve("modules");
        Path dir = modules.resolve(ref.digest());
        if (Files.isDirectory(dir)) {
            return dir;
        }
        byte[] content = redis.get(keys.moduleContent(ref.name(), ref.digest()).getBytes(StandardCharsets.UTF_8))
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        if (content == null) {
            throw TaskFailure.permanent("module " + ref.name() + "@" + ref.version() + " (sha256 " + ref.digest()
                    + ") is no longer stored: it was deleted (a deleted version's content is kept 7 days for the jobs that pinned it)");
        }
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        if (!digest.equals(ref.digest())) {
            throw TaskFailure.permanent("module " + ref.name() + "@" + ref.version() + ": the stored content has digest " + digest
                    + ", not " + ref.digest());
        }
        Files.createDirectories(modules);
        Path tmp = modules.resolve(".unpack-" + ref.digest() + "-" + UUID.randomUUID());
        Files.createDirectory(tmp);
        try {
            ModuleArchive.unpack(ref.name(), ref.kind(), content, tmp, limits);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the module cache " + modules + " cannot rename directories atomically", e);
            } catch (IOException e) {
                // another attempt or worker on this host renamed the same content into place first (Linux
                // answers ENOTEMPTY, which the JDK reports as a plain FileSystemException under ATOMIC_MOVE)
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
            }
        } catch (ModuleArchive.Refused r) {
            throw TaskFailure.permanent("module " + ref.name() + "@" + ref.version() + " cannot be unpacked: "
                    + (r.location() == null ? "" : r.location() + ": ") + r.getMessage());
        } finally {
            deleteTree(tmp);
        }
        LOG.info("module {}@{} ({}) unpacked into {}", ref.name(), ref.version(), ref.digest(), dir);
        return dir;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** For a log line that is not the module's own. */
    static void note(TaskLog log, String text) {
        log.line("[pipewright] " + text);
    }
}
