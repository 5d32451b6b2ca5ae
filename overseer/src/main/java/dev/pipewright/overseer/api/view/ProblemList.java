package dev.pipewright.overseer.api.view;

import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/** A list of problems cut to what one answer lists ({@code PW_MAX_PROBLEMS}): the first ones, and a count of the rest. */
public final class ProblemList {
    private ProblemList() {
    }

    public static List<Problem> first(List<Problem> problems, int max) {
        return problems.size() <= max ? problems : List.copyOf(problems.subList(0, max));
    }

    /** How many were left out, or null when none were (the field is then absent). */
    public static Integer more(List<Problem> problems, int max) {
        return problems.size() <= max ? null : problems.size() - max;
    }
}
