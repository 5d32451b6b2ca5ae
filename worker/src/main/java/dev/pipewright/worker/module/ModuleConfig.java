package dev.pipewright.worker.module;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether this worker runs uploaded modules and how ({@code docs/modules.md}):
 * {@code PW_MODULES} ({@code on}/{@code off}, default off), {@code PW_MODULE_CACHE} (where module
 * files and virtual environments are kept; default {@code <tmp>/pipewright-modules}),
 * {@code PW_PYTHON} (the interpreter modules and their environments use; default {@code python3}),
 * {@code PW_PIP_INDEX_URL} (given to pip as {@code --index-url}; unset: pip's own configuration).
 */
public record ModuleConfig(boolean enabled, Path cache, String python, String pipIndexUrl) {
    public static final ModuleConfig OFF = new ModuleConfig(false, defaultCache(), "python3", null);

    public static ModuleConfig from(Settings s) {
        String on = s.string("PW_MODULES", "off").toLowerCase(Locale.ROOT);
        boolean enabled = switch (on) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new ConfigException("PW_MODULES must be on or off, got '" + on + "'");
        };
        String cache = s.string("PW_MODULE_CACHE", null);
        String index = s.string("PW_PIP_INDEX_URL", null);
        if (index != null && !(index.startsWith("http://") || index.startsWith("https://") || index.startsWith("file:"))) {
            throw new ConfigException("PW_PIP_INDEX_URL must be an http(s):// or file: URL, got '" + index + "'");
        }
        return new ModuleConfig(enabled, cache == null ? defaultCache() : Path.of(cache).toAbsolutePath(), s.string("PW_PYTHON", "python3"),
                index);
    }

    private static Path defaultCache() {
        return Path.of(System.getProperty("java.io.tmpdir"), "pipewright-modules");
    }
}
