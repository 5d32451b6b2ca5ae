package dev.pipewright.it.support;

import java.util.Map;

/** Reads samples out of Prometheus text. */
public final class Metrics {
    private Metrics() {
    }

    /**
     * The sum of the samples of {@code name} whose labels include all of {@code labels}; 0 when
     * there is none (a counter that was never incremented is not exported).
     */
    public static double value(String text, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            String labelText = "";
            if (rest.startsWith("{")) {
                int end = rest.indexOf('}');
                labelText = rest.substring(1, end);
                rest = rest.substring(end + 1);
            } else if (!rest.startsWith(" ")) {
                continue; // another metric whose name starts with this one
            }
            boolean all = true;
            for (Map.Entry<String, String> l : labels.entrySet()) {
                if (!labelText.contains(l.getKey() + "=\"" + l.getValue() + "\"")) {
                    all = false;
                    break;
                }
            }
            if (all) {
                sum += Double.parseDouble(rest.trim().split(" ")[0]);
            }
        }
        return sum;
    }

    public static double value(String text, String name) {
        return value(text, name, Map.of());
    }
}
