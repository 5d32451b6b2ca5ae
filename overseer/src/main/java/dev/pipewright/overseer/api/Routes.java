package dev.pipewright.overseer.api;

import java.util.Map;

/** One resource's part of the API: its handlers by the contract's {@code operationId}. */
public interface Routes {
    Map<String, HttpApi.Handler> operations();
}
