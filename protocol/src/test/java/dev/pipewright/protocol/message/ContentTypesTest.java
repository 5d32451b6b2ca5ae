package dev.pipewright.protocol.message;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ContentTypesTest {
    private static String sniff(String text) {
        return ContentTypes.sniff(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void json() {
        assertEquals(ContentTypes.JSON, sniff("{\"a\": 1}"));
        assertEquals(ContentTypes.JSON, sniff("  [1, 2, 3]\n"));
    }

    @Test
    void text() {
        assertEquals(ContentTypes.TEXT, sniff("a,b,c\n1,2,3\n"));
        assertEquals(ContentTypes.TEXT, sniff("héllo wörld\ttab\r\n"));
        assertEquals(ContentTypes.TEXT, sniff("{not closed"));
        assertEquals(ContentTypes.TEXT, ContentTypes.sniff(new byte[0]));
    }

    @Test
    void binary() {
        assertEquals(ContentTypes.BINARY, ContentTypes.sniff(new byte[] {(byte) 0xff, (byte) 0xfe, 0x00}));
        assertEquals(ContentTypes.BINARY, ContentTypes.sniff(new byte[] {'a', 0x00, 'b'}));
        assertEquals(ContentTypes.BINARY, ContentTypes.sniff(new byte[] {(byte) 0xc3}));
    }
}
