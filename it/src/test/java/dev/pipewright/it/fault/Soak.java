package dev.pipewright.it.fault;

/**
 * How much longer than in CI the fault tests run: {@code -Dpipewright.soak=N} multiplies their
 * jobs and faults by N (README: "Soak").
 */
final class Soak {
    private Soak() {
    }

    static int factor() {
        String v = System.getProperty("pipewright.soak", "1").trim();
        try {
            return Math.max(1, Integer.parseInt(v.isEmpty() ? "1" : v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dpipewright.soak must be a whole number, not '" + v + "'");
        }
    }

    static int times(int n) {
        return n * factor();
    }
}
