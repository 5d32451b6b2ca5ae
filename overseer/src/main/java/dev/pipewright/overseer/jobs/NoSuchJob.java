package dev.pipewright.overseer.jobs;

/**
 * What a request about a job that is not there is told. Ended jobs are removed after their retention
 * period (or when deleted) and leave nothing behind, so a job that never existed and one that was
 * removed look the same, and so does another owner's job (which a token below admin must not learn of): the
 * message names all three.
 */
public final class NoSuchJob {
    private NoSuchJob() {
    }

    public static String message(Object id) {
        return "no job '" + id + "': it does not exist, is another owner's, or it ended and was removed (deleted, or expired after its "
                + "retention period)";
    }
}
