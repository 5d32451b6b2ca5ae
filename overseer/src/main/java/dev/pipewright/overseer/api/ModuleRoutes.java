package dev.pipewright.overseer.api;

import dev.pipewright.infra.module.ModuleArchive;
import dev.pipewright.overseer.modules.ModuleStore;
import dev.pipewright.protocol.module.ModuleNames;
import dev.pipewright.protocol.pipeline.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.pipewright.overseer.api.Requests.json;

/**
 * Uploaded modules ({@code /api/v1/modules}, docs/modules.md): upload a Python file or an archive
 * as the next version of a name, list, read, download, delete. Reading needs {@code read};
 * uploading and deleting {@code developer} (and the name's owner, or an admin).
 */
public final class ModuleRoutes implements Routes {
    /** The largest module accepted by default ({@code PW_MAX_MODULE_BYTES}). */
    public static final long DEFAULT_MAX_MODULE_BYTES = 16L * 1024 * 1024;
    private static final int MAX_DESCRIPTION = 1000;

    private final ModuleStore store;
    private final long maxBytes;
    private final ModuleArchive.Limits limits;
    private final ProcessorNames processors;

    /** Whether a name is a processor some worker announced (a module of that name would never run under its plain name). */
    public interface ProcessorNames {
        boolean isProcessor(String name) throws Exception;
    }

    public ModuleRoutes(ModuleStore store, long maxBytes, ModuleArchive.Limits limits) {
        this(store, maxBytes, limits, name -> false);
    }

    public ModuleRoutes(ModuleStore store, long maxBytes, ModuleArchive.Limits limits, ProcessorNames processors) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.limits = limits;
        this.processors = processors;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("uploadModule", this::upload);
        ops.put("listModules", this::list);
        ops.put("getModule", this::get);
        ops.put("deleteModule", this::delete);
        ops.put("listModuleVersions", ctx -> json(ctx, 200, Map.of("name", name(ctx), "versions", versions(name(ctx)))));
        ops.put("getModuleContent", this::content);
        ops.put("deleteModuleVersion", this::deleteVersion);
        return ops;
    }

    private void upload(RoutingContext ctx) throws Exception {
        String name = ctx.pathParam("name");
        String problem = ModuleNames.problem(name);
        if (problem != null) {
            throw ApiException.badRequest(problem, "name");
        }
        String type = ApiContract.baseType(ctx.request().getHeader("Content-Type"));
        String kind = type == null || type.isEmpty() ? ModuleArchive.PYTHON : ModuleArchive.kindOf(type);
        if (kind == null) {
            throw new ApiException(415, "unsupported_media_type", "Content-Type '" + type + "' is not a module: send text/x-python (one"
                    + " file), application/zip or application/gzip (a .tar.gz)", List.of(new Problem("Content-Type", "not a module type")));
        }
        Buffer body = ctx.get(Requests.BODY);
        byte[] content = body == null ? new byte[0] : body.getBytes();
        if (content.length == 0) {
            throw ApiException.badRequest("the body is empty: send the module file or archive", "body");
        }
        if (content.length > maxBytes) {
            throw new ApiException(413, "module_too_large", "the module is " + content.length + " bytes; at most " + maxBytes
                    + " are taken (PW_MAX_MODULE_BYTES)", List.of(new Problem("body", "larger than " + maxBytes + " bytes")));
        }
        String entry = ctx.queryParams().get("entry");
        String description = ctx.queryParams().get("description");
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw ApiException.badRequest("description is longer than " + MAX_DESCRIPTION + " characters", "description");
        }
        ModuleArchive.Inspection inspection;
        try {
            inspection = ModuleArchive.inspect(name, kind, content, entry == null || entry.isBlank() ? null : entry.trim(), limits);
        } catch (ModuleArchive.Refused r) {
            String at = r.location() == null ? "body" : r.location().equals("entry") ? "entry" : "body: " + r.location();
            throw ApiException.badRequest("invalid_module", "the module cannot be stored: " + r.getMessage(), List.of(new Problem(at, r.getMessage())));
        }
        if (store.owner(name) == null && processors.isProcessor(name)) {
            // a plain processor name resolves to the registered processor first: such a module would only run as name@N
            throw new ApiException(409, "processor_name", "'" + name + "' is the name of a processor workers serve; give the module"
                    + " another name", List.of(new Problem("name", "a processor workers serve")));
        }
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        String who = Requests.owner(ctx);
        ModuleStore.Version meta = new ModuleStore.Version(name, 0, digest, content.length, kind, inspection.entry(),
                Instant.now().toString(), who, description);
        ModuleStore.Put put;
        try {
            put = store.put(meta, content, who, AuthHandler.principal(ctx).isAdmin());
        } catch (ModuleStore.NotOwner e) {
            throw ApiException.forbidden("module '" + name + "' belongs to '" + e.owner + "': only they or an admin upload versions of it", "name");
        }
        json(ctx, put.created() ? 201 : 200, put.version());
    }

    private void list(RoutingContext ctx) throws Exception {
        int size = Requests.pageSize(ctx);
        String after = Requests.pageAfter(ctx);
        if (after != null && ModuleNames.problem(after) != null) {
            throw ApiException.badRequest("page_after: '" + after + "' is not a cursor of this listing (use next_page_after of the page before)",
                    "page_after");
        }
        List<String> names = store.names(after, size + 1);
        List<ModuleStore.Version> out = new ArrayList<>();
        for (String n : names.subList(0, Math.min(size, names.size()))) {
            ModuleStore.Version v = store.version(n, null);
            if (v != null) {
                out.add(v);
            }
        }
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("modules", out);
        page.put("next_page_after", names.size() > size ? names.get(size - 1) : null);
        json(ctx, 200, page);
    }

    private void get(RoutingContext ctx) throws Exception {
        String name = name(ctx);
        List<ModuleStore.Version> versions = versions(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("owner", store.owner(name));
        out.put("latest", versions.get(versions.size() - 1));
        out.put("versions", versions);
        json(ctx, 200, out);
    }

    private void content(RoutingContext ctx) throws Exception {
        ModuleStore.Version v = version(ctx);
        byte[] bytes = store.content(v);
        if (bytes == null) {
            throw ApiException.notFound("the content of module '" + v.name() + "' version " + v.version() + " is gone");
        }
        String type = switch (v.kind()) {
            case ModuleArchive.ZIP -> "application/zip";
            case ModuleArchive.TAR_GZ -> "application/gzip";
            default -> "text/x-python";
        };
        String file = v.kind().equals(ModuleArchive.PYTHON) ? v.entry() : v.name() + "." + (v.kind().equals(ModuleArchive.ZIP) ? "zip" : "tar.gz");
        ctx.response().setStatusCode(200).putHeader("Content-Type", type).putHeader("X-Pipewright-Digest", "sha256:" + v.digest())
                .putHeader("Content-Disposition", "attachment; filename=\"" + file + "\"").end(Buffer.buffer(bytes));
    }

    private void delete(RoutingContext ctx) throws Exception {
        String name = name(ctx);
        List<ModuleStore.Version> versions = versions(name);
        mayChange(ctx, name);
        long[] d = store.delete(name, versions);
        json(ctx, 200, deleted(name, null, d));
    }

    private void deleteVersion(RoutingContext ctx) throws Exception {
        ModuleStore.Version v = version(ctx);
        mayChange(ctx, v.name());
        long[] d = store.delete(v.name(), List.of(v));
        json(ctx, 200, deleted(v.name(), v.version(), d));
    }

    private static Map<String, Object> deleted(String name, Integer version, long[] d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        if (version != null) {
            out.put("version", version);
        }
        out.put("deleted", d[0]);
        out.put("latest_version", d[1] == 0 ? null : d[1]);
        return out;
    }

    private void mayChange(RoutingContext ctx, String name) throws Exception {
        String owner = store.owner(name);
        var who = AuthHandler.principal(ctx);
        if (owner != null && !owner.equals(who.owner()) && !who.isAdmin()) {
            throw ApiException.forbidden("module '" + name + "' belongs to '" + owner + "': only they or an admin delete it", "name");
        }
    }

    private String name(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (ModuleNames.problem(name) != null) {
            throw ApiException.notFound("no module '" + name + "'");
        }
        return name;
    }

    private List<ModuleStore.Version> versions(String name) throws Exception {
        List<ModuleStore.Version> versions = store.versions(name);
        if (versions.isEmpty()) {
            throw ApiException.notFound("no module '" + name + "'");
        }
        return versions;
    }

    private ModuleStore.Version version(RoutingContext ctx) throws Exception {
        String name = name(ctx);
        int n = parseVersion(ctx.pathParam("version"));
        ModuleStore.Version v = store.version(name, n);
        if (v == null) {
            versions(name); // 404 for the module first
            throw ApiException.notFound("module '" + name + "' has no version " + n);
        }
        return v;
    }

    private static int parseVersion(String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiException.badRequest("version: '" + text + "' is not a version number (1, 2, ...)", "version");
    }
}
