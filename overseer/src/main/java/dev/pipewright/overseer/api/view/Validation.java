package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/**
 * {@code POST /pipelines/validate}: whether the document is a valid pipeline, and what is wrong with
 * it: the first {@code PW_MAX_PROBLEMS} problems, and how many more there are ({@code more_problems}).
 */
public record Validation(boolean valid, List<Problem> problems,
                         @JsonProperty("more_problems") @JsonInclude(JsonInclude.Include.NON_NULL) Integer moreProblems) {
    public Validation(boolean valid, List<Problem> problems) {
        this(valid, problems, null);
    }

    public static Validation of(boolean valid, List<Problem> problems, int maxProblems) {
        return new Validation(valid, ProblemList.first(problems, maxProblems), ProblemList.more(problems, maxProblems));
    }
}
