package dev.pipewright.protocol.pipeline;

import java.util.List;
import java.util.Map;

/** Types a pipeline parameter may declare. */
public enum ParamType {
    STRING, INTEGER, NUMBER, BOOLEAN, OBJECT, ARRAY;

    public String wireName() {
        return name().toLowerCase();
    }

    public static ParamType fromWire(String name) {
        for (ParamType t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Whether a JSON-like value (String, Number, Boolean, Map, List) has this type. */
    public boolean accepts(Object value) {
        return switch (this) {
            case STRING -> value instanceof String;
            case INTEGER -> value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger
                    || (value instanceof Number n && !(value instanceof Float) && isWhole(n));
            case NUMBER -> value instanceof Number n && isFinite(n);
            case BOOLEAN -> value instanceof Boolean;
            case OBJECT -> value instanceof Map;
            case ARRAY -> value instanceof List;
        };
    }

    /**
     * The value a job is given for an accepted one: a whole number sent as {@code 1.0} or {@code 1e3}
     * to an integer parameter becomes {@code 1} or {@code 1000} (a Long, or a BigInteger beyond it),
     * so processors never see a decimal where an integer was declared.
     */
    public Object normalize(Object value) {
        if (this != INTEGER || !(value instanceof Number n) || value instanceof Integer || value instanceof Long
                || value instanceof java.math.BigInteger) {
            return value;
        }
        java.math.BigInteger whole = (n instanceof java.math.BigDecimal d ? d : new java.math.BigDecimal(n.toString())).toBigIntegerExact();
        return whole.bitLength() < 64 ? (Object) whole.longValue() : whole;
    }

    /** Converts a command-line style text ({@code --param k=v}) to this type, or returns null. */
    public Object fromText(String text) {
        try {
            return switch (this) {
                case STRING -> text;
                case INTEGER -> Long.parseLong(text.trim());
                case NUMBER -> Double.parseDouble(text.trim());
                case BOOLEAN -> switch (text.trim()) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> null;
                };
                case OBJECT, ARRAY -> null;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean isFinite(Number n) {
        return !(n instanceof Double || n instanceof Float) || Double.isFinite(n.doubleValue());
    }

    private static boolean isWhole(Number n) {
        double d = n.doubleValue();
        return !Double.isInfinite(d) && d == Math.rint(d);
    }
}
