package dev.pipewright.overseer.modules;

import dev.pipewright.infra.config.Settings;
import dev.pipewright.infra.module.ModuleArchive;

/**
 * How large an uploaded module may be: {@code PW_MAX_MODULE_BYTES} (the file or archive, default
 * 16 MiB; the request body cap {@code PW_MAX_BODY_BYTES} applies first), and for an archive
 * {@code PW_MAX_MODULE_ENTRIES} (default 10,000) and {@code PW_MAX_MODULE_UNPACKED_BYTES} (default
 * 256 MiB, counted while reading, so a zip bomb stops there).
 */
public record ModuleLimits(long maxBytes, ModuleArchive.Limits archive) {
    public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

    public static ModuleLimits from(Settings s) {
        int max = s.integer("PW_MAX_MODULE_BYTES", DEFAULT_MAX_BYTES, 1, Integer.MAX_VALUE);
        int entries = s.integer("PW_MAX_MODULE_ENTRIES", ModuleArchive.Limits.DEFAULTS.maxEntries(), 1, 1_000_000);
        int unpacked = s.integer("PW_MAX_MODULE_UNPACKED_BYTES", (int) ModuleArchive.Limits.DEFAULTS.maxUnpackedBytes(), 1, Integer.MAX_VALUE);
        return new ModuleLimits(max, new ModuleArchive.Limits(entries, unpacked));
    }
}
