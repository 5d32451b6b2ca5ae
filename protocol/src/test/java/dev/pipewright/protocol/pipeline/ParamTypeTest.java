package dev.pipewright.protocol.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ParamTypeTest {
    static Stream<Arguments> values() {
        return Stream.of(
                Arguments.of("text", EnumSet.of(ParamType.STRING)),
                Arguments.of("", EnumSet.of(ParamType.STRING)),
                Arguments.of(3, EnumSet.of(ParamType.INTEGER, ParamType.NUMBER)),
                Arguments.of(3L, EnumSet.of(ParamType.INTEGER, ParamType.NUMBER)),
                Arguments.of(new BigInteger("123456789012345678901234567890"), EnumSet.of(ParamType.INTEGER, ParamType.NUMBER)),
                Arguments.of(3.0, EnumSet.of(ParamType.INTEGER, ParamType.NUMBER)),
                Arguments.of(new BigDecimal("4.00"), EnumSet.of(ParamType.INTEGER, ParamType.NUMBER)),
                Arguments.of(3.5, EnumSet.of(ParamType.NUMBER)),
                Arguments.of(3.0f, EnumSet.of(ParamType.NUMBER)),
                Arguments.of(Double.POSITIVE_INFINITY, EnumSet.noneOf(ParamType.class)),
                Arguments.of(Double.NaN, EnumSet.noneOf(ParamType.class)),
                Arguments.of(true, EnumSet.of(ParamType.BOOLEAN)),
                Arguments.of(Map.of("k", 1), EnumSet.of(ParamType.OBJECT)),
                Arguments.of(List.of(1, 2), EnumSet.of(ParamType.ARRAY)),
                Arguments.of(List.of(), EnumSet.of(ParamType.ARRAY)));
    }

    @ParameterizedTest(name = "{0} is {1}")
    @MethodSource("values")
    void acceptsExactlyTheMatchingTypes(Object value, Set<ParamType> accepted) {
        for (ParamType type : ParamType.values()) {
            assertEquals(accepted.contains(type), type.accepts(value), type + ".accepts(" + value + ")");
        }
    }

    static Stream<Arguments> normalized() {
        return Stream.of(
                Arguments.of(ParamType.INTEGER, 1.0, 1L),
                Arguments.of(ParamType.INTEGER, 1e3, 1000L),
                Arguments.of(ParamType.INTEGER, new BigDecimal("4.00"), 4L),
                Arguments.of(ParamType.INTEGER, 1e20, new BigInteger("100000000000000000000")),
                Arguments.of(ParamType.INTEGER, 7, 7),
                Arguments.of(ParamType.INTEGER, 7L, 7L),
                Arguments.of(ParamType.NUMBER, 1.0, 1.0),
                Arguments.of(ParamType.STRING, "1.0", "1.0"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("normalized")
    void wholeNumbersBecomeIntegers(ParamType type, Object value, Object expected) {
        assertEquals(expected, type.normalize(value));
    }

    @ParameterizedTest
    @EnumSource(ParamType.class)
    void nothingIsOfAnyType(ParamType type) {
        assertEquals(false, type.accepts(null));
    }

    static Stream<Arguments> texts() {
        return Stream.of(
                Arguments.of(ParamType.STRING, " keep spaces ", " keep spaces "),
                Arguments.of(ParamType.INTEGER, "42", 42L),
                Arguments.of(ParamType.INTEGER, " -7 ", -7L),
                Arguments.of(ParamType.INTEGER, "9223372036854775807", Long.MAX_VALUE),
                Arguments.of(ParamType.INTEGER, "1.5", null),
                Arguments.of(ParamType.INTEGER, "abc", null),
                Arguments.of(ParamType.INTEGER, "", null),
                Arguments.of(ParamType.INTEGER, "9223372036854775808", null),
                Arguments.of(ParamType.NUMBER, "1.5", 1.5),
                Arguments.of(ParamType.NUMBER, "1e3", 1000.0),
                Arguments.of(ParamType.NUMBER, " 2 ", 2.0),
                Arguments.of(ParamType.NUMBER, "two", null),
                Arguments.of(ParamType.BOOLEAN, "true", true),
                Arguments.of(ParamType.BOOLEAN, " false ", false),
                Arguments.of(ParamType.BOOLEAN, "yes", null),
                Arguments.of(ParamType.BOOLEAN, "TRUE", null),
                Arguments.of(ParamType.OBJECT, "{\"a\":1}", null),
                Arguments.of(ParamType.ARRAY, "[1]", null));
    }

    @ParameterizedTest(name = "{0} from ''{1}''")
    @MethodSource("texts")
    void fromText(ParamType type, String text, Object expected) {
        Object value = type.fromText(text);
        assertEquals(expected, value);
        if (value != null) {
            assertEquals(true, type.accepts(value), "a converted value has its type");
        }
    }

    @ParameterizedTest
    @EnumSource(ParamType.class)
    void wireNameRoundTrip(ParamType type) {
        assertEquals(type.name().toLowerCase(), type.wireName());
        assertEquals(type, ParamType.fromWire(type.wireName()));
    }

    @Test
    void unknownWireNames() {
        assertNull(ParamType.fromWire("date"));
        assertNull(ParamType.fromWire("STRING"));
        assertNull(ParamType.fromWire(null));
    }
}
