package dev.pipewright.infra.state;

import java.util.ArrayList;
import java.util.List;

/**
 * A concurrency slot a shard script asks its caller to take ({@code take}, with the wait score that
 * orders it among the waiting: priority, then age) or give back, in the {@code {limits}} slot (see
 * lib.lua's SLOTS and limits.lua). {@code kind} is {@code processor} (member
 * {@code <shard>|<job>|<node>}) or {@code pipeline} (member {@code <shard>|<job>}).
 */
public record SlotRequest(boolean take, String kind, String name, String member, String score) {

    public static SlotRequest giveBack(String kind, String name, String member) {
        return new SlotRequest(false, kind, name, member, "");
    }

    /** The shard of the task or job that holds or waits for the slot. */
    public int shard() {
        return Integer.parseInt(member.substring(0, member.indexOf('|')));
    }

    /**
     * Parses {@code a|<kind>|<name>|<member>|<score>} and {@code r|<kind>|<name>|<member>}, joined by
     * {@code ;}. Kinds and names have no {@code |} (names are checked at the API), members do.
     */
    public static List<SlotRequest> parse(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        List<SlotRequest> out = new ArrayList<>();
        for (String item : text.split(";")) {
            String[] p = item.split("\\|", 3);
            if (p.length < 3) {
                throw new IllegalArgumentException("malformed slot request '" + item + "'");
            }
            String rest = p[2];
            int bar = rest.indexOf('|');
            String name = rest.substring(0, bar);
            String member = rest.substring(bar + 1);
            if (p[0].equals("a")) {
                int last = member.lastIndexOf('|');
                out.add(new SlotRequest(true, p[1], name, member.substring(0, last), member.substring(last + 1)));
            } else {
                out.add(giveBack(p[1], name, member));
            }
        }
        return List.copyOf(out);
    }
}
