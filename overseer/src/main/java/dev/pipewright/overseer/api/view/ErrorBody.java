package dev.pipewright.overseer.api.view;

import dev.pipewright.protocol.pipeline.Problem;

import java.util.List;

/** Every failed request's body: {@code {"error": {"code", "message", "problems": [{"path", "message"}]}}}. */
public record ErrorBody(Detail error) {
    public static ErrorBody of(String code, String message, List<Problem> problems) {
        return new ErrorBody(new Detail(code, message, problems));
    }

    public record Detail(String code, String message, List<Problem> problems) {
    }
}
