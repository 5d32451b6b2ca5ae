package dev.pipewright.protocol.parse;

/**
 * A semantic check of a schedule's cron expression that the parser cannot make itself (the
 * protocol module has no cron library): field ranges, names, a date that never comes. The parser
 * checks the shape (five fields or an {@code @macro}) and then asks this; the overseer plugs in
 * one backed by a cron library.
 */
@FunctionalInterface
public interface CronCheck {
    /** Accepts every expression of the right shape. */
    CronCheck NONE = cron -> null;

    /** What is wrong with this expression (a sentence naming the field and value), or null when it is fine. */
    String problem(String cron);
}
