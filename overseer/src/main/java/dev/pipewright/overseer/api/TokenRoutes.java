package dev.pipewright.overseer.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipewright.overseer.api.view.Listings;
import dev.pipewright.overseer.auth.AccessPolicy;
import dev.pipewright.overseer.auth.Principal;
import dev.pipewright.overseer.auth.Role;
import dev.pipewright.overseer.auth.TokenInfo;
import dev.pipewright.overseer.auth.TokenView;
import dev.pipewright.overseer.auth.Tokens;
import dev.pipewright.protocol.pipeline.Problem;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static dev.pipewright.overseer.api.Requests.json;

/**
 * The token endpoints (admin only, see {@link AccessPolicy}): {@code POST /api/v1/tokens} makes one
 * and shows its secret once, {@code GET} lists them without secrets, {@code DELETE /{id}} revokes.
 */
public final class TokenRoutes implements Routes {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
    private static final Set<String> FIELDS = Set.of("name", "role", "owner");

    private final Tokens tokens;
    private final Consumer<String> onRevoke;

    public TokenRoutes(Tokens tokens, Consumer<String> onRevoke) {
        this.tokens = tokens;
        this.onRevoke = onRevoke;
    }

    @Override
    public Map<String, HttpApi.Handler> operations() {
        Map<String, HttpApi.Handler> ops = new LinkedHashMap<>();
        ops.put("createToken", ctx -> json(ctx, 201, create(Requests.jsonBody(ctx), AuthHandler.principal(ctx))));
        ops.put("listTokens", ctx -> json(ctx, 200, list()));
        ops.put("revokeToken", ctx -> json(ctx, 200, revoke(ctx.pathParam("id"))));
        return ops;
    }

    /** Body {@code {name, role, owner}}; owner defaults to name. Answers the record with {@code token}, the secret. */
    public TokenView create(JsonNode body, Principal by) throws Exception {
        List<Problem> problems = new ArrayList<>();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                problems.add(new Problem(f, "unknown field; expected one of " + FIELDS.stream().sorted().toList()));
            }
        }
        String name = text(body, "name", problems);
        String owner = text(body, "owner", problems);
        String roleText = text(body, "role", problems);
        if (name == null) {
            problems.add(new Problem("name", "missing: a label for the token, e.g. ci-nightly"));
        } else if (!NAME.matcher(name).matches()) {
            problems.add(new Problem("name", "'" + name + "' is not valid: 1-64 letters, digits, '_', '.', '@', '-'"));
        }
        if (owner != null && !NAME.matcher(owner).matches()) {
            problems.add(new Problem("owner", "'" + owner + "' is not valid: 1-64 letters, digits, '_', '.', '@', '-'"));
        }
        Role role = Role.parse(roleText);
        if (roleText == null) {
            problems.add(new Problem("role", "missing: one of read, submit, developer, admin"));
        } else if (role == null) {
            problems.add(new Problem("role", "unknown role '" + roleText + "': expected read, submit, developer or admin"));
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", "the token request has " + problems.size() + " problem(s)", problems);
        }
        Tokens.Created c = tokens.create(name, owner == null ? name : owner, role, by.owner());
        return TokenView.created(c);
    }

    public Listings.Tokens list() throws Exception {
        List<TokenView> out = new ArrayList<>();
        for (Map.Entry<TokenInfo, Instant> e : tokens.list()) {
            out.add(TokenView.of(e.getKey(), e.getValue()));
        }
        return new Listings.Tokens(out);
    }

    public TokenView.Revoked revoke(String id) throws Exception {
        if (Tokens.ENV_ADMIN_ID.equals(id)) {
            throw ApiException.conflict("token " + id + " is the PW_ADMIN_TOKEN setting; change or remove the setting and restart the overseer");
        }
        if (!tokens.revoke(id)) {
            throw ApiException.notFound("no token '" + id + "'");
        }
        onRevoke.accept(id);
        return new TokenView.Revoked(id, true);
    }

    private static String text(JsonNode body, String field, List<Problem> problems) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            problems.add(new Problem(field, "expected text"));
            return null;
        }
        return n.asText().isBlank() ? null : n.asText().trim();
    }
}
