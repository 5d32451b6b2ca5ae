package dev.pipewright.overseer.config;

import dev.pipewright.infra.config.ConfigException;
import dev.pipewright.infra.config.Settings;

/**
 * Bounds on what one client request may make the overseer hold, store or answer, each refused with
 * the API's error shape (never accepted and failed later):
 *
 * <ul>
 *   <li>{@code maxJobTasks} ({@code PW_MAX_JOB_TASKS}): tasks one job may run. A job runs one task per
 *       process node its plan keeps (there is no fan-out that multiplies them; a re-run's reused nodes
 *       count as they are written too), so a pipeline with more process nodes is refused when it is
 *       stored, and a job whose plan is larger when it is submitted.</li>
 *   <li>{@code maxProblems} ({@code PW_MAX_PROBLEMS}): problems one answer lists; the rest are only
 *       counted ({@code more_problems}).</li>
 *   <li>{@code maxParamBytes} ({@code PW_MAX_PARAM_BYTES}): the UTF-8 JSON size of one parameter value.</li>
 *   <li>{@code maxParamsBytes} ({@code PW_MAX_PARAMS_BYTES}): all of a job's parameter values together.</li>
 *   <li>{@code maxRequestLine} ({@code PW_MAX_REQUEST_LINE}): the HTTP request line (method, path and
 *       query); longer is 414.</li>
 *   <li>{@code maxHeaderBytes} ({@code PW_MAX_HEADER_BYTES}): all request headers together; more is 431.</li>
 * </ul>
 */
public record InputLimits(int maxJobTasks, int maxProblems, int maxParamBytes, int maxParamsBytes, int maxRequestLine,
                          int maxHeaderBytes) {
    /**
     * The largest standard benchmark shape (W1, 10,000 independent tasks) fits; a job of 65,000 tasks
     * held Redis for seconds and took the overseer's memory from 215 MiB to 1.4 GiB. The 100,000-task
     * benchmark (W1x10) needs {@code PW_MAX_JOB_TASKS=100000}.
     */
    public static final int DEFAULT_MAX_JOB_TASKS = 10_000;
    /** Enough to fix a document by; a client never needs thousands at once (a 2.8 MB document once answered 173,787). */
    public static final int DEFAULT_MAX_PROBLEMS = 100;
    /**
     * A parameter is a setting, not data (data goes in a job input): 1 MiB is far above any setting
     * and keeps one job's parameters a small Redis value that every attempt reads.
     */
    public static final int DEFAULT_MAX_PARAM_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_PARAMS_BYTES = 4 * 1024 * 1024;
    /** Vert.x's own defaults (4,096 and 8,192), which every client and proxy handles. */
    public static final int DEFAULT_MAX_REQUEST_LINE = 4096;
    public static final int DEFAULT_MAX_HEADER_BYTES = 8192;

    public static final InputLimits DEFAULTS = new InputLimits(DEFAULT_MAX_JOB_TASKS, DEFAULT_MAX_PROBLEMS, DEFAULT_MAX_PARAM_BYTES,
            DEFAULT_MAX_PARAMS_BYTES, DEFAULT_MAX_REQUEST_LINE, DEFAULT_MAX_HEADER_BYTES);

    public InputLimits {
        if (maxJobTasks < 1 || maxProblems < 1 || maxParamBytes < 1 || maxParamsBytes < 1 || maxRequestLine < 1 || maxHeaderBytes < 1) {
            throw new IllegalArgumentException("input limits must be positive");
        }
    }

    public static InputLimits from(Settings s) {
        int param = s.integer("PW_MAX_PARAM_BYTES", DEFAULT_MAX_PARAM_BYTES, 1024, 64 * 1024 * 1024);
        int params = s.integer("PW_MAX_PARAMS_BYTES", Math.max(DEFAULT_MAX_PARAMS_BYTES, param), 1024, 256 * 1024 * 1024);
        if (params < param) {
            throw new ConfigException("PW_MAX_PARAMS_BYTES=" + params + " is smaller than PW_MAX_PARAM_BYTES=" + param
                    + ": all of a job's parameters must be allowed at least as much as one");
        }
        return new InputLimits(
                s.integer("PW_MAX_JOB_TASKS", DEFAULT_MAX_JOB_TASKS, 1, 10_000_000),
                s.integer("PW_MAX_PROBLEMS", DEFAULT_MAX_PROBLEMS, 1, 100_000),
                param, params,
                s.integer("PW_MAX_REQUEST_LINE", DEFAULT_MAX_REQUEST_LINE, 256, 1024 * 1024),
                s.integer("PW_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES, 1024, 1024 * 1024));
    }
}
