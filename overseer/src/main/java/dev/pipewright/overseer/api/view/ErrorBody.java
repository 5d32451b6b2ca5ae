package dev.pipewright.overseer.api.view;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/**
 * Every failed request's body: {@code {"error": {"code", "message", "problems": [{"path", "message"}]}}},
 * with {@code more_problems} (how many were found but not listed) when there were more than an
 * answer lists ({@code PW_MAX_PROBLEMS}).
 */
public record ErrorBody(Detail error) {
    public static ErrorBody of(String code, String message, List<Problem> problems) {
        return of(code, message, problems, Integer.MAX_VALUE);
    }

    /** At most {@code maxProblems} problems, the first found; the rest counted. */
    public static ErrorBody of(String code, String message, List<Problem> problems, int maxProblems) {
        return new ErrorBody(new Detail(code, message, ProblemList.first(problems, maxProblems), ProblemList.more(problems, maxProblems)));
    }

    public record Detail(String code, String message, List<Problem> problems,
                         @JsonProperty("more_problems") @JsonInclude(JsonInclude.Include.NON_NULL) Integer moreProblems) {
    }
}
